// How scripts/test.mjs fills its lanes: each test file in its own `node --test` process (as node's
// runner does). `steady` files run at once, always; up to `lanes` when the machine has CPU to spare:
// most test files spend most of their time waiting on real-time calls, but a lane added whatever the
// load made a loaded machine fail timing bounds. So a file beyond `steady` starts only while the CPUs
// were at least half idle (or running our low-priority checks) over the last two seconds (on a
// machine other work keeps busy, the run is the steady lanes alone). Never two of the `heavy` files at the same time (each starts servers,
// engines or an install of its own; two together passed timing bounds on 2 cores). Files start in the
// order given; a heavy file whose turn it is beside a heavy one waits, and the next light file takes
// the lane. A file's output is printed whole when it ends, so files never interleave; the summary adds
// up the spec reporter's counts and lists the failures again at the end.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';

/** How often, and over what window, the spare CPU is read, ms. */
const SAMPLE_MS = 2000;
/** The share of the CPUs' time idle over the window that lets a file beyond the steady lanes start. */
const SPARE_IDLE = 0.5;

/** The CPUs' spare share since the last call: idle, or running at low priority (our own checks at nice 19). */
function idleSampler() {
  const read = () =>
    cpus().reduce(
      (sum, { times }) => ({ idle: sum.idle + times.idle + times.nice, total: sum.total + times.user + times.nice + times.sys + times.idle + times.irq }),
      { idle: 0, total: 0 },
    );
  let last = read();
  return () => {
    const now = read();
    const share = now.total > last.total ? (now.idle - last.idle) / (now.total - last.total) : 1;
    last = now;
    return share;
  };
}

/** The spec reporter's closing counts (`ℹ tests 12` ...), or zeros when the process died before them. */
function counts(output) {
  const read = (name) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
  return { tests: read('tests'), pass: read('pass'), fail: read('fail'), cancelled: read('cancelled'), skipped: read('skipped') };
}

/**
 * Runs `files` with `node ...args <file>` each: `steady` at a time, up to `lanes` with CPU to spare,
 * at most one of `heavy`. Resolves with every file's result: { file, code, signal, ms, output, counts }.
 */
export function runFiles(files, { steady, lanes, heavy, args, env, cwd, onDone }) {
  const queue = [...files];
  const running = new Set();
  const results = [];
  const idle = idleSampler();
  let spare = false;
  return new Promise((resolve) => {
    const sampler = setInterval(() => {
      spare = idle() >= SPARE_IDLE;
      fill();
    }, SAMPLE_MS);
    const start = (file) => {
      const began = performance.now();
      const child = spawn(process.execPath, [...args, file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      running.add(file);
      child.on('close', (code, signal) => {
        running.delete(file);
        const result = { file, code, signal, ms: performance.now() - began, output, counts: counts(output) };
        results.push(result);
        onDone?.(result);
        fill();
      });
    };
    const fill = () => {
      while (running.size < steady || (spare && running.size < lanes)) {
        const heavyRunning = [...running].some((file) => heavy.has(file));
        const at = queue.findIndex((file) => !(heavyRunning && heavy.has(file)));
        if (at < 0) break;
        // One file beyond the steady lanes per reading: its own start is not yet in the sample.
        if (running.size >= steady) spare = false;
        start(queue.splice(at, 1)[0]);
      }
      if (running.size === 0 && queue.length === 0) {
        clearInterval(sampler);
        resolve(results);
      }
    };
    fill();
  });
}

/** The run in a few lines: totals, the slowest files, and each failing file's failures again. */
export function summary(results, wallMs) {
  const total = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0 };
  for (const { counts: c } of results) for (const key of Object.keys(total)) total[key] += c[key];
  const failed = results.filter((r) => r.code !== 0);
  const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 8);
  const lines = [
    '',
    `test files ${results.length}, failed ${failed.length}; tests ${total.tests}, pass ${total.pass}, fail ${total.fail}, cancelled ${total.cancelled}, skipped ${total.skipped}; ${(wallMs / 1000).toFixed(0)} s`,
    `slowest: ${slowest.map((r) => `${r.file} ${(r.ms / 1000).toFixed(0)} s`).join(', ')}`,
  ];
  for (const r of failed) {
    const at = r.output.indexOf('✖ failing tests:');
    lines.push('', `✖ ${r.file} (exit ${r.code ?? r.signal})`, at >= 0 ? r.output.slice(at).trimEnd() : r.output.slice(-4000).trimEnd());
  }
  return lines.join('\n');
}
