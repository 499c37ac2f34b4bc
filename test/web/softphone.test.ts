import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { echo } from '../../src/apps/echo.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { fakeMicrophone, launchBrowser } from '../helpers/browser.js';

const run = promisify(execFile);

/** The softphone in Chromium with `wav` as its microphone; page errors and console errors collected. */
async function openPhone(t: TestContext, server: TestServer, wav: string) {
  const browser = await launchBrowser(fakeMicrophone(wav));
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto(`${server.baseUrl}/phone?fast=1`);
  return { page, errors };
}

interface PhoneStats {
  framesSent: number;
  framesReceived: number;
  echoed: number;
  rttAvgMs: number | null;
  micLevelDb: number | null;
  receivedLevelDb: number | null;
}

test('the softphone calls the echo server from Chromium with a fake microphone and gets its own audio back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-phone-'));
  const wav = join(dir, 'mic.wav');
  await run('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', wav, 'synth', '10', 'sine', '440', 'vol', '0.5']);
  const digits: string[] = [];
  const server = await startTestServer({
    app: (call) => {
      echo(call);
      call.on('dtmf', ({ digit }) => digits.push(digit));
    },
  });
  const { page, errors } = await openPhone(t, server, wav);
  const meterWidths = async () =>
    Promise.all(['#mic-level span', '#out-level span'].map(async (selector) => (await page.locator(selector).boundingBox())?.width));
  assert.deepEqual(await meterWidths(), [0, 0], 'idle: empty meters');
  await page.evaluate(() => window.voicesocket.start());
  await page.waitForFunction(() => window.voicesocket?.state === 'connected', undefined, { timeout: 10_000 });
  await page.waitForFunction(() => window.voicesocket.stats.framesReceived > 150, undefined, { timeout: 10_000 });
  const stats = (await page.evaluate(() => window.voicesocket.stats)) as PhoneStats;
  // Content, not just bytes: received frames carry the tags of frames we sent, so they are our audio.
  assert.ok(stats.echoed / stats.framesReceived > 0.9, `${stats.echoed} of ${stats.framesReceived} received frames were our own`);
  assert.ok((stats.micLevelDb ?? -99) > -20, `microphone level ${stats.micLevelDb} dBFS (the 440 Hz file)`);
  assert.ok((stats.receivedLevelDb ?? -99) > -20, `returned level ${stats.receivedLevelDb} dBFS`);
  assert.ok(stats.rttAvgMs !== null && stats.rttAvgMs < 100, `round trip ${stats.rttAvgMs} ms`);
  // The server saw a real call: at the rate the NCCO asked for, with DTMF from the keypad.
  const session = [...server.server.registry.activeSessions()][0]!;
  assert.equal(session.sampleRate, 16000);
  assert.equal(session.identity.from, 'browser');
  await page.click('#keypad button:has-text("5")');
  await waitFor(() => digits.includes('5'), 3000, 'the DTMF key');
  await page.evaluate(() => window.voicesocket.hangup());
  await waitFor(() => server.server.registry.activeCalls === 0, 3000);
  assert.equal(await page.evaluate(() => window.voicesocket.state), 'ended');
  assert.deepEqual(await meterWidths(), [0, 0], 'after the call: empty meters');
  assert.deepEqual(errors, []);
});

test('the softphone shows what the server heard: a caller saying "support" into the microphone, transcribed by PocketSphinx', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-phone-'));
  const spoken = join(dir, 'spoken.wav');
  const wav = join(dir, 'mic.wav');
  await run('espeak-ng', ['-w', spoken, 'support']);
  // Chromium loops the file: half a second of silence, the word, two seconds of silence.
  await run('sox', [spoken, '-r', '48000', wav, 'pad', '0.5', '2']);
  const server = await startTestServer({ app: (call) => void call.transcribe({ choices: ['sales', 'support', 'operator'] }) });
  const { page, errors } = await openPhone(t, server, wav);
  await page.evaluate(() => window.voicesocket.start());
  await page.waitForFunction(() => window.voicesocket?.state === 'connected', undefined, { timeout: 10_000 });
  await page.waitForSelector('#heard li.final .words', { timeout: 15_000 });
  assert.equal(await page.textContent('#heard li.final .words'), 'support');
  const heard = await page.evaluate(() => window.voicesocket.heard);
  assert.equal(heard[0], 'support');
  await page.evaluate(() => window.voicesocket.hangup());
  assert.deepEqual(errors, []);
});
