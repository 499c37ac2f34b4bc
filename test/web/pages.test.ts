/**
 * The dashboard, the softphone and the call history as a user sees them, in one Chromium, at desktop
 * width and at a phone's 390 px, around real calls: the cascaded agent (PocketSphinx hears the
 * emulator's caller, a local chat-completions server plays the model and calls a tool, flite speaks)
 * with the caller talking over its first reply, and the softphone calling the echo app with a fake
 * microphone. Every call is recorded in stereo and kept as a record, so the history shows the same
 * call afterwards. The screenshots the docs show are taken here: into a temporary folder, or into
 * the folder `SCREENSHOTS` names (`SCREENSHOTS=docs node scripts/test.mjs test/web/pages.test.ts`
 * refreshes docs/*.png).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Browser, Page } from 'playwright-core';
import { placeCall, type CallResult } from '../../src/emulator/call.js';
import { echo } from '../../src/apps/echo.js';
import { startVoiceAgent } from '../../src/agents/agent-bridge.js';
import { defineTool } from '../../src/agents/call-tools.js';
import { cascadeProvider } from '../../src/agents/providers/cascade.js';
import type { AgentTurnSnapshot } from '../../src/call/call-types.js';
import { fakeMicrophone, launchBrowser } from '../helpers/browser.js';
import { startFakeChat, type FakeChat } from '../helpers/fake-chat-completions.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';

const FIRST_REPLY =
  'Thank you for calling the shop. We are open from nine to six on every weekday, and I can help you with your orders, your deliveries and your bills.';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1200, height: 900 };

const dir = mkdtempSync(join(tmpdir(), 'vs-pages-'));
const shots = process.env.SCREENSHOTS ?? dir;
let server: TestServer;
let model: FakeChat;
let analyst: FakeChat;
let browser: Browser;
/** The dashboard at both widths, opened before any call and kept open throughout. */
let desktop: Page;
let phone: Page;
const errors: string[] = [];

async function open(viewport: { width: number; height: number }, path: string): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => errors.push(`${path}: ${error.message}`));
  page.on('console', (message) => message.type() === 'error' && errors.push(`${path}: ${message.text()}`));
  await page.goto(`${server.baseUrl}${path}`);
  return page;
}

/** How far the page reaches sideways: more than the viewport's width means a horizontal scroll. */
const scrollWidth = async (page: Page) => (await page.evaluate('document.documentElement.scrollWidth')) as number;

/** What the page's <audio> element offers (the tests are typed without the DOM library). */
interface Player {
  readyState: number;
  duration: number;
  play(): Promise<void>;
  pause(): void;
  addEventListener(event: string, listener: () => void, options: { once: boolean }): void;
}

/**
 * Pixels of the two series' colours inside the chart's plot (the axes' scale labels, left and right,
 * are drawn in the series' colours too, so the margins are left out).
 */
const LINE_PIXELS = `(() => {
  const canvas = document.querySelector('canvas');
  const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  const near = (i, [r, g, b]) => Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 40;
  const ratio = window.devicePixelRatio;
  const count = { calls: 0, frames: 0 };
  for (let y = 0; y < height; y++)
    for (let x = Math.ceil(50 * ratio); x < width - 62 * ratio; x++) {
      const i = (y * width + x) * 4;
      if (near(i, [0xd9, 0x48, 0x0f])) count.calls++;
      if (near(i, [0x19, 0x71, 0xc2])) count.frames++;
    }
  return count;
})()`;

before(async () => {
  model = await startFakeChat({
    turns: [{ say: FIRST_REPLY }, { call: 'order_status', arguments: { order: '42' }, then: 'Your order shipped on Monday.' }],
  });
  analyst = await startFakeChat({
    turns: [
      {
        say: JSON.stringify({
          summary: 'The caller cut the opening short and asked about an order; the agent looked it up: it shipped on Monday.',
          outcome: 'resolved',
          fields: { reason: 'order status', order_number: '42', callback_requested: false },
        }),
      },
    ],
  });
  const orderStatus = defineTool({
    name: 'order_status',
    description: 'The status of an order',
    parameters: z.object({ order: z.string() }),
    execute: ({ order }) => ({ order, status: 'shipped', on: 'Monday' }),
  });
  server = await startTestServer({
    config: {
      recordCalls: join(dir, 'recordings'),
      callRecords: join(dir, 'records'),
      analysisModel: 'gpt-4o-mini',
      analysisUrl: analyst.baseUrl,
      analysisSchema: join(import.meta.dirname, '..', '..', 'docs', 'examples', 'analysis-schema.json'),
      openaiApiKey: analyst.apiKey,
    },
    // The softphone (from "browser") gets the echo; the emulator's caller gets the agent.
    app: (call) =>
      call.once('connected', (identity) =>
        identity.from === 'browser'
          ? echo(call)
          : void startVoiceAgent(call, {
              provider: cascadeProvider({ llm: { model: 'gpt-4o-mini', apiKey: model.apiKey, baseUrl: model.baseUrl } }),
              instructions: 'Answer briefly.',
              greeting: 'Hello! How can I help you today?',
              tools: [orderStatus],
            }),
      ),
  });
  const mic = join(dir, 'mic.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', mic, 'synth', '20', 'sine', '300:900', 'vol', '0.4']);
  browser = await launchBrowser(fakeMicrophone(mic));
  desktop = await open(DESKTOP, '/');
  phone = await open(PHONE, '/');
  await Promise.all([desktop, phone].map((page) => page.waitForSelector('#connection.live', { timeout: 5000 })));
});

after(async () => {
  await browser?.close();
  await server?.close();
  await model?.close();
  await analyst?.close();
});

test('before any call: the command names the address the page came from, "No calls yet", and the chart says what it covers with both lines visible', async () => {
  for (const page of [desktop, phone]) {
    assert.equal(await page.textContent('#call-command'), `voicesocket call ${server.baseUrl}/webhooks/answer`);
    assert.equal(await page.textContent('#no-calls-lead'), 'No calls yet.');
  }
  // Three snapshots (one a second): two seconds of lines, and the caption says that is all there is.
  await desktop.waitForSelector('#chart[data-points="3"]', { timeout: 5000 });
  const caption = (await desktop.textContent('#chart-caption'))!;
  const covered = Number(/^The last (\d+) s: since this page was opened \(it keeps up to 5 min\), one point a second\.$/.exec(caption)?.[1]);
  assert.ok(covered >= 1 && covered <= 3, caption);
  assert.match((await desktop.getAttribute('#chart', 'aria-label'))!, /since this page was opened/);
  // Idle, both series sit on zero: the first line must still show beside the second drawn over it.
  const colours = (await desktop.evaluate(LINE_PIXELS)) as { calls: number; frames: number };
  assert.ok(colours.calls > 100 && colours.frames > 100, `pixels of each line: ${JSON.stringify(colours)}`);
  // On a phone the chart is drawn at its shown size: its labels are not scaled down to a third.
  assert.equal(await phone.evaluate("document.querySelector('canvas').width / document.querySelector('canvas').clientWidth"), 1);
});

let agentCall: Promise<CallResult>;
let softphone: Page;

test('during calls: the cascade turn shows recognition, model, synthesis and ours apart; nothing overflows a phone; the softphone links to the metrics', async () => {
  agentCall = placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    eventUrl: `${server.baseUrl}/webhooks/event`,
    from: '447700900001',
    to: '447700900000',
    durationMs: 12_000,
    talk: 'skip',
    audio: {
      kind: 'script',
      utterances: [
        { text: 'hello I have a question', atMs: 2000 },
        { text: 'where is my order', atMs: 6000 },
      ],
    },
    dtmf: [{ digit: '1', atMs: 11_000 }],
  });
  softphone = await open(PHONE, '/phone?autostart=1&fast=1');
  const links = await softphone.$$eval('nav a', (list) => list.map((a) => a.getAttribute('href')));
  assert.deepEqual(links, ['/', '/phone', '/history', '/metrics']);
  await softphone.waitForFunction(() => window.voicesocket?.state === 'connected', undefined, { timeout: 10_000 });

  // The reply to the first words: its latency with our recognition and synthesis apart from the model's.
  const latency = await desktop.waitForSelector('#calls tr.agent li .latency:has(.recognition)', { timeout: 10_000 });
  const shown = (await latency.textContent())!;
  const parts = /^(\d+) ms to first audio \(recognition (\d+) ms \+ model (\d+) ms \+ synthesis (\d+) ms \+ voicesocket (\d+) ms\)$/.exec(shown);
  assert.ok(parts, shown);
  const { calls } = (await (await fetch(`${server.baseUrl}/api/calls`)).json()) as { calls: Array<{ agent?: { turns: AgentTurnSnapshot[] } }> };
  const measured = calls.flatMap((call) => call.agent?.turns ?? []).find((turn) => turn.latency?.recognitionMs !== undefined)!.latency!;
  assert.deepEqual(parts.slice(1).map(Number), [measured.totalMs, measured.recognitionMs, measured.modelMs, measured.synthesisMs, measured.oursMs]);

  await desktop.waitForSelector('#calls tr.agent li .interrupted', { timeout: 10_000 });
  await phone.waitForFunction("document.querySelectorAll('#calls tr.call').length === 2", undefined, { timeout: 5000 });
  for (const page of [phone, softphone]) assert.ok((await scrollWidth(page)) <= PHONE.width, `${page.url()} is ${await scrollWidth(page)} px wide`);
  await desktop.click('#calls tr.call:not([data-uuid^="browser"]) td:nth-child(2)');
  await desktop.waitForSelector('#calls tr.timeline li');
  await desktop.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
  await phone.screenshot({ path: join(shots, 'dashboard-mobile.png'), fullPage: true });
  await softphone.screenshot({ path: join(shots, 'phone-mobile.png'), fullPage: true });
  await softphone.setViewportSize({ width: 1100, height: 700 });
  await softphone.screenshot({ path: join(shots, 'phone.png') });
  await softphone.evaluate(() => window.voicesocket.hangup());
  const result = await agentCall;
  assert.equal(result.accepted, true, result.problems.join('; '));
});

test('after the calls: the empty state no longer says "No calls yet"', async () => {
  await waitFor(() => server.server.registry.activeCalls === 0, 5000, 'the calls to end');
  await desktop.waitForFunction("document.querySelectorAll('#calls tbody tr').length === 0", undefined, { timeout: 5000 });
  assert.equal(await desktop.textContent('#no-calls-lead'), 'No live calls.');
  assert.equal(await desktop.locator('#recent tr.call').count(), 2);
  assert.equal(await desktop.isHidden('#no-recent'), true);
});

test('the call history of the agent call: its timeline with the barge-in, the stereo recording playing, the transcript with the cut struck through', async () => {
  const records = join(dir, 'records');
  // The agent's record is written after its analysis; the softphone's without one.
  await waitFor(() => readdirSync(records).filter((name) => name.endsWith('.json')).length === 2, 10_000, 'both records');
  const history = await open(DESKTOP, '/history');
  const row = history.locator('#history tr.call', { hasText: '447700900001' });
  await row.click();
  await history.waitForSelector('#detail svg.call-timeline');
  // A real call under load may see a second cut (the caller heard again while the tool's answer begins):
  // at least the first reply's is there.
  assert.ok((await history.locator('svg .barge-in').count()) >= 1, 'the barge-in');
  assert.ok((await history.locator('svg .unheard').count()) >= 1, 'the part of the cut reply the caller never heard');
  assert.equal(await history.textContent('svg .tool-label'), 'order_status');
  assert.equal(await history.textContent('svg .dtmf'), '1');

  const cut = history.locator('.history-transcript li.agent.cut', { hasText: 'Thank you for calling' });
  const heard = (await cut.locator('.heard').textContent())!;
  const unheard = (await cut.locator('.unheard').textContent())!;
  assert.ok(heard.length > 0 && unheard.length > 0 && FIRST_REPLY === heard + unheard, `heard "${heard}", cut "${unheard}"`);
  assert.match(
    await cut.locator('.unheard').evaluate((node) => (getComputedStyle(node) as unknown as { textDecorationLine: string }).textDecorationLine),
    /line-through/,
  );

  // The recording: stereo WAV the page plays, as long as the record says.
  const name = (await row.getAttribute('data-name'))!;
  const record = (await (await fetch(`${server.baseUrl}/api/history/${name}`)).json()) as { recording: { durationMs: number } };
  const audio = history.locator('#detail audio');
  await audio.evaluate((node) =>
    (node as unknown as Player).readyState >= 1
      ? undefined
      : new Promise<void>((resolve) => (node as unknown as Player).addEventListener('loadedmetadata', resolve, { once: true })),
  );
  assert.ok(Math.abs((await audio.evaluate((node) => (node as unknown as Player).duration)) * 1000 - record.recording.durationMs) < 50);
  await audio.evaluate((node) => (node as unknown as Player).play());
  await history.waitForFunction('document.querySelector("#detail audio").currentTime > 0.3', undefined, { timeout: 10_000 });
  await audio.evaluate((node) => (node as unknown as Player).pause());
  await history.screenshot({ path: join(shots, 'history.png'), fullPage: true });

  const narrow = await open(PHONE, `/history#${name}`);
  await narrow.waitForSelector('#detail svg.call-timeline');
  const wide = await narrow.evaluate(
    `[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 390).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ')`,
  );
  assert.ok((await scrollWidth(narrow)) <= PHONE.width, `the history is ${await scrollWidth(narrow)} px wide: ${wide}`);
  await narrow.screenshot({ path: join(shots, 'history-mobile.png'), fullPage: true });
  assert.deepEqual(errors, []);
});
