/**
 * Whatever an app does — throw, reject, hang, point at a missing or unplayable file — ends or degrades
 * only its own call; the server and every other call go on. Each case runs beside a bystander call
 * whose echo must stay byte-exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallApp } from '../../src/apps/index.js';
import { echo } from '../../src/apps/index.js';
import type { CallSession, PlayResult } from '../../src/call/call-session.js';
import { floatToPcm16 } from '../../src/audio/pcm.js';
import { sine } from '../../src/audio/tone.js';
import { writeWav } from '../../src/audio/wav.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { runCli, spawnCli, waitForLogLine } from '../helpers/cli.js';
import { dtmfMessage } from '../../src/protocol/socket-messages.js';

/** Routes calls by their `to` header: "faulty" runs the app under test, anything else echoes. */
function withBystander(app: CallApp): CallApp {
  // The listener returns the app's promise, so a rejecting app is caught like any async listener.
  return (session, context) => {
    session.once('connected', (identity) => (identity.to === 'faulty' ? app(session, context) : echo(session)));
  };
}

async function bystanderEchoes(server: TestServer, frames = 10): Promise<void> {
  const client = await SocketClient.call(server.socketUrl, 'audio/l16;rate=16000', { to: 'bystander' });
  const sent = Array.from({ length: frames }, (_, i) => patternFrame(640, 1000 + i));
  for (const frame of sent) client.sendBinary(frame);
  await waitFor(() => client.received.binary.length === frames, 5000, 'the bystander echo');
  assert.deepEqual(client.received.binary, sent, 'the bystander hears exactly what it sent');
  await client.close();
}

for (const [name, app] of [
  [
    'an async dtmf listener that rejects',
    ((session) => {
      session.on('dtmf', async () => {
        await Promise.resolve();
        throw new Error('boom in dtmf');
      });
    }) as CallApp,
  ],
  [
    'a dtmf listener that throws',
    ((session) => {
      session.on('dtmf', () => {
        throw new Error('boom');
      });
    }) as CallApp,
  ],
  [
    'an async audio listener that rejects',
    ((session) => {
      session.on('audio', async () => {
        throw new Error('boom in audio');
      });
    }) as CallApp,
  ],
  [
    'a play() of a missing WAV inside a listener (the docs/apps.md voicemail example without its file)',
    ((session) => {
      session.on('dtmf', async () => {
        await session.play('no-such-greeting.wav');
      });
    }) as CallApp,
  ],
] as const) {
  test(`${name} ends only its own call (1011, APP_FAILED); the process and a bystander go on`, async (t) => {
    const server = await startTestServer({ app: withBystander(app) });
    t.after(() => server.close());
    const faulty = await SocketClient.call(server.socketUrl, 'audio/l16;rate=16000', { to: 'faulty' });
    faulty.sendText(dtmfMessage('5', 100));
    faulty.sendBinary(patternFrame(640, 1));
    await waitFor(() => faulty.closed !== undefined, 5000, 'the faulty call to end');
    assert.equal(faulty.closed!.code, 1011);
    assert.ok(
      server.logs.some((line) => line.code === 'VS_ERR_APP_FAILED'),
      'a coded log line',
    );
    await bystanderEchoes(server);
    assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
  });
}

test('play() and write() settle when the call ends with audio still queued', async (t) => {
  let played: PlayResult | undefined;
  let written = false;
  const server = await startTestServer({
    config: { leadMs: 100 },
    app: (session) => {
      session.once('connected', () => {
        // 30 s of audio: far more than the pacer holds before write() waits for room.
        const long = floatToPcm16(sine(300, 30_000, session.sampleRate, 0.2));
        void session.play(long).then((result) => (played = result));
        void session.write(long).then(() => (written = true));
      });
    },
  });
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  await waitFor(() => client.received.binary.length > 2, 3000, 'playback to start');
  await client.close();
  await waitFor(() => played !== undefined && written, 3000, 'play and write to settle');
  assert.equal(played!.completed, false);
});

test('audio listeners behave as on any emitter: prependListener fires first, off() removes a once() listener', async (t) => {
  const order: string[] = [];
  let onceCalls = 0;
  const server = await startTestServer({
    app: (session: CallSession) => {
      const onceListener = () => onceCalls++;
      session.once('audio', onceListener);
      session.off('audio', onceListener);
      session.on('audio', () => order.push('on'));
      session.prependListener('audio', () => order.push('prepended'));
    },
  });
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  client.sendBinary(patternFrame(640, 1));
  client.sendBinary(patternFrame(640, 2));
  await waitFor(() => order.length === 4, 3000, 'both frames seen');
  assert.deepEqual(order, ['prepended', 'on', 'prepended', 'on']);
  assert.equal(onceCalls, 0, 'the once listener was removed by off()');
  await client.close();
});

test('createServer({ config: { app: "./module.js" } }) loads the module, as its message promises', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-module-'));
  const path = join(dir, 'app.mjs');
  await writeFile(path, "export default (call) => call.on('audio', (frame) => call.sendAudio(frame));\n");
  const server = await startTestServer({ config: { app: path } });
  t.after(() => server.close());
  const client = await SocketClient.call(server.socketUrl);
  client.sendBinary(patternFrame(640, 3));
  await waitFor(() => client.received.binary.length === 1, 3000, 'the module echoes');
  await client.close();
});

test('--app ./my-app.ts loads in an ordinary CommonJS folder', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-cjs-'));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'cjs-app', version: '1.0.0' }));
  const app = join(dir, 'my-app.ts');
  await writeFile(
    app,
    "type Call = { on(e: 'audio', f: (x: Buffer) => void): void; sendAudio(b: Buffer): void };\nconst app = (call: Call): void => call.on('audio', (f) => call.sendAudio(f));\nexport default app;\n",
  );
  const child = spawnCli(['serve', '--app', app, '--port', '0', '--host', '127.0.0.1']);
  t.after(() => child.kill('SIGKILL'));
  const ready = await waitForLogLine(child, (line) => typeof line.socket === 'string');
  const client = await SocketClient.call(String(ready.socket));
  client.sendBinary(patternFrame(640, 4));
  await waitFor(() => client.received.binary.length === 1, 5000, 'the TypeScript app echoes');
  await client.close();
});

for (const [what, setup, args, message] of [
  [
    'an mp3 as --file',
    async (dir: string) => {
      const f = join(dir, 'x.mp3');
      await writeFile(f, Buffer.from('ID3\x03\x00\x00\x00fake mp3 data', 'binary'));
      return f;
    },
    (f: string) => ['--app', 'play', '--file', f],
    /playable WAV/,
  ],
  [
    'a truncated WAV as --file',
    async (dir: string) => {
      const f = join(dir, 't.wav');
      await writeFile(f, writeWav(floatToPcm16(sine(440, 100, 16000, 0.3)), 16000).subarray(0, 30));
      return f;
    },
    (f: string) => ['--app', 'play', '--file', f],
    /playable WAV/,
  ],
  [
    'a directory as --file',
    async (dir: string) => {
      const f = join(dir, 'folder.wav');
      await mkdir(f);
      return f;
    },
    (f: string) => ['--app', 'play', '--file', f],
    /not a directory/,
  ],
  [
    'a WAV declaring 1 Hz as --file',
    async (dir: string) => {
      const f = join(dir, 'one-hz.wav');
      await writeFile(f, writeWav(Buffer.alloc(20_000), 1));
      return f;
    },
    (f: string) => ['--app', 'play', '--file', f],
    /unplayable rate 1 Hz/,
  ],
  [
    'a --dir that cannot be created',
    async (dir: string) => {
      const f = join(dir, 'file');
      await writeFile(f, '');
      return join(f, 'recordings');
    },
    (f: string) => ['--app', 'record', '--dir', f],
    /folder this process can write/,
  ],
  ['a --dir under /proc', async () => '/proc/voicesocket/recordings', (f: string) => ['--app', 'record', '--dir', f], /folder this process can write/],
] as const) {
  test(`${what} stops the server at start with one coded line (exit 2)`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vs-appopt-'));
    const target = await setup(dir);
    const { code, stderr } = await runCli(['serve', '--port', '0', '--host', '127.0.0.1', ...args(target)]);
    assert.equal(code, 2, stderr);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, /VS_ERR_CONFIG_INVALID/);
    assert.match(lines[0]!, message);
  });
}
