/**
 * Code comments point into the repository's own docs, and what they point at exists: every
 * `docs/protocol.md §N` names a section that docs/protocol.md has, and no comment sends a reader
 * outside the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

const files = ['src', 'web', 'bench', 'scripts'].flatMap((dir) => sources(join(ROOT, dir)));

/** Section numbers docs/protocol.md has, "6.7–6.10" standing for 6.7, 6.8, 6.9 and 6.10. */
function sections(): Set<string> {
  const found = new Set<string>();
  for (const match of readFileSync(join(ROOT, 'docs', 'protocol.md'), 'utf8').matchAll(/^#{2,3} (\d+)(?:\.(\d+))?(?:–\d+\.(\d+))?\b/gm)) {
    const [, major, minor, last] = match;
    if (!minor) found.add(major!);
    else for (let n = Number(minor); n <= Number(last ?? minor); n++) found.add(`${major}.${n}`);
  }
  return found;
}

test('every docs/protocol.md § a comment cites exists', () => {
  const known = sections();
  assert.ok(known.has('2') && known.has('5.2'), 'the headings were read');
  let cited = 0;
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/docs\/protocol\.md((?:[ ,]+§\d+(?:\.\d+)?(?:–§?\d+)?)+)/g)) {
      for (const section of match[1]!.matchAll(/§(\d+(?:\.\d+)?)/g)) {
        cited++;
        assert.ok(known.has(section[1]!), `${relative(ROOT, file)} cites docs/protocol.md §${section[1]}, which does not exist`);
      }
    }
  }
  assert.ok(cited > 20, `${cited} citations checked`);
});

test('no comment points outside the repository', () => {
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    assert.ok(!/PROTOCOL\.md|\.\.\/shared\//.test(text), `${relative(ROOT, file)} points outside the repository`);
  }
});
