/**
 * POST /api/calls/:id/play with long files: the duration is checked from the header before anything
 * is decoded, and a long file is converted a slice at a time as it plays, so one request never
 * stalls the other calls (it once blocked the loop for 7.8 s and cut them with VS_ERR_AUDIO_RATE).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, waitFor } from '../helpers/server.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { wavHeader } from '../../src/audio/wav.js';
import { MAX_PLAY_BYTES } from '../../src/server/control-routes.js';

/** An 8-bit mono WAV of `bytes` samples at `rate`: a quiet ramp, so the conversion has real work. */
function eightBitWav(rate: number, bytes: number): Buffer {
  const header = wavHeader(rate, 1, bytes);
  header.writeUInt32LE(rate, 28); // byte rate of 8-bit mono
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = 128 + ((i % 64) - 32);
  return Buffer.concat([header, data]);
}

/** The longest gap between the ticks of a 10 ms timer over `ms`: how long the event loop was stuck. */
async function longestLoopGap(ms: number): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  await new Promise((resolve) => setTimeout(resolve, ms));
  clearInterval(timer);
  return longest;
}

test('a play request longer than the cap is refused from its header (400 VS_ERR_PLAY_INVALID)', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const caller = await SocketClient.call(server.socketUrl);
  await waitFor(() => server.server.registry.activeCalls === 1);
  const id = [...server.server.registry.activeSessions()][0]!.id;
  // 4 MiB of 8-bit 4 kHz: 1048 s of audio within the byte limit.
  const response = await fetch(`${server.baseUrl}/api/calls/${id}/play`, { method: 'POST', body: eightBitWav(4000, MAX_PLAY_BYTES - 100) });
  assert.equal(response.status, 400);
  const body = (await response.json()) as { code: string; message: string };
  assert.equal(body.code, 'VS_ERR_PLAY_INVALID');
  assert.match(body.message, /1049 s of audio \(at most 300 s\)/);
  await caller.close();
});

test('a long WAV played to a 24 kHz call is converted as it plays: the loop never stalls and a bystander call goes on', async (t) => {
  const server = await startTestServer();
  t.after(() => server.close());
  const caller = await SocketClient.call(server.socketUrl, 'audio/l16;rate=24000');
  const bystander = await SocketClient.call(server.socketUrl);
  await waitFor(() => server.server.registry.activeCalls === 2);
  const session = [...server.server.registry.activeSessions()].find((s) => s.sampleRate === 24000)!;
  // The bystander talks like a phone: a frame every 20 ms, echoed back.
  let sent = 0;
  const talking = setInterval(() => bystander.sendBinary(patternFrame(640, ++sent)), 20);
  t.after(() => clearInterval(talking));
  // 4 MiB of 8-bit 16 kHz (262 s): 6.3 million samples to resample to 24 kHz.
  const wav = eightBitWav(16000, MAX_PLAY_BYTES - 100);
  const [gap, response] = await Promise.all([longestLoopGap(2000), fetch(`${server.baseUrl}/api/calls/${session.id}/play`, { method: 'POST', body: wav })]);
  assert.equal(response.status, 200);
  // Bound with a reason: converting the whole file at once held the loop for seconds; a slice is
  // ~10 ms of work, and 400 ms leaves room for a 2-core machine shared with the rest of the suite.
  assert.ok(gap < 400, `the event loop was stuck for ${Math.round(gap)} ms`);
  await waitFor(() => caller.received.binary.length > 10, 3000, 'the caller to hear the file');
  assert.ok(
    caller.received.binary.every((frame) => frame.length === 960),
    'paced 24 kHz frames',
  );
  clearInterval(talking);
  await waitFor(() => bystander.received.binary.length >= sent - 2, 3000, 'the bystander echo to catch up');
  assert.equal(bystander.closed, undefined, 'the bystander call is not cut');
  assert.ok(!server.logs.some((line) => line.code === 'VS_ERR_AUDIO_RATE'));
  await Promise.all([caller.close(), bystander.close()]);
});
