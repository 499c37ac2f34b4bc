#!/usr/bin/env node
// The whole test suite: type-check everything (src, tests, scripts, benchmarks) and lint, then every
// test/**/*.test.ts with node's test runner over tsx, two files at a time. Three lanes ran the suite
// in 400 s instead of 528 s on 2 cores, but with the three heaviest files (packaging, the bench smoke,
// the cluster) started together they failed timing-bound tests in one of four clean runs: a suite
// that flakes lands nothing. `npm test -- test/x.test.ts` runs a subset.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTestAuthority } from './test-authority.mjs';
import { rerunOnMaintainedNode } from './node-runtime.mjs';

// Run directly by a Node below the floor (`node scripts/test.mjs` on an older system Node): again, on
// the maintained one setup.mjs fetched. Through `npm test` npm's PATH already finds that one.
await rerunOnMaintainedNode();

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const selected = process.argv.slice(2);

/** Runs a tool to the end, its output held so that checks running side by side do not interleave. */
function check(name, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ name, code, output }));
  });
}

// Type checks (src, tests, scripts, benchmarks; the web pages) and, for the whole suite, ESLint with
// the promise rules and Prettier: side by side, as they are independent (about half a minute saved).
const tool = (name, file) => join(root, 'node_modules', name, 'bin', file);
const checks = [
  check('type check of tsconfig.json', [tool('typescript', 'tsc'), '-p', 'tsconfig.json', '--noEmit']),
  check('type check of web/tsconfig.json', [tool('typescript', 'tsc'), '-p', join('web', 'tsconfig.json'), '--noEmit']),
  ...(selected.length === 0
    ? [check('eslint', [tool('eslint', 'eslint.js'), '.']), check('prettier', [tool('prettier', 'prettier.cjs'), '--check', '.'])]
    : []),
];
for (const { name, code, output } of await Promise.all(checks)) {
  if (code === 0) continue;
  process.stderr.write(output);
  console.error(`test: ${name} failed${name === 'prettier' ? ' (npm run format fixes the style)' : ''}`);
  process.exit(code ?? 1);
}

/**
 * The files that take longest (measured in full runs, about a minute each) start first: with two
 * files at a time, a long one left to the end would run alone while the other core waits. A file not
 * named here simply runs in alphabetical order after them.
 */
const SLOW_FIRST = [
  'test/packaging/package.test.ts',
  'test/bench-smoke.test.ts',
  'test/scale/cluster.test.ts',
  'test/apps/speech-apps.test.ts',
  'test/cli/emulator-commands.test.ts',
  'test/agents/vonage-transport.test.ts',
  'test/cli/dev.test.ts',
  'test/speech/deepgram.test.ts',
];
const bySlowFirst = (a, b) => {
  const rank = (file) => {
    const at = SLOW_FIRST.indexOf(file.split('\\').join('/'));
    return at < 0 ? SLOW_FIRST.length : at;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
};

const files = selected.length > 0 ? selected : testFiles(join(root, 'test')).sort(bySlowFirst);
// The TLS of the local vendor stand-ins whose SDKs speak only wss:// (scripts/test-authority.mjs).
const tls = makeTestAuthority();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=120000', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', VOICESOCKET_TEST_TLS: tls, NODE_EXTRA_CA_CERTS: join(tls, 'trusted.pem') },
});
process.exit(result.status ?? 1);
