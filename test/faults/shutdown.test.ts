/**
 * Shutdown under faults: a stranger's unfinished HTTP request does not hold the process to its
 * deadline; a second signal stops at once, with a last log line and the shell's exit status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { spawnCli, waitForLogLine } from '../helpers/cli.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { waitFor } from '../helpers/server.js';

async function serving() {
  // No drain: these tests are about the close that follows it (test/cli/drain.test.ts drains).
  const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--drain-delay', '0', '--drain-timeout', '0']);
  const lines: Array<Record<string, unknown>> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const ready = await waitForLogLine(child, (line) => typeof line.socket === 'string');
  return { child, lines, socketUrl: String(ready.socket), port: Number(new URL(String(ready.socket)).port) };
}

test('a partial HTTP request open at SIGTERM: the server still stops in order (exit 0), well before its deadline', async (t) => {
  const { child, port, socketUrl } = await serving();
  t.after(() => child.kill('SIGKILL'));
  const bystander = await SocketClient.call(socketUrl);
  bystander.sendBinary(patternFrame(640, 1));
  await waitFor(() => bystander.received.binary.length === 1, 3000, 'the bystander echo');
  const partial = net.connect(port, '127.0.0.1');
  await once(partial, 'connect');
  partial.write('POST /webhooks/event HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"status":');
  partial.on('error', () => undefined);
  await new Promise((resolve) => setTimeout(resolve, 100)); // let the server read the partial request
  const started = Date.now();
  child.kill('SIGTERM');
  const [code] = (await once(child, 'close')) as [number | null];
  const took = Date.now() - started;
  assert.equal(code, 0, 'an orderly stop, not "shutdown took too long"');
  // Bound with a reason: the calls' 2 s grace plus the 1 s HTTP grace; the deadline is 4.5 s.
  assert.ok(took < 4000, `stopped in ${took} ms`);
  await waitFor(() => bystander.closed !== undefined, 1000, 'the bystander closed');
  assert.equal(bystander.closed?.code, 1001);
  partial.destroy();
});

test('a second SIGTERM stops at once: exit 143, with a last log line', async (t) => {
  const { child, lines, socketUrl } = await serving();
  t.after(() => child.kill('SIGKILL'));
  // A call that ignores the 1001 keeps the orderly stop waiting for its grace period.
  const stubborn = await SocketClient.open(socketUrl);
  stubborn.ws.on('close', () => undefined);
  (stubborn.ws as unknown as { _socket: net.Socket })._socket.pause();
  child.kill('SIGTERM');
  await waitFor(() => lines.some((line) => line.msg === 'shutting down'), 3000, 'the first signal to be seen');
  child.kill('SIGTERM');
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 143);
  assert.ok(
    lines.some((line) => line.msg === 'second signal: stopping now' && line.code === 'VS_ERR_SHUTTING_DOWN'),
    'a last line says why',
  );
});
