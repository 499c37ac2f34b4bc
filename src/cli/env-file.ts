/**
 * `.env` in the working directory, as every Vonage sample keeps its credentials: read once at start,
 * never overriding a variable the environment already has (flags > environment > .env > defaults).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VoicesocketError } from '../errors.js';

/**
 * Parses `.env` text the way dotenv does: `NAME=value`, optional `export `, `#` comments, values in
 * single, double (with \n escapes, may span lines) or back quotes, an unquoted value ending at ` #`.
 * Our own because Node's util.parseEnv reads a line without `=` as the start of a name and takes the
 * next line's setting with it (`BROKEN\nPORT=4000` sets "BROKEN\nPORT"): the setting vanishes
 * silently. Here such a line is an error naming its line number.
 */
export function parseDotEnv(text: string, file = '.env'): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new VoicesocketError('CONFIG_INVALID', `${file} line ${i + 1}: ${JSON.stringify(line.slice(0, 40))} is not NAME=value`);
    const [, name, rest] = match as unknown as [string, string, string];
    const quote = rest[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      // A quoted value may run over lines until its closing quote.
      let raw = rest.slice(1);
      const startLine = i;
      while (raw.indexOf(quote) < 0 && i + 1 < lines.length) raw += `\n${lines[++i]!}`;
      const end = raw.indexOf(quote);
      if (end < 0) throw new VoicesocketError('CONFIG_INVALID', `${file} line ${startLine + 1}: the ${quote} quote of ${name} is never closed`);
      const value = raw.slice(0, end);
      values[name] = quote === '"' ? value.replace(/\\n/g, '\n') : value;
    } else {
      values[name] = rest.replace(/\s+#.*$/, '').trim();
    }
  }
  return values;
}

/** The variables this process took from `.env` (not from its environment): `--print-config` names the source. */
export const loadedFromDotEnv = new Set<string>();

export function loadDotEnv(path = resolve('.env'), env: NodeJS.ProcessEnv = process.env): string[] {
  if (!existsSync(path)) return [];
  const loaded: string[] = [];
  for (const [name, value] of Object.entries(parseDotEnv(readFileSync(path, 'utf8')))) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    loaded.push(name);
    if (env === process.env) loadedFromDotEnv.add(name);
  }
  return loaded;
}

/**
 * Sets variables in `.env`, keeping every other line (comments included) as it was; creates the file
 * readable by its owner only, since it holds credentials.
 */
export async function updateDotEnv(path: string, values: Record<string, string>): Promise<void> {
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
  if (lines.at(-1) === '') lines.pop();
  for (const [name, value] of Object.entries(values)) {
    const line = `${name}=${/^[\w./:@+-]*$/.test(value) ? value : JSON.stringify(value)}`;
    const at = lines.findIndex((existing) => new RegExp(`^\\s*(export\\s+)?${name}\\s*=`).test(existing));
    if (at >= 0) lines[at] = line;
    else lines.push(line);
  }
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}
