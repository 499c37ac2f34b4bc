/**
 * The stereo recording's placement, with made-up times: the caller by arrival (jitter is no gap, a
 * pause is), the app by when it plays (paced audio is sent ahead of its playout), a barge-in cut
 * where it happened, and memory bounded against an app sending faster than real time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_AHEAD_SLOTS, StereoTimeline } from '../../src/records/stereo-timeline.js';

const BYTES = 640; // 16 kHz, 20 ms

/** A frame whose every sample is `value`. */
function frame(value: number): Buffer {
  const pcm = Buffer.alloc(BYTES);
  for (let i = 0; i < BYTES; i += 2) pcm.writeInt16LE(value, i);
  return pcm;
}

/** The first sample of each 20 ms slot of one channel of interleaved stereo. */
function channel(stereo: Buffer, side: 0 | 1): number[] {
  const slots: number[] = [];
  for (let at = 0; at < stereo.length; at += BYTES * 2) slots.push(stereo.readInt16LE(at + side * 2));
  return slots;
}

function drain(timeline: StereoTimeline, chunks: Buffer[], nowMs: number): void {
  const chunk = timeline.take(nowMs);
  if (chunk) chunks.push(chunk);
}

test('the caller is laid end to end through jitter; a pause of more than 100 ms is kept as silence', () => {
  const timeline = new StereoTimeline(BYTES);
  const chunks: Buffer[] = [];
  const jitter = [0, 9, -7, 15, 3, -2, 11, 0];
  for (let n = 0; n < 8; n++) {
    timeline.caller(frame(n + 1), n * 20 + 5 + jitter[n]!);
    drain(timeline, chunks, n * 20 + 30);
  }
  // A pause: the next frame arrives 400 ms after the last.
  timeline.caller(frame(100), 7 * 20 + 5 + 400);
  chunks.push(timeline.end(7 * 20 + 5 + 420)!);
  const left = channel(Buffer.concat(chunks), 0);
  assert.deepEqual(left.slice(0, 8), [1, 2, 3, 4, 5, 6, 7, 8], 'no slot lost or doubled to jitter');
  const resumed = left.indexOf(100);
  assert.equal(resumed, Math.floor((7 * 20 + 5 + 400) / 20), 'the frame after the pause is where it arrived');
  assert.deepEqual(left.slice(8, resumed), new Array(resumed - 8).fill(0), 'the pause is silence');
  assert.deepEqual(channel(Buffer.concat(chunks), 1), new Array(left.length).fill(0), 'the app said nothing');
});

test('paced app audio is placed where it plays, not when it was sent; a barge-in cuts what had not played', () => {
  const timeline = new StereoTimeline(BYTES);
  const chunks: Buffer[] = [];
  // The pacer sends ten frames at once at 1000 ms (the lead), playing from 1000 ms on.
  for (let n = 0; n < 10; n++) timeline.app(frame(n + 1), 1000 + n * 20, true);
  // The caller's frames keep coming; the caller talks over the reply at 1090 ms.
  for (let t = 0; t < 1090; t += 20) {
    timeline.caller(frame(-1), t);
    drain(timeline, chunks, t);
  }
  timeline.cut(1090);
  // The next reply starts at 1500 ms.
  timeline.app(frame(50), 1500, true);
  for (let t = 1100; t < 1700; t += 20) {
    timeline.caller(frame(-1), t);
    drain(timeline, chunks, t);
  }
  chunks.push(timeline.end(1700)!);
  const right = channel(Buffer.concat(chunks), 1);
  assert.deepEqual(right.slice(48, 56), [0, 0, 1, 2, 3, 4, 5, 0], 'frames 1–5 played from 1000 ms; 6 started at 1100 ms, after the cut');
  assert.deepEqual(
    right.slice(56, 75).filter((value) => value !== 0),
    [],
    'silence after the cut',
  );
  assert.equal(right[75], 50, 'the next reply where it played');
  assert.equal(right.length, 85);
});

test('echoed (unpaced) audio sent with jitter stays end to end, beside the caller', () => {
  const timeline = new StereoTimeline(BYTES);
  const chunks: Buffer[] = [];
  for (let n = 0; n < 50; n++) {
    const arrived = n * 20 + (n % 3) * 13;
    timeline.caller(frame(n + 1), arrived);
    timeline.app(frame(n + 1), arrived, false);
    drain(timeline, chunks, arrived);
  }
  chunks.push(timeline.end(50 * 20 + 40)!);
  const stereo = Buffer.concat(chunks);
  assert.deepEqual(channel(stereo, 0).slice(0, 50), channel(stereo, 1).slice(0, 50));
  assert.deepEqual(
    channel(stereo, 1).slice(0, 50),
    Array.from({ length: 50 }, (_, n) => n + 1),
  );
});

test('an app sending unpaced audio far faster than real time is cut at 10 s ahead; the end drops what would play after it', () => {
  const timeline = new StereoTimeline(BYTES);
  for (let n = 0; n < MAX_AHEAD_SLOTS + 100; n++) timeline.app(frame(1), 0, false);
  assert.equal(timeline.dropped, 100);
  const out = timeline.end(1000)!;
  assert.equal(out.length, 50 * BYTES * 2, 'one second: the call ended there');
  assert.equal(timeline.writtenMs, 1000);
});

test('an hour of a call is given out in order with bounded holding (placement is O(1) per frame)', (t) => {
  const timeline = new StereoTimeline(BYTES);
  let bytes = 0;
  const started = performance.now();
  const caller = frame(1);
  const app = frame(2);
  for (let n = 0; n < 180_000; n++) {
    timeline.caller(caller, n * 20);
    if (n % 250 < 100) timeline.app(app, n * 20 + 120, true);
    const chunk = timeline.take(n * 20, 10);
    if (chunk) bytes += chunk.length;
  }
  bytes += timeline.end(180_000 * 20)?.length ?? 0;
  assert.equal(bytes, 180_000 * BYTES * 2);
  assert.equal(timeline.dropped, 0);
  // No bound asserted on time: it is told to the reader (a busy machine varies).
  t.diagnostic(`an hour placed in ${Math.round(performance.now() - started)} ms`);
});
