/**
 * The `transcribe` app's live transcript on the dashboard, in Chromium: who is speaking, the interim
 * result greyed while the caller talks, then the final one solid with its sentiment, matching
 * `/api/calls`. The engine is Deepgram's, against the local fake of its protocol, so the words are
 * known in advance; the offline engine's own calls are tested in test/apps/speech-apps.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeCall } from '../../src/emulator/call.js';
import { transcribeCalls } from '../../src/apps/index.js';
import { speechEngines } from '../../src/speech/engines.js';
import { startFakeDeepgram } from '../helpers/fake-deepgram.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { launchBrowser } from '../helpers/browser.js';

const SAID = 'I am really happy with the service you gave me today, thank you so much';

test('transcribe: the dashboard shows the live transcript, interim greyed then final solid with sentiment, and who is speaking', async (t) => {
  const fake = await startFakeDeepgram({ transcripts: ['I am really happy with the service you gave me today, thank you so much.'] });
  const server = await startTestServer({
    app: transcribeCalls(),
    speech: speechEngines({ speechToText: 'deepgram', deepgramApiKey: fake.apiKey, deepgramUrl: fake.url }),
  });
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
