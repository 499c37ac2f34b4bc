#!/usr/bin/env node
// The whole test suite: type-check everything (src, tests, scripts, benchmarks), then every
// test/**/*.test.ts with node's test runner over tsx. `npm test -- test/x.test.ts` runs a subset.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

for (const project of ['tsconfig.json', join('web', 'tsconfig.json')]) {
  const typecheck = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, '--noEmit'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (typecheck.status !== 0) {
    console.error(`test: type check of ${project} failed`);
    process.exit(typecheck.status ?? 1);
  }
}

const selected = process.argv.slice(2);
// The whole suite lints too (ESLint with the promise rules, Prettier); a subset run skips it.
if (selected.length === 0) {
  for (const [tool, args] of [
    ['eslint', ['.']],
    ['prettier', ['--check', '.']],
  ]) {
    const bin = join(root, 'node_modules', tool, 'bin', tool === 'eslint' ? 'eslint.js' : 'prettier.cjs');
    const lint = spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit' });
    if (lint.status !== 0) {
      console.error(`test: ${tool} failed (npm run format fixes the style; ESLint's findings need fixing by hand)`);
      process.exit(lint.status ?? 1);
    }
  }
}

const files = selected.length > 0 ? selected : testFiles(join(root, 'test')).sort();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=120000', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
});
process.exit(result.status ?? 1);
