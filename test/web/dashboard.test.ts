import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeCall } from '../../src/emulator/call.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { launchBrowser } from '../helpers/browser.js';

test('GET /api/calls lists active calls with their identity, state and frame counts', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const call = placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    eventUrl: `${server.baseUrl}/webhooks/event`,
    durationMs: 1500,
    talk: 'skip',
    audio: { kind: 'tone', frequency: 440 },
  });
  await waitFor(() => [...server.server.registry.activeSessions()].some((s) => s.stats.framesIn > 10), 5000);
  const { calls } = (await (await fetch(`${server.baseUrl}/api/calls`)).json()) as { calls: Array<Record<string, unknown>> };
  assert.equal(calls.length, 1);
  const [live] = calls;
  for (const key of ['uuid', 'conversationUuid', 'state', 'framesIn', 'framesOut', 'startedAt']) assert.ok(key in live!, key);
  assert.equal(live!.state, 'active');
  assert.ok((live!.framesIn as number) > 10);
  assert.ok((live!.levelInDb as number) > -30, "the caller's tone shows on the level meter");
  await call;
  const after = (await (await fetch(`${server.baseUrl}/api/calls`)).json()) as { calls: unknown[]; recent: Array<Record<string, unknown>> };
  assert.equal(after.calls.length, 0);
  assert.equal(after.recent[0]!.closeCode, 1000, 'recently ended calls stay visible');
});

test('the dashboard shows a call placed by a test client within seconds, with no console errors', async (t) => {
  const server = await startTestServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.baseUrl}/`);
  await page.waitForSelector('#connection.live', { timeout: 5000 });
  const call = placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    eventUrl: `${server.baseUrl}/webhooks/event`,
    durationMs: 3000,
    talk: 'skip',
    audio: { kind: 'tone', frequency: 440 },
  });
  await waitFor(() => [...server.server.registry.activeSessions()].some((s) => s.identity.uuid !== undefined), 5000);
  const uuid = [...server.server.registry.activeSessions()][0]!.identity.uuid!;
  const started = Date.now();
  await page.waitForSelector(`#calls tr[data-uuid="${uuid}"]`, { timeout: 5000 });
  assert.ok(Date.now() - started < 5000);
  assert.equal(await page.textContent('#active-calls'), '1');
  // Its timeline: a click anywhere on the call's row (here its From → To cell) shows webhook and socket events.
  await page.click(`#calls tr[data-uuid="${uuid}"] td:nth-child(2)`);
  await page.waitForSelector('#calls tr.timeline li.socket', { timeout: 3000 });
  // The chart has labelled axes (both series' scales and the time) and its legend outside the plot.
  const axes = await page.getAttribute('#chart', 'data-axes');
  assert.match(axes ?? '', /active calls:0-\d+ frames\/s:0-\d+ time:−\d+ s,−\d+ s,now/);
  assert.match((await page.textContent('#chart-legend')) ?? '', /active calls \(axis 0–\d+, left\)frames\/s \(axis 0–\d+, right\)/);
  await call;
  await page.waitForSelector(`#recent tr[data-uuid="${uuid}"]`, { timeout: 5000 });
  assert.equal(await page.textContent(`#recent tr[data-uuid="${uuid}"] td:last-child`), '1000 normal', 'the close code with its meaning');
  assert.deepEqual(errors, []);
});
