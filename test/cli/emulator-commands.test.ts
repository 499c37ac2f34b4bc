import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';
import { startBrokenApp } from '../fixtures/broken-app.js';
import { readWav } from '../../src/audio/wav.js';
import { runLoad, type LoadProgress, type LoadReport } from '../../src/emulator/load.js';
import { formatLoadReport } from '../../src/cli/load.js';
import { voiceMenuApp } from '../../src/apps/voice-menu.js';
import { startSampleApp } from '../fixtures/sample-apps.js';

const run = promisify(execFile);

test('voicesocket call: timeline, measurements, a WAV of what was heard, exit 0 when accepted', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-'));
  const wav = join(dir, 'heard.wav');
  const { code, stdout } = await runCli([
    'call',
    `${server.baseUrl}/webhooks/answer`,
    '--event-url',
    `${server.baseUrl}/webhooks/event`,
    '--duration',
    '1s',
    '--talk',
    'skip',
    '--tone',
    '440',
    '--dtmf',
    '1@300ms',
    '--record',
    wav,
    '--rate',
    '16000',
  ]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /dtmf 1 sent/);
  assert.match(stdout, /round trip\s+p50/);
  assert.match(stdout, /verdict\s+accepted/);
  const heard = readWav(await readFile(wav));
  assert.equal(heard.sampleRate, 16000);
  // sox, an independent reader, agrees the file is valid.
  const { stderr } = await run('sox', ['--i', wav]);
  assert.equal(stderr, '');
  const info = (await run('soxi', ['-r', wav])).stdout.trim();
  assert.equal(info, '16000');
});

test('voicesocket call exits 1 when the app sends a short frame, and says why', async (t) => {
  const app = await startBrokenApp('short-final-frame');
  t.after(() => app.close());
  const { code, stdout } = await runCli(['call', app.answerUrl, '--duration', '1s', '--talk', 'skip']);
  assert.equal(code, 1);
  assert.match(stdout, /unexpected frame size 160, when required 320/);
  assert.match(stdout, /REJECTED/);
});

test("voicesocket load: bounded concurrent calls, zero loss, a report with the generator's own load", async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const { code, stdout } = await runCli([
    'load',
    `${server.baseUrl}/webhooks/answer`,
    '--calls',
    '20',
    '--duration',
    '2s',
    '--ramp',
    '200ms',
    '--warmup',
    '500ms',
    '--json',
  ]);
  assert.equal(code, 0, stdout);
  const report = JSON.parse(stdout) as LoadReport;
  assert.equal(report.connected, 20);
  assert.equal(report.lost, 0);
  assert.equal(report.violations, 0);
  assert.ok((report.rtt?.count ?? 0) > 500);
  assert.equal(typeof report.generatorLoad, 'number');
});

test('voicesocket load with speaking callers, and call --hear: every caller who says "support" is routed there and hears so', async (t) => {
  const server = await startTestServer({ app: await voiceMenuApp.create({}) });
  t.after(() => server.close());
  const load = await runCli(['load', `${server.baseUrl}/webhooks/answer`, '--calls', '4', '--duration', '10s', '--say', '"support"@5s', '--json']);
  assert.equal(load.code, 0, load.stdout);
  const report = JSON.parse(load.stdout) as LoadReport;
  assert.deepEqual(report.endings, { 'app closed 1000 menu: transferred to support': 4 });
  const phrases = ['connecting you to sales', 'connecting you to support', 'connecting you to operator'];
  const call = await runCli([
    'call',
    `${server.baseUrl}/webhooks/answer`,
    '--talk',
    'skip',
    '--duration',
    '10s',
    '--say',
    '"support"@5s',
    '--hear',
    phrases.join(','),
  ]);
  assert.equal(call.code, 0, call.stdout);
  const heard = [...call.stdout.matchAll(/heard\s+at [\d.]+ s: "([^"]+)"/g)].map((match) => match[1]);
  // The menu's prompt is heard too (forced into one of the phrases); the last thing heard is the routing.
  assert.equal(heard.at(-1), 'connecting you to support', call.stdout);
});

test('voicesocket check: exit 0 against our server, 0 with WARN for what Vonage tolerates, 1 on a FAIL', async (t) => {
  const server = await startTestServer();
  const echoesText = await startBrokenApp('text-echo');
  const shortFrame = await startBrokenApp('short-final-frame');
  t.after(() => Promise.all([server.close(), echoesText.close(), shortFrame.close()]));
  const good = await runCli(['check', `${server.baseUrl}/webhooks/answer`, '--duration', '1s']);
  assert.equal(good.code, 0, good.stdout);
  assert.match(good.stdout, /0 warned, 0 failed/);
  const warned = await runCli(['check', echoesText.answerUrl, '--duration', '1s']);
  assert.equal(warned.code, 0, warned.stdout);
  assert.match(warned.stdout, /WARN\s+no-stray-text/);
  const bad = await runCli(['check', shortFrame.answerUrl, '--duration', '1s']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /FAIL\s+exact-frames/);
});

test('voicesocket call --record: the WAV holds the talk greeting before the socket audio', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-'));
  const wav = join(dir, 'heard.wav');
  const { code, stdout } = await runCli(['call', `${server.baseUrl}/webhooks/answer`, '--duration', '1s', '--record', wav]);
  assert.equal(code, 0, stdout);
  const heard = readWav(await readFile(wav));
  const samples = heard.channels[0]!;
  const seconds = samples.length / heard.sampleRate;
  const talkMs = Number(/talk (\d+) ms/.exec(stdout)?.[1]);
  assert.ok(talkMs > 1000, `the greeting was spoken (${talkMs} ms)`);
  assert.ok(seconds * 1000 >= talkMs + 900, `${seconds.toFixed(2)} s recorded: greeting and the call`);
  const firstSecond = samples.subarray(0, heard.sampleRate);
  const rms = Math.sqrt(firstSecond.reduce((sum, x) => sum + x * x, 0) / firstSecond.length);
  assert.ok(rms > 0.01, `speech at the start of the recording (rms ${rms.toFixed(4)})`);
});

test('voicesocket call --record into a folder that does not exist fails at once, before the call', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const started = Date.now();
  const { code, stderr } = await runCli([
    'call',
    `${server.baseUrl}/webhooks/answer`,
    '--duration',
    '5s',
    '--talk',
    'skip',
    '--record',
    join(tmpdir(), 'no-such-dir-vs', 'x.wav'),
  ]);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /VS_ERR_CONFIG_INVALID.*--record.*ENOENT/);
  // Bound with a reason: the call would have taken 5 s; a refusal before it takes one process start.
  assert.ok(Date.now() - started < 4000);
});

test('voicesocket load when every socket fails: no negative live count, failures counted, loss not claimed', async (t) => {
  const app = await startSampleApp('python-tutorial'); // wss:// over plain HTTP: every socket fails
  t.after(() => app.close());
  const progress: LoadProgress[] = [];
  const report = await runLoad({ answerUrl: app.answerUrl, calls: 6, durationMs: 1200, rampMs: 100, workers: 1, onProgress: (p) => progress.push(p) });
  assert.equal(report.connected, 0);
  assert.equal(report.failed, 6);
  assert.ok(progress.length > 0);
  assert.ok(
    progress.every((p) => p.live >= 0),
    JSON.stringify(progress),
  );
  assert.ok(progress.some((p) => p.failed > 0));
  assert.match(formatLoadReport(report), /echo\s+not measured: no call connected/);
});

test('voicesocket load progress follows time, not ended calls', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const progress: LoadProgress[] = [];
  await runLoad({ answerUrl: `${server.baseUrl}/webhooks/answer`, calls: 4, durationMs: 1500, rampMs: 100, workers: 1, onProgress: (p) => progress.push(p) });
  const beforeAnyEnded = progress.filter((p) => p.ended === 0);
  assert.ok(
    beforeAnyEnded.some((p) => p.elapsed > 0.2 && p.live === 4),
    JSON.stringify(progress),
  );
});

test('bad emulator options exit 2 with one line naming the option', async () => {
  for (const args of [
    ['call', 'not-a-url'],
    ['load', 'http://127.0.0.1:1/a', '--calls', '0'],
    ['call', 'http://127.0.0.1:1/a', '--dtmf', 'x@y'],
    ['call', 'http://127.0.0.1:1/a', '--hear', 'you said sales,,'],
    // These printed a stack (a RangeError from the load engine), or commander's error and the whole help with exit 1.
    ['load', 'http://127.0.0.1:1/a', '--calls', '2', '--duration', '2h'],
    ['load', 'http://127.0.0.1:1/a', '--calls', '2', '--host', '999.1.1.1'],
    ['load', 'http://127.0.0.1:1/a'],
    ['no-such-command'],
  ]) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, /VS_ERR_CONFIG_INVALID/);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  }
});
