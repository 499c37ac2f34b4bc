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
import type { LoadReport } from '../../src/emulator/load.js';

const run = promisify(execFile);

test('voicesocket call: timeline, measurements, a WAV of what was heard, exit 0 when accepted', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-'));
  const wav = join(dir, 'heard.wav');
  const { code, stdout } = await runCli(['call', `${server.baseUrl}/webhooks/answer`, '--event-url', `${server.baseUrl}/webhooks/event`, '--duration', '1s', '--talk', 'skip', '--tone', '440', '--dtmf', '1@300ms', '--record', wav, '--rate', '16000']);
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

test('voicesocket load: bounded concurrent calls, zero loss, a report with the generator\'s own load', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const { code, stdout } = await runCli(['load', `${server.baseUrl}/webhooks/answer`, '--calls', '20', '--duration', '2s', '--ramp', '200ms', '--warmup', '500ms', '--json']);
  assert.equal(code, 0, stdout);
  const report = JSON.parse(stdout) as LoadReport;
  assert.equal(report.connected, 20);
  assert.equal(report.lost, 0);
  assert.equal(report.violations, 0);
  assert.ok((report.rtt?.count ?? 0) > 500);
  assert.equal(typeof report.generatorLoad, 'number');
});

test('voicesocket check: exit 0 against our server, 1 against a broken app', async (t) => {
  const server = await startTestServer();
  const app = await startBrokenApp('text-echo');
  t.after(() => Promise.all([server.close(), app.close()]));
  const good = await runCli(['check', `${server.baseUrl}/webhooks/answer`, '--duration', '1s']);
  assert.equal(good.code, 0, good.stdout);
  assert.match(good.stdout, /0 failed/);
  const bad = await runCli(['check', app.answerUrl, '--duration', '1s']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /FAIL\s+no-stray-text/);
});

test('bad emulator options exit 2 with one line naming the option', async () => {
  for (const args of [['call', 'not-a-url'], ['load', 'http://127.0.0.1:1/a', '--calls', '0'], ['call', 'http://127.0.0.1:1/a', '--dtmf', 'x@y']]) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, /VS_ERR_CONFIG_INVALID/);
  }
});
