#!/usr/bin/env node
// The whole test suite: every test/**/*.test.ts with node's test runner over tsx, each file in its own
// process, several side by side (scripts/test-lanes.mjs: two lanes, a third while the CPUs are at least
// half idle, never two of the heaviest files together); beside them, at the lowest CPU priority so that the tests come first, the type checks of
// everything (src, tests, scripts, benchmarks; the web pages), ESLint with the promise rules and
// Prettier. Any of them failing fails the run. `npm test -- test/x.test.ts` runs a subset, after the
// type checks (first: they answer in seconds once their cache is warm, and a starved low-priority
// check would hold a short run up); `--lanes N` (or TEST_LANES) sets how many files run at once.
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { mkdirSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTestAuthority } from './test-authority.mjs';
import { rerunOnMaintainedNode } from './node-runtime.mjs';
import { runFiles, summary } from './test-lanes.mjs';
import { changedSinceBuild } from './stale.mjs';

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

const argv = process.argv.slice(2);
const lanesAt = argv.indexOf('--lanes');
const lanes = Number(lanesAt >= 0 ? argv.splice(lanesAt, 2)[1] : (process.env.TEST_LANES ?? 3));
if (!Number.isInteger(lanes) || lanes < 1) {
  console.error('test: --lanes (TEST_LANES) must be a whole number of files at once, 1 or more');
  process.exit(2);
}
const selected = argv;
const began = performance.now();

/**
 * Runs a tool to the end at the lowest CPU priority (nice 19: it takes what the tests leave idle,
 * which waiting on real-time calls leaves a lot of), its output held so that nothing interleaves.
 */
const checking = new Set();
function check(name, args, beside) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      if (beside) setPriority(child.pid, 19);
    } catch {
      // Not permitted here: it runs at the tests' priority.
    }
    checking.add(child);
    child.on('exit', () => checking.delete(child));
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ name, code, output }));
  });
}

// Type checks (src, tests, scripts, benchmarks; the web pages) and, for the whole suite, ESLint with
// the promise rules and Prettier, beside the tests. The type checks keep what they learnt in
// node_modules/.cache/ (tsc --incremental): a second run checks only what changed.
const tool = (name, file) => join(root, 'node_modules', name, 'bin', file);
const cache = join(root, 'node_modules', '.cache', 'voicesocket');
mkdirSync(cache, { recursive: true });
const typeCheck = (project, record) => [tool('typescript', 'tsc'), '-p', project, '--noEmit', '--incremental', '--tsBuildInfoFile', join(cache, record)];
const whole = selected.length === 0;
const checks = [
  check('type check of tsconfig.json', typeCheck('tsconfig.json', 'tsconfig.tsbuildinfo'), whole),
  check('type check of web/tsconfig.json', typeCheck(join('web', 'tsconfig.json'), 'web.tsbuildinfo'), whole),
  ...(whole ? [check('eslint', [tool('eslint', 'eslint.js'), '.'], true), check('prettier', [tool('prettier', 'prettier.cjs'), '--check', '.'], true)] : []),
];
let failed = false;
async function reportChecks() {
  for (const { name, code, output } of await Promise.all(checks)) {
    if (code === 0) continue;
    failed = true;
    process.stderr.write(`\n${output}`);
    console.error(`test: ${name} failed${name === 'prettier' ? ' (npm run format fixes the style)' : ''}`);
  }
}
if (!whole) {
  await reportChecks();
  if (failed) process.exit(1);
}

/**
 * The files that take longest (measured in full runs, about a minute each) start first: a long one
 * left to the end would run alone while the other lanes wait. A file not named here simply runs in
 * alphabetical order after them.
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

/**
 * Files that start servers, engines or an install of their own: never two of them at once (two
 * together, with a third lane beside them, passed the timing bounds of the tests beside them).
 */
const HEAVY = new Set(['test/packaging/package.test.ts', 'test/bench-smoke.test.ts', 'test/scale/cluster.test.ts']);

// Tests that spawn the CLI run dist/. Built once here when a source is newer (after a merge, a pull,
// an edit): otherwise each spawned CLI builds it first (bin/voicesocket.js), several files' CLIs at
// once on a loaded machine, and the tests waiting on them time out (seen: a dial list that did not
// take its journal within 10 s, a server that logged nothing within 10 s).
if (changedSinceBuild(root)) {
  console.log('test: building dist/, older than the sources (npm run build)');
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    console.error('test: the build failed');
    process.exit(1);
  }
}

const files = selected.length > 0 ? selected : testFiles(join(root, 'test')).sort(bySlowFirst);
// The TLS of the local vendor stand-ins whose SDKs speak only wss:// (scripts/test-authority.mjs).
const tls = makeTestAuthority();
const results = await runFiles(
  files.map((file) => file.split('\\').join('/')),
  {
    steady: Math.min(2, lanes),
    lanes,
    heavy: HEAVY,
    cwd: root,
    // --test-force-exit: a file whose tests are over ends, even with something of a failed test still
    // running (a timed-out test's body goes on; one left a loop placing calls, and the run hung).
    args: ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=120000', '--test-force-exit'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', VOICESOCKET_TEST_TLS: tls, NODE_EXTRA_CA_CERTS: join(tls, 'trusted.pem') },
    onDone: (result) => process.stdout.write(`\n▶ ${result.file} (${(result.ms / 1000).toFixed(1)} s)\n${result.output}`),
  },
);
if (results.some((result) => result.code !== 0)) failed = true;
// The tests are done: a check still running gets its priority back where that is permitted (root may;
// others may not lower a niceness). On a machine other work keeps busy, nice 19 would starve it.
for (const child of checking) {
  try {
    setPriority(child.pid, 0);
  } catch {
    // It finishes at nice 19.
  }
}
if (whole) await reportChecks();
console.log(summary(results, performance.now() - began));
process.exit(failed ? 1 : 0);
