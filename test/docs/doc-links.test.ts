/**
 * The documents point at what the repository has: every relative link of the README and docs/*.md
 * reaches a file, and none sends a reader outside the repository (docs/emulator.md once pointed at
 * notes that are not in it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from '../helpers/cli.js';

const documents = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join(ROOT, 'docs', name))];

test('every relative link of the README and docs/ reaches a file of the repository', () => {
  let links = 0;
  for (const document of documents) {
    for (const match of readFileSync(document, 'utf8').matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
      const target = match[1]!;
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      links++;
      const path = resolve(dirname(document), target);
      assert.ok(!relative(ROOT, path).startsWith('..'), `${relative(ROOT, document)} links outside the repository: ${target}`);
      assert.ok(existsSync(path), `${relative(ROOT, document)} links to ${target}, which does not exist`);
    }
  }
  assert.ok(links > 10, `${links} links checked`);
});

test('no document points a reader outside the repository', () => {
  for (const document of documents) {
    const text = readFileSync(document, 'utf8');
    assert.ok(!/\.\.\/shared\/|PROTOCOL\.md|DESIGN\.md/.test(text), `${relative(ROOT, document)} points outside the repository`);
  }
});
