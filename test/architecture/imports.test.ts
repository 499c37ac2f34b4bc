/**
 * The house rules that imports can break: no import circles anywhere in src/ (type-only imports
 * count: a circle of types is still two files that cannot be read or moved apart), and no file
 * over ~450 lines (past that it is doing two jobs; DESIGN: one concern per file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '..', '..', 'src');
/** A file may reach this before it must be split; the number is DESIGN's, with a little slack for headers. */
const MAX_LINES = 460;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)].map((match) =>
    resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')),
  );
}

/** Strongly connected components of more than one file (Tarjan), each a circle. */
function importCircles(files: string[]): string[][] {
  const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => files.includes(target))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let next = 0;
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file)!) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    for (;;) {
      const member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
      if (member === file) break;
    }
    if (component.length > 1) circles.push(component.map((member) => relative(SRC, member)).sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return circles;
}

test('no import circles in src/', () => {
  assert.deepEqual(importCircles(sources(SRC)), []);
});

test('the circle finder finds a circle, type-only imports included (so the test above can fail)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vs-circle-'));
  writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport type A = B;\n");
  writeFileSync(join(dir, 'b.ts'), "import { c } from './c.js';\nexport type B = number;\nexport const b = c;\n");
  writeFileSync(join(dir, 'c.ts'), "export { a } from './d.js';\nimport type { A } from './a.js';\nexport const c: A = 1;\n");
  writeFileSync(join(dir, 'd.ts'), 'export const a = 1;\n');
  const circles = importCircles(['a.ts', 'b.ts', 'c.ts', 'd.ts'].map((name) => join(dir, name)));
  assert.equal(circles.length, 1);
  assert.deepEqual(
    circles[0]!.map((file) => file.split('/').pop()),
    ['a.ts', 'b.ts', 'c.ts'],
  );
});

test(`no source file over ${MAX_LINES} lines`, () => {
  const long = sources(SRC)
    .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length }))
    .filter(({ lines }) => lines > MAX_LINES);
  assert.deepEqual(long, []);
});
