import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { runCli, spawnCli, waitForLogLine } from '../helpers/cli.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { waitFor } from '../helpers/server.js';

test('--help lists every setting with its environment variable', async () => {
  const { code, stdout } = await runCli(['serve', '--help']);
  assert.equal(code, 0);
  for (const text of ['--port', 'PORT', '--public-url', 'PUBLIC_URL', '--rate', 'AUDIO_RATE', '--greeting', '--log-level', '--app', 'echo']) {
    assert.ok(stdout.includes(text), `help mentions ${text}`);
  }
});

for (const [args, env, setting] of [
  [['serve', '--port', 'abc'], {}, '--port'],
  [['serve'], { AUDIO_RATE: '44100' }, 'AUDIO_RATE'],
  [['serve'], { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  [['serve', '--public-url', 'not a url'], {}, '--public-url'],
  [['serve', '--app', 'nope'], {}, '--app'],
] as const) {
  test(`a bad setting (${setting}) exits 2 with one line naming it and the allowed values`, async () => {
    const { code, stderr } = await runCli([...args], env);
    assert.equal(code, 2);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, /VS_ERR_CONFIG_INVALID/);
    assert.ok(lines[0]!.includes(setting), lines[0]);
    assert.match(lines[0]!, /expected /);
  });
}

test('SIGTERM closes call sockets with 1001 and exits 0 within 5 s', async () => {
  const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1']);
  const ready = await waitForLogLine(child, (line) => typeof line.socket === 'string');
  const client = await SocketClient.call(String(ready.socket));
  client.sendBinary(patternFrame(640, 1));
  await waitFor(() => client.received.binary.length === 1, 5000, 'echo from the CLI server');
  const started = Date.now();
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 5000, 'exited within 5 s');
  await waitFor(() => client.closed !== undefined, 1000, 'close seen');
  assert.equal(client.closed?.code, 1001);
});
