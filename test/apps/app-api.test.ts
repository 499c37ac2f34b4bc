import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeCall } from '../../src/emulator/call.js';
import type { CallSession, PlayResult } from '../../src/call/call-session.js';
import { floatToPcm16 } from '../../src/audio/pcm.js';
import { sine } from '../../src/audio/tone.js';
import { writeWav } from '../../src/audio/wav.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { runCli, spawnCli, waitForLogLine } from '../helpers/cli.js';

test("play resolves completed and confirmed by Vonage's notify; played position matches the audio", async (t) => {
  let outcome: PlayResult | undefined;
  const notified: unknown[] = [];
  const server = await startTestServer({
    app: (session) => {
      session.on('notify', (payload) => notified.push(payload));
      session.once('connected', async () => {
        outcome = await session.play(floatToPcm16(sine(440, 600, session.sampleRate, 0.3)));
        await session.mark({ step: 'after' });
      });
    },
  });
  t.after(() => server.close());
  const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 1500, talk: 'skip' });
  assert.deepEqual(outcome && { completed: outcome.completed, confirmed: outcome.confirmed }, { completed: true, confirmed: true });
  assert.ok(Math.abs(outcome!.playedMs - 600) <= 20, `${outcome!.playedMs} ms played`);
  assert.deepEqual(notified, [{}, { step: 'after' }], 'the app sees its payloads without the internal marker key');
  assert.equal(result.leg?.marksSent, 2);
  assert.equal(result.leg?.marksReported, 2);
});

test('clear interrupts play: play resolves not completed, clear resolves acknowledged', async (t) => {
  let outcome: PlayResult | undefined;
  let acknowledged: boolean | undefined;
  const server = await startTestServer({
    app: (session) => {
      session.once('connected', async () => {
        outcome = await session.play(floatToPcm16(sine(440, 5000, session.sampleRate, 0.3)));
      });
      session.once('dtmf', async () => {
        acknowledged = await session.clear();
      });
    },
  });
  t.after(() => server.close());
  await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 1200, talk: 'skip', dtmf: [{ digit: '1', atMs: 500 }] });
  await waitFor(() => outcome !== undefined && acknowledged !== undefined);
  assert.equal(outcome!.completed, false);
  assert.equal(acknowledged, true);
  assert.ok(outcome!.playedMs > 300 && outcome!.playedMs < 800, `${outcome!.playedMs} ms heard before the clear`);
});

test('play accepts a WAV path and an async stream of chunks', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-api-'));
  const wav = join(dir, 'p.wav');
  await writeFile(wav, writeWav(floatToPcm16(sine(300, 300, 48000, 0.3)), 48000));
  const outcomes: PlayResult[] = [];
  const server = await startTestServer({
    app: (session: CallSession) => {
      session.once('connected', async () => {
        outcomes.push(await session.play(wav));
        async function* chunks() {
          for (let i = 0; i < 5; i++) yield Buffer.alloc(999); // odd sizes: re-framed
        }
        outcomes.push(await session.play(chunks()));
      });
    },
  });
  t.after(() => server.close());
  const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 1500, talk: 'skip' });
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.deepEqual(
    outcomes.map((o) => o.completed),
    [true, true],
  );
});

test('serve --app loads a user module (default export); a module that throws at call start ends only its call', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-userapp-'));
  const good = join(dir, 'my-app.mjs');
  await writeFile(
    good,
    `export default (session) => { session.on('audio', (frame) => session.sendAudio(frame)); session.on('dtmf', () => { throw new Error('boom'); }); };\n`,
  );
  const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--app', good]);
  t.after(() => child.kill('SIGTERM'));
  const ready = await waitForLogLine(child, (line) => typeof line.socket === 'string');
  const base = String(ready.answerUrl).replace('/webhooks/answer', '');
  const echoed = await placeCall({ answerUrl: `${base}/webhooks/answer`, durationMs: 500, talk: 'skip' });
  assert.equal(echoed.leg?.lost, 0);
  const failing = await placeCall({ answerUrl: `${base}/webhooks/answer`, durationMs: 2000, talk: 'skip', dtmf: [{ digit: '1', atMs: 100 }] });
  assert.equal(failing.leg?.end, 'app-closed');
  assert.equal(failing.leg?.closeCode, 1011);
  const after = await placeCall({ answerUrl: `${base}/webhooks/answer`, durationMs: 300, talk: 'skip' });
  assert.equal(after.accepted, true, 'the server goes on');

  const broken = join(dir, 'not-an-app.mjs');
  await writeFile(broken, 'export default 42;\n');
  const refused = await runCli(['serve', '--app', broken]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /default export must be a function/);
  const missing = await runCli(['serve', '--app', 'play']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--file is required by the play app/);
});
