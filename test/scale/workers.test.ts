/**
 * `serve --workers 2`: one port, two processes. The load spreads over both; `/metrics` and `/api/calls`
 * on any connection report the whole instance; a worker that dies is replaced and its calls are logged
 * as lost, the other worker's calls go on; SIGTERM drains every worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { placeCall, type CallResult } from '../../src/emulator/index.js';
import { collectLogLines, spawnCli, waitForLogLine } from '../helpers/cli.js';
import { waitFor } from '../helpers/server.js';

interface Listed {
  calls: Array<{ pid: number; id: string }>;
}

async function cluster(t: import('node:test').TestContext, extra: string[] = []) {
  const child = spawnCli(['serve', '--workers', '2', '--port', '0', '--host', '127.0.0.1', '--drain-delay', '0', '--drain-timeout', '10', ...extra]);
  t.after(() => child.kill('SIGKILL'));
  const lines = collectLogLines(child);
  const ready = await waitForLogLine(child, (line) => typeof line.answerUrl === 'string');
  await waitFor(() => lines.filter((line) => typeof line.answerUrl === 'string').length === 2, 10_000, 'both workers listening');
  return { child, lines, base: String(ready.dashboard).replace(/\/$/, ''), answerUrl: String(ready.answerUrl) };
}

const calls = (answerUrl: string, count: number, durationMs: number): Array<Promise<CallResult>> =>
  Array.from({ length: count }, () => placeCall({ answerUrl, durationMs, talk: 'skip', audio: { kind: 'tone', frequency: 440 } }));

test('--workers 2: calls spread over both workers; /api/calls and /metrics report the whole instance; SIGTERM during greetings drains both, every call finishes, exit 0', async (t) => {
  // Debug lines say when each answer was served; a drain timeout far above the calls' length.
  const { child, lines, base, answerUrl } = await cluster(t, ['--log-level', 'debug', '--drain-timeout', '30']);
  const placed = calls(answerUrl, 16, 4000);
  // Each request may land on either worker: every one of them must list all 16 calls.
  await waitFor(async () => ((await (await fetch(`${base}/api/calls`)).json()) as Listed).calls.length === 16, 10_000, 'all 16 calls listed');
  for (let i = 0; i < 4; i++) {
    const listed = (await (await fetch(`${base}/api/calls`)).json()) as Listed;
    assert.equal(listed.calls.length, 16);
    const perWorker = new Map<number, number>();
    for (const call of listed.calls) perWorker.set(call.pid, (perWorker.get(call.pid) ?? 0) + 1);
    assert.equal(perWorker.size, 2, `both workers carry calls: ${JSON.stringify([...perWorker])}`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^voicesocket_active_calls 16$/m, 'summed over the workers');
  }
  for (const result of await Promise.all(placed)) {
    assert.ok(result.accepted, result.problems.join('; '));
    assert.equal(result.leg?.lost, 0);
  }

  // SIGTERM while calls are in their greeting (played in real time, about 3 s, before each socket
  // opens, as Vonage does): each socket is taken by whichever worker it reaches, though the answer
  // that promised it may have been served by the other.
  const count = 6;
  const answered = lines.filter((line) => line.msg === 'answered call').length;
  const greeting = Array.from({ length: count }, () => placeCall({ answerUrl, durationMs: 1500, audio: { kind: 'tone', frequency: 440 } }));
  await waitFor(() => lines.filter((line) => line.msg === 'answered call').length === answered + count, 10_000, 'every answer served');
  const exit = once(child, 'exit') as Promise<[number | null]>;
  child.kill('SIGTERM');
  const results = await Promise.all(greeting);
  const ended = Date.now();
  for (const result of results) {
    assert.ok(result.accepted, result.problems.join('; '));
    assert.equal(result.leg?.end, 'caller-hangup');
    assert.ok((result.leg?.echoed ?? 0) > 50, `echoed ${result.leg?.echoed}`);
  }
  const [code] = await exit;
  assert.equal(code, 0);
  // Bound with a reason: each worker's drain polls every 100 ms, then closes; far from the 30 s a
  // worker would wait holding a promise that the other worker kept (24 s after the calls, before).
  assert.ok(Date.now() - ended < 8000, `stopped ${Date.now() - ended} ms after the last call ended`);
  assert.ok(!lines.some((line) => line.code === 'VS_ERR_DRAIN_TIMEOUT'), 'nothing was cut or left waiting');
});

test("a worker that dies is replaced; its calls are logged as lost with a code; the other worker's calls go on", async (t) => {
  const { lines, base, answerUrl } = await cluster(t);
  const placed = calls(answerUrl, 10, 4000);
  await waitFor(async () => ((await (await fetch(`${base}/api/calls`)).json()) as Listed).calls.length === 10, 10_000, 'all 10 calls listed');
  const listed = (await (await fetch(`${base}/api/calls`)).json()) as Listed;
  const victim = listed.calls[0]!.pid;
  const victimCalls = listed.calls.filter((call) => call.pid === victim).length;
  process.kill(victim, 'SIGKILL');
  await waitFor(() => lines.some((line) => line.code === 'VS_ERR_WORKER_DIED' && line.lostCalls !== undefined), 5000, 'the death logged');
  const died = lines.find((line) => line.code === 'VS_ERR_WORKER_DIED' && line.lostCalls !== undefined)!;
  assert.equal(died.workerPid, victim);
  assert.equal(died.lostCalls, victimCalls);
  await waitFor(
    () => lines.filter((line) => line.code === 'VS_ERR_WORKER_DIED' && typeof line.call === 'string').length === victimCalls,
    3000,
    'each lost call named',
  );
  await waitFor(() => lines.filter((line) => typeof line.answerUrl === 'string').length === 3, 10_000, 'a new worker listening');

  const results = await Promise.all(placed);
  const survivors = results.filter((result) => result.leg?.end === 'caller-hangup');
  assert.equal(results.length - survivors.length, victimCalls, "only the dead worker's calls ended early");
  for (const result of survivors) assert.ok(result.accepted, result.problems.join('; '));
  // The replacement serves new calls.
  const after = await Promise.all(calls(answerUrl, 4, 1000));
  for (const result of after) assert.ok(result.accepted && (result.leg?.echoed ?? 0) > 0, result.problems.join('; '));
});
