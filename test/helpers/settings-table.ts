/**
 * The README's tables of settings and app options, made from the tables the CLI runs on
 * (src/server/settings.ts and its areas, src/cli/app-options.ts): the README cannot drift from them.
 * test/cli/settings-contract.test.ts compares; `UPDATE_DOCS=1` rewrites the README's block.
 */
import { BUILT_IN_APPS } from '../../src/apps/index.js';
import { APP_OPTIONS } from '../../src/cli/app-options.js';
import { DEFAULT_CONFIG } from '../../src/server/config.js';
import { GROUP_OF, SETTINGS, SETTING_GROUPS, type SettingGroup } from '../../src/server/settings.js';

export const BEGIN =
  '<!-- settings: made from src/server/settings.ts and src/cli/app-options.ts; UPDATE_DOCS=1 node scripts/test.mjs test/cli/settings-contract.test.ts rewrites it -->';
export const END = '<!-- /settings -->';

/** Table cells: a pipe would end the cell, a line break the row. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => `\`${cell(text)}\``;

function defaultOf(value: unknown): string {
  if (value === undefined) return '—';
  return code(String(value));
}

export function settingsBlock(): string {
  const parts: string[] = [BEGIN];
  for (const [group, heading] of Object.entries(SETTING_GROUPS) as Array<[SettingGroup, string]>) {
    const rows = SETTINGS.filter((item) => GROUP_OF[item.key] === group);
    if (rows.length === 0) continue;
    parts.push('', `**${heading.replace(/:$/, '')}**`, '', '| flag | environment | default | what it does | allowed |', '|---|---|---|---|---|');
    for (const item of rows) {
      const variables = [item.env, ...(item.aliases ?? [])].map(code).join(' or ');
      const allowed = item.key === 'app' ? `${Object.keys(BUILT_IN_APPS).join(', ')}, or a module path` : item.allowed;
      const secret = item.secret ? ' Secret: never printed.' : '';
      parts.push(`| ${code(item.flag)} | ${variables} | ${defaultOf(DEFAULT_CONFIG[item.key])} | ${cell(item.description)}.${secret} | ${cell(allowed)} |`);
    }
  }
  parts.push(
    '',
    '**Options of the built-in apps** (flags only: each belongs to its app, which checks it at start; docs/apps.md)',
    '',
    '| flag | app | default | what it does |',
    '|---|---|---|---|',
  );
  for (const option of APP_OPTIONS) {
    parts.push(`| ${code(option.flag)} | ${option.apps.map(code).join(', ')} | ${option.default ? cell(option.default) : '—'} | ${cell(option.description)} |`);
  }
  parts.push('', END);
  return parts.join('\n');
}

/** The README with its block replaced by `block`. */
export function withBlock(readme: string, block: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${BEGIN} … ${END} block`);
  return readme.slice(0, start) + block + readme.slice(end + END.length);
}
