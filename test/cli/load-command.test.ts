/**
 * `voicesocket load`: many emulated calls at once (the CLI and its engine), with speaking callers,
 * sockets that all fail, and progress that follows time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';
import { runLoad, type LoadProgress, type LoadReport } from '../../src/emulator/load.js';
import { formatLoadReport } from '../../src/cli/load.js';
import { voiceMenuApp } from '../../src/apps/voice-menu.js';
import { startSampleApp } from '../fixtures/sample-apps.js';

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
  const heard = [...call.stdout.matchAll(/heard\s+at ([\d.]+) s: "([^"]+)"/g)].map((match) => ({ atS: Number(match[1]), text: match[2] }));
  // Only the routing, after the caller spoke at 5 s. The menu's prompt is none of the phrases: a
  // grammar forced it onto "connecting you to support" 0.3 s into the call, words nobody had said.
  assert.equal(heard.length, 1, call.stdout);
  assert.equal(heard[0]!.text, 'connecting you to support', call.stdout);
  assert.ok(heard[0]!.atS > 5, call.stdout);
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
