/**
 * What the dashboard shows of a call beyond its counters, in Chromium. The `transcribe` app's live
 * transcript: who is speaking, the interim result greyed while the caller talks, then the final one
 * solid with its sentiment, matching `/api/calls` (the engine is Deepgram's, against the local fake
 * of its protocol, so the words are known in advance; the offline engine's own calls are tested in
 * test/apps/speech-apps.test.ts). A voice agent's turns, interruption and latency split.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { placeCall } from '../../src/emulator/call.js';
import { transcribeCalls } from '../../src/apps/index.js';
import { speechEngines } from '../../src/speech/engines.js';
import { startFakeDeepgram } from '../helpers/fake-deepgram.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import { launchBrowser } from '../helpers/browser.js';
import { RealtimeAgent } from '@openai/agents-realtime';
import { startAgent } from '../../src/agents/start-agent.js';
import { startFakeRealtime } from '../helpers/fake-openai-realtime.js';

/** Chromium on the dashboard, live; page errors collected; everything closed after the test. */
async function openDashboard(t: TestContext, server: TestServer, fake: { close(): Promise<void> }) {
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.close();
    await fake.close();
  });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.baseUrl}/`);
  await page.waitForSelector('#connection.live', { timeout: 5000 });
  return { page, errors };
}

const SAID = 'I am really happy with the service you gave me today, thank you so much';

test('transcribe: the dashboard shows the live transcript, interim greyed then final solid with sentiment, and who is speaking', async (t) => {
  const fake = await startFakeDeepgram({ transcripts: ['I am really happy with the service you gave me today, thank you so much.'] });
  const server = await startTestServer({
    app: transcribeCalls(),
    speech: speechEngines({ speechToText: 'deepgram', deepgramApiKey: fake.apiKey, deepgramUrl: fake.url }),
  });
  const { page, errors } = await openDashboard(t, server, fake);
  const call = placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 9000,
    talk: 'skip',
    // About 4 s of speech: the 1 s snapshots catch the interim result and the caller speaking.
    audio: { kind: 'script', utterances: [{ text: SAID, atMs: 1000 }] },
  });
  const interim = await page.waitForSelector('#calls tr.speech li.interim .words', { timeout: 8000 });
  assert.equal(await interim.textContent(), 'I');
  const style = await interim.evaluate((element) => getComputedStyle(element));
  assert.equal(style.fontStyle, 'italic');
  assert.equal(style.color, 'rgb(108, 117, 125)', 'interim words are greyed');
  assert.match((await page.textContent('#calls tr.speech .speaking')) ?? '', /speaking: caller/);
  const final = await page.waitForSelector('#calls tr.speech li.final .words', { timeout: 8000 });
  assert.equal(await final.textContent(), 'I am really happy with the service you gave me today, thank you so much.');
  assert.equal(await final.evaluate((element) => getComputedStyle(element).fontStyle), 'normal');
  assert.match((await page.textContent('#calls tr.speech li.final .sentiment.positive')) ?? '', /^positive \+\d+$/);
  // The dashboard shows what /api/calls says.
  const { calls } = (await (await fetch(`${server.baseUrl}/api/calls`)).json()) as {
    calls: Array<{ speech?: { transcript: Array<{ text: string; kind: string }> } }>;
  };
  assert.deepEqual(
    calls[0]?.speech?.transcript.filter((line) => line.kind === 'final').map((line) => line.text),
    ['I am really happy with the service you gave me today, thank you so much.'],
  );
  await page.waitForSelector('#calls tr.speech .speaking:not(.active)', { timeout: 5000 });
  await call;
  await waitFor(() => server.server.registry.activeCalls === 0, 3000, 'the call to end');
  assert.deepEqual(errors, []);
});

test('agent: the dashboard shows each turn, what the caller and the agent said, the interruption and the latency split', async (t) => {
  const reply = 'We are open from nine in the morning until six in the evening, every day of the week except on public holidays.';
  const fake = await startFakeRealtime({ turns: [{ say: reply, heard: 'when are you open' }, null] });
  const server = await startTestServer({
    app: (call) => void startAgent(call, { agent: new RealtimeAgent({ name: 'Test', instructions: 'Be brief.' }), apiKey: fake.apiKey, url: fake.url }),
  });
  const { page, errors } = await openDashboard(t, server, fake);
  const call = placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 9000,
    talk: 'skip',
    audio: {
      kind: 'script',
      utterances: [
        { text: 'when are you open', atMs: 800 },
        { text: 'thank you', atMs: 5000 },
      ],
    },
  });
  await page.waitForSelector('#calls tr.agent li .agent', { timeout: 8000 });
  assert.equal(await page.textContent('#calls tr.agent li.provider'), 'agent on openai');
  assert.equal(await page.textContent('#calls tr.agent li .caller'), 'caller: when are you open');
  assert.equal(await page.textContent('#calls tr.agent li .agent'), `agent: ${reply}`);
  assert.match((await page.textContent('#calls tr.agent li .latency')) ?? '', /^\d+ ms to first audio \(model \d+ ms \+ voicesocket \d+ ms\)$/);
  const interrupted = await page.waitForSelector('#calls tr.agent li .interrupted', { timeout: 8000 });
  assert.match((await interrupted.textContent()) ?? '', /^interrupted: heard \d+\.\d s of \d+\.\d s$/);
  await call;
  assert.deepEqual(errors, []);
});
