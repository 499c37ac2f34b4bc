/**
 * The call history in Chromium: past calls read from the records folder, one call's timeline (who
 * spoke when, the barge-in, latency, the tool, a key), its stereo recording playing in the page with
 * the playhead following and a click on the picture seeking, and the transcript with what the caller
 * never heard of the cut reply struck through. The records are written as the server writes them
 * (the record builder, a stereo WAV), so the page is tested on known contents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallRecordBuilder } from '../../src/records/record-builder.js';
import type { CallActivity } from '../../src/call/call-activity.js';
import type { CallRecord } from '../../src/records/call-record.js';
import { writeWav } from '../../src/audio/wav.js';
import { sine } from '../../src/audio/tone.js';
import { floatToPcm16 } from '../../src/audio/pcm.js';
import { startTestServer } from '../helpers/server.js';
import { launchBrowser } from '../helpers/browser.js';

/** What the page's <audio> element offers (the tests are typed without the DOM library). */
interface Player {
  readyState: number;
  duration: number;
  currentTime: number;
  play(): Promise<void>;
  pause(): void;
  addEventListener(event: string, listener: () => void): void;
}

const REPLY = 'Let me check that for you. Your order left on Monday, and it should arrive tomorrow before noon.';
const RATE = 8000;

/** A stereo recording with a tone wherever a side speaks: the caller at 300 Hz, the app at 600 Hz. */
function recordingOf(record: CallRecord): Buffer {
  const startMs = record.recording!.startMs;
  const samples = Math.round(((record.durationMs - startMs) / 1000) * RATE);
  const stereo = Buffer.alloc(samples * 4);
  for (const turn of record.turns) {
    const from = Math.max(0, Math.round(((turn.startMs - startMs) / 1000) * RATE));
    const to = Math.min(samples, Math.round((((turn.endMs ?? record.durationMs) - startMs) / 1000) * RATE));
    const tone = floatToPcm16(sine(turn.speaker === 'caller' ? 300 : 600, ((to - from) / RATE) * 1000, RATE, 0.3));
    for (let i = 0; i < to - from && i * 2 < tone.length; i++)
      stereo.writeInt16LE(tone.readInt16LE(i * 2), (from + i) * 4 + (turn.speaker === 'caller' ? 0 : 2));
  }
  return writeWav(stereo, RATE, 2);
}

function sampleCall(startedAt: string, recordingPath: string): CallRecord {
  const builder = new CallRecordBuilder();
  const act = (at: number, activity: CallActivity, playsUntilMs?: number) =>
    builder.add(at, { type: 'activity', activity, ...(playsUntilMs !== undefined ? { playsUntilMs } : {}) });
  builder.add(40, {
    type: 'connected',
    identity: { uuid: 'leg-abc', conversationUuid: 'CON-1', from: '447700900001', to: '447700900000', headers: {} },
    rate: RATE,
  });
  act(100, { kind: 'reply-started', replyId: 'r0', by: 'cascade' });
  act(150, { kind: 'reply-text', replyId: 'r0', text: 'Hello! How can I help you today?' });
  act(300, { kind: 'reply-audio', replyId: 'r0' });
  act(900, { kind: 'reply-done', replyId: 'r0' }, 2200);
  builder.add(3000, { type: 'speech-start' });
  builder.add(4400, { type: 'speech-end' });
  builder.add(4800, { type: 'transcript', startMs: 3000, endMs: 4400, text: 'where is my order', engine: 'pocketsphinx' });
  act(4810, { kind: 'reply-started', replyId: 'r1', by: 'cascade' });
  act(5000, { kind: 'tool-call', callId: 'c1', name: 'lookup_order', arguments: { order: '42' } });
  act(5100, { kind: 'tool-result', callId: 'c1', name: 'lookup_order', result: 'shipped Monday' });
  act(5200, { kind: 'reply-text', replyId: 'r1', text: REPLY });
  act(5320, { kind: 'reply-audio', replyId: 'r1' });
  act(5340, { kind: 'reply-latency', replyId: 'r1', totalMs: 920, providerMs: 900, oursMs: 20 });
  builder.add(7600, { type: 'speech-start' });
  act(7620, { kind: 'interrupted', replyId: 'r1', heardMs: 2300, sentMs: 6500, by: 'speech' });
  builder.add(8500, { type: 'speech-end' });
  builder.add(9000, { type: 'dtmf', digit: '5', durationMs: 100 });
  return builder.build({
    id: `record-${startedAt}`,
    callId: 'call-1',
    app: 'agent',
    instance: 'host:1',
    startedAt: Date.parse(startedAt),
    endedAt: Date.parse(startedAt) + 10_000,
    durationMs: 10_000,
    closeCode: 1000,
    closeReason: 'hangup',
    result: 'normal',
    legStatus: 'completed',
    direction: 'inbound',
    stats: { framesIn: 500, framesOut: 300, framesDropped: 0, dtmfIn: 1, textRejected: 0, pacerUnderruns: 0 },
    recording: { path: recordingPath, file: recordingPath.split('/').pop()!, sampleRate: RATE, channels: ['caller', 'app'], startMs: 40, durationMs: 9960 },
    analysis: {
      status: 'done',
      model: 'gpt-4o-mini',
      summary: 'The caller asked where order 42 was; the agent found it had shipped and the caller cut the details short.',
      outcome: 'resolved',
      fields: { reason: 'order status', order_number: '42', callback_requested: false },
    },
  });
}

test('the call history: the list, a call’s timeline, its recording playing and seeking, the transcript with the cut struck through', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'vs-history-'));
  const callRecords = join(root, 'records');
  const recordCalls = join(root, 'recordings');
  mkdirSync(callRecords);
  mkdirSync(recordCalls);
  const names = ['20260102T030405Z-call-1', '20260102T040506Z-call-2'];
  const records = names.map((name, index) => {
    const record = sampleCall(index === 0 ? '2026-01-02T03:04:05.000Z' : '2026-01-02T04:05:06.000Z', join(recordCalls, `${name}.wav`));
    writeFileSync(join(callRecords, `${name}.json`), JSON.stringify(record));
    writeFileSync(join(recordCalls, `${name}.wav`), recordingOf(record));
    return record;
  });
  writeFileSync(join(callRecords, 'not-a-record.json'), '{"hello": 1}');
  const server = await startTestServer({ config: { callRecords, recordCalls } });
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.baseUrl}/history`);
  await page.waitForSelector('#history tr.call');
  const rows = await page.$$eval('#history tr.call', (list) => list.map((row) => (row as unknown as { dataset: { name: string } }).dataset.name));
  assert.deepEqual(rows, [names[1], names[0]], 'newest first; a file that is no record is left out');
  assert.match((await page.textContent('#history tr.call'))!, /447700900001 → 447700900000.*inbound.*10\.0 s.*normal · resolved/);

  await page.click(`#history tr[data-name="${names[0]}"]`);
  await page.waitForSelector('#detail svg.call-timeline');
  const record = records[0]!;
  assert.equal(await page.locator('svg .turn').count(), record.turns.length);
  assert.equal(await page.locator('svg .turn.caller').count(), 2);
  assert.equal(await page.locator('svg .unheard').count(), 1, 'the part of the cut reply the caller never heard');
  assert.equal(await page.locator('svg .barge-in').count(), 1);
  assert.equal(await page.textContent('svg .latency-label'), '920 ms');
  assert.equal(await page.textContent('svg .tool-label'), 'lookup_order');
  assert.equal(await page.textContent('svg .dtmf'), '5');
  // The cut is drawn where it happened: the reply's bar ends at the barge-in line.
  const cutBar = page.locator('svg .turn.agent').nth(1);
  const barEnd = Number(await cutBar.getAttribute('x')) + Number(await cutBar.getAttribute('width'));
  assert.ok(Math.abs(barEnd - Number(await page.locator('svg .barge-in').getAttribute('x1'))) < 0.5);

  // The transcript: the heard words, then the rest struck through, with the cut's numbers.
  const cut = page.locator('.history-transcript li.agent.cut');
  const heard = record.turns[2]!.heard!;
  assert.equal(await cut.locator('.heard').textContent(), heard);
  assert.equal(await cut.locator('.unheard').textContent(), REPLY.slice(heard.length));
  assert.match(
    await cut.locator('.unheard').evaluate((node) => (getComputedStyle(node) as unknown as { textDecorationLine: string }).textDecorationLine),
    /line-through/,
  );
  assert.match((await cut.locator('.cut-note').textContent())!, /heard 2300 of 6500 ms/);
  assert.match((await page.textContent('#detail .analysis .summary'))!, /order 42/);

  // The recording plays in the page; the playhead follows it; a click on the picture seeks.
  const audio = page.locator('#detail audio');
  await audio.evaluate(
    (node) =>
      new Promise((resolve) =>
        (node as unknown as Player).readyState >= 1 ? resolve(null) : (node as unknown as Player).addEventListener('loadedmetadata', () => resolve(null)),
      ),
  );
  assert.ok(Math.abs((await audio.evaluate((node) => (node as unknown as Player).duration)) - 9.96) < 0.05);
  await audio.evaluate((node) => (node as unknown as Player).play());
  await page.waitForFunction('document.querySelector("#detail audio").currentTime > 0.3', undefined, { timeout: 5000 });
  assert.ok(Number(await page.locator('svg .playhead').getAttribute('x1')) > 70, 'the playhead moved off the start');
  await audio.evaluate((node) => (node as unknown as Player).pause());
  const box = (await page.locator('svg.call-timeline').boundingBox())!;
  // The picture's 1000 units: the call's 10 s between x = 70 and 984; 5 s is x = 527.
  await page.mouse.click(box.x + (527 / 1000) * box.width, box.y + box.height / 2);
  const seekedTo = await audio.evaluate((node) => (node as unknown as Player).currentTime);
  assert.ok(Math.abs(seekedTo - (5 - 0.04)) < 0.1, `seeked to ${seekedTo} s of the recording (the call's 5 s)`);

  const range = await fetch(`${server.baseUrl}/api/history/${names[0]}/recording`, { headers: { range: 'bytes=0-99' } });
  assert.equal(range.status, 206);
  assert.equal(range.headers.get('content-range'), `bytes 0-99/${44 + 9960 * 8 * 4}`);
  assert.equal((await range.arrayBuffer()).byteLength, 100);
  assert.equal((await fetch(`${server.baseUrl}/api/history/..%2F..%2Fetc%2Fpasswd`)).status, 404);
  assert.equal((await fetch(`${server.baseUrl}/api/history/not-a-record`)).status, 404);
  assert.deepEqual(errors, []);
  await page.screenshot({ path: join(root, 'history.png'), fullPage: true });
  t.diagnostic(`screenshot: ${join(root, 'history.png')}`);
});

test('without a records folder the history says how to get one', async (t) => {
  const server = await startTestServer({});
  t.after(() => server.close());
  const response = await fetch(`${server.baseUrl}/api/history`);
  assert.equal(response.status, 404);
  assert.match(((await response.json()) as { hint: string }).hint, /--call-records DIR/);
});
