import { test } from 'node:test';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  // "Before the call" is proven by the answer URL never being asked, not by a wall-clock bound (a
  // process start took over 4 s on a busy machine: that bound failed in a full run).
  let answerRequests = 0;
  const answer = createHttpServer((_request, response) => {
    answerRequests++;
    response.end('[]');
  });
  await new Promise<void>((resolve) => answer.listen(0, '127.0.0.1', resolve));
  t.after(() => answer.close());
  const { code, stdout, stderr } = await runCli([
    'call',
    `http://127.0.0.1:${(answer.address() as AddressInfo).port}/webhooks/answer`,
    '--duration',
    '5s',
    '--talk',
    'skip',
    '--record',
    join(tmpdir(), 'no-such-dir-vs', 'x.wav'),
  ]);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /VS_ERR_CONFIG_INVALID.*--record.*ENOENT/);
  assert.equal(answerRequests, 0, 'no answer webhook was fetched');
  assert.equal(stdout, '', 'no call timeline');
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

test('an app that fails every call with 1011 is not "accepted": call says FAILED, load counts it, check FAILs it; each exits 1', async (t) => {
  // A bug on the tenth frame of every call: the session closes it with 1011 (VS_ERR_APP_FAILED).
  const server = await startTestServer({
    app: (session) => {
      let frames = 0;
      session.on('audio', (frame) => {
        if (++frames === 10) throw new Error('a bug in the app');
        session.sendAudio(frame);
      });
    },
  });
  t.after(() => server.close());
  const answerUrl = `${server.baseUrl}/webhooks/answer`;
  const [call, load, check] = await Promise.all([
    runCli(['call', answerUrl, '--duration', '1s', '--talk', 'skip']),
    runCli(['load', answerUrl, '--calls', '3', '--duration', '1s', '--warmup', '0s']),
    runCli(['check', answerUrl, '--duration', '1s']),
  ]);
  assert.equal(call.code, 1, call.stdout);
  assert.match(
    call.stdout,
    /verdict\s+FAILED: the app closed it with 1011 \(an internal error: app error\) \d+ ms into the call; Vonage would have accepted what it sent/,
  );
  assert.doesNotMatch(call.stdout, /verdict\s+accepted/);
  assert.equal(load.code, 1, load.stdout);
  assert.match(load.stdout, /3 FAILED by the app \(1011 or 1006\)/);
  assert.equal(check.code, 1, check.stdout);
  assert.match(check.stdout, /FAIL\s+no-app-error\s+in 3 of 3 calls: the app closed it with 1011/);
});
