/**
 * SIGTERM drains instead of cutting calls: readiness goes 503 at once, new sockets are still taken
 * for the drain delay and refused after it, calls in progress go on until they end (or the drain
 * timeout closes them with a coded line), then the process exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { collectLogLines, spawnCli, waitForLogLine } from '../helpers/cli.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { waitFor } from '../helpers/server.js';

async function serving(args: string[]) {
  const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', ...args]);
  const lines = collectLogLines(child);
  const ready = await waitForLogLine(child, (line) => typeof line.socket === 'string');
  const base = String(ready.dashboard).replace(/\/$/, '');
  return { child, lines, socketUrl: String(ready.socket), base };
}

/** The line that says the drain started: an expected event, not an error. */
const drainStarted = (line: Record<string, unknown>) => String(line.msg).startsWith('draining:');

/** Echo check: each frame sent comes back byte-identical, in order. */
async function echoes(client: SocketClient, seed: number): Promise<void> {
  const before = client.received.binary.length;
  const frame = patternFrame(640, seed);
  client.sendBinary(frame);
  await waitFor(() => client.received.binary.length > before, 3000, `echo of frame ${seed}`);
  assert.deepEqual(client.received.binary.at(-1), frame);
}

function exited(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  return once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
}

test('SIGTERM drains: /readyz 503 at once, /healthz stays 200, new sockets taken during the delay then refused, calls go on until they end, exit 0', async (t) => {
  const { child, lines, socketUrl, base } = await serving(['--drain-delay', '1', '--drain-timeout', '30']);
  t.after(() => child.kill('SIGKILL'));
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  const call = await SocketClient.call(socketUrl);
  await echoes(call, 1);

  const exit = exited(child);
  child.kill('SIGTERM');
  await waitFor(() => lines.some(drainStarted), 3000, 'the drain to start');
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 503);
  assert.equal(((await ready.json()) as { status: string }).status, 'draining');
  assert.equal((await fetch(`${base}/healthz`)).status, 200, 'alive: liveness must not restart a draining server');
  assert.match(await (await fetch(`${base}/metrics`)).text(), /^voicesocket_draining 1$/m);

  // Within the delay a load balancer may still send a call: it is served.
  const late = await SocketClient.call(socketUrl);
  await echoes(late, 2);
  await late.close();

  // After the delay: refused, with the code, while the first call still echoes exactly.
  await new Promise((resolve) => setTimeout(resolve, 1200)); // past the 1 s delay
  await assert.rejects(SocketClient.call(socketUrl), /unexpected response 503/);
  for (let seed = 3; seed < 8; seed++) await echoes(call, seed);
  assert.equal(child.exitCode, null, 'still serving its call');

  const hungUpAt = Date.now();
  await call.close();
  const [code] = await exit;
  assert.equal(code, 0);
  // Bound with a reason: the drain polls every 100 ms, then the close of an idle server; far from the 30 s timeout.
  assert.ok(Date.now() - hungUpAt < 3000, `exited ${Date.now() - hungUpAt} ms after the last call ended`);
  assert.ok(!lines.some((line) => line.code === 'VS_ERR_DRAIN_TIMEOUT'), 'no call was cut');
  // A drain asked for is no error: its line is info and carries no error code; the refusal it causes is
  // a warning with the code (pino levels: 30 info, 40 warn).
  const started = lines.find(drainStarted)!;
  assert.equal(started.level, 30);
  assert.equal(started.code, undefined, JSON.stringify(started));
  const refused = lines.find((line) => line.code === 'VS_ERR_DRAINING');
  assert.equal(refused?.level, 40, JSON.stringify(refused));
  for (const line of lines)
    if (typeof line.code === 'string') assert.ok(Number(line.level) >= 40, `an error code on a line below warn: ${JSON.stringify(line)}`);
});

test('a call still going when the drain timeout passes is closed with 1001 and a coded line; exit 0', async (t) => {
  const { child, lines, socketUrl } = await serving(['--drain-delay', '0', '--drain-timeout', '1']);
  t.after(() => child.kill('SIGKILL'));
  const call = await SocketClient.call(socketUrl);
  await echoes(call, 1);
  const exit = exited(child);
  child.kill('SIGTERM');
  const [code] = await exit;
  assert.equal(code, 0);
  await waitFor(() => call.closed !== undefined, 2000, 'the call closed');
  assert.equal(call.closed?.code, 1001);
  const line = lines.find((entry) => entry.code === 'VS_ERR_DRAIN_TIMEOUT');
  assert.ok(line, 'a coded line names the call cut by the timeout');
  assert.equal(typeof line.call, 'string');
});

test('a second signal during a drain stops at once (exit 130 for SIGINT)', async (t) => {
  const { child, lines, socketUrl } = await serving(['--drain-delay', '0', '--drain-timeout', '60']);
  t.after(() => child.kill('SIGKILL'));
  const call = await SocketClient.call(socketUrl);
  await echoes(call, 1);
  const exit = exited(child);
  child.kill('SIGINT');
  await waitFor(() => lines.some(drainStarted), 3000, 'the drain to start');
  child.kill('SIGINT');
  const [code] = await exit;
  assert.equal(code, 130);
});

test('a call answered a moment before SIGTERM (still in its greeting) connects and finishes: its socket was promised (default delay 0)', async (t) => {
  const { child, lines, base } = await serving(['--drain-timeout', '30']);
  t.after(() => child.kill('SIGKILL'));
  // The emulator plays the greeting in real time (about 3 s), then opens the socket, as Vonage does.
  const call = spawnCli(['call', `${base}/webhooks/answer`, '--duration', '2s', '--tone', '440']);
  t.after(() => call.kill('SIGKILL'));
  let out = '';
  call.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const callClosed = once(call, 'close') as Promise<[number | null]>;
  await waitFor(() => /answer GET .* → 200/.test(out), 10_000, 'the answer served');

  const exit = exited(child);
  child.kill('SIGTERM');
  await waitFor(() => lines.some(drainStarted), 3000, 'the drain to start');
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 503);
  const body = (await ready.json()) as { status: string; activeCalls: number; promisedCalls: number };
  // The greeting lasts about 3 s: the socket has not come yet (if it has, it is an active call).
  assert.equal(body.activeCalls + body.promisedCalls, 1, JSON.stringify(body));

  const [callCode] = await callClosed;
  assert.equal(callCode, 0, out);
  assert.match(out, /socket connected/, out);
  assert.match(out, /echo +100 of the caller's frames returned, 0 not returned/, out);
  const [code] = await exit;
  assert.equal(code, 0);
  assert.ok(!lines.some((line) => line.code === 'VS_ERR_DRAIN_TIMEOUT'), 'nothing was cut');
});

test("a promised socket is released by its leg's final event: a caller who hangs up during the greeting does not hold the drain", async (t) => {
  const { child, lines, base } = await serving(['--drain-timeout', '60']);
  t.after(() => child.kill('SIGKILL'));
  const uuid = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  assert.equal((await fetch(`${base}/webhooks/answer?uuid=${uuid}&conversation_uuid=CON-1&from=447700900001&to=447700900002`)).status, 200);
  const exit = exited(child);
  child.kill('SIGTERM');
  await waitFor(() => lines.some(drainStarted), 3000, 'the drain to start');
  assert.equal(((await (await fetch(`${base}/readyz`)).json()) as { promisedCalls: number }).promisedCalls, 1);
  // Vonage's event for the inbound leg: the caller hung up before the connect.
  const hungUpAt = Date.now();
  const event = { uuid, conversation_uuid: 'CON-1', status: 'completed', direction: 'inbound', timestamp: new Date().toISOString() };
  assert.equal(
    (await fetch(`${base}/webhooks/event`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) })).status,
    204,
  );
  const [code] = await exit;
  assert.equal(code, 0);
  // Bound with a reason: the drain polls every 100 ms, then the close of an idle server; far from the 60 s timeout.
  assert.ok(Date.now() - hungUpAt < 5000, `exited ${Date.now() - hungUpAt} ms after the leg ended`);
});
