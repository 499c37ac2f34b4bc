import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlaybackBuffer } from '../../src/emulator/playback-buffer.js';
import { DEFAULT_SWITCHES } from '../../src/emulator/switches.js';

const frame = (n: number) => Buffer.alloc(640, n);

test('FIFO: one frame per tick, silence when empty', () => {
  const buffer = new PlaybackBuffer(DEFAULT_SWITCHES);
  buffer.enqueueFrame(frame(1));
  buffer.enqueueFrame(frame(2));
  assert.deepEqual(buffer.tick().frame, frame(1));
  assert.deepEqual(buffer.tick().frame, frame(2));
  assert.equal(buffer.tick().frame, undefined);
  assert.equal(buffer.stats.framesPlayed, 2);
});

test('capacity: drop-newest, drop-oldest, disconnect', () => {
  const small = { ...DEFAULT_SWITCHES, bufferFrames: 2 };
  const newest = new PlaybackBuffer({ ...small, overflow: 'drop-newest' });
  assert.deepEqual(
    [1, 2, 3].map((n) => newest.enqueueFrame(frame(n))),
    ['queued', 'queued', 'dropped'],
  );
  assert.deepEqual([newest.tick().frame, newest.tick().frame], [frame(1), frame(2)]);
  const oldest = new PlaybackBuffer({ ...small, overflow: 'drop-oldest' });
  [1, 2, 3].forEach((n) => oldest.enqueueFrame(frame(n)));
  assert.deepEqual([oldest.tick().frame, oldest.tick().frame], [frame(2), frame(3)]);
  assert.equal(oldest.stats.overflowDropped, 1);
  const strict = new PlaybackBuffer({ ...small, overflow: 'disconnect' });
  assert.deepEqual(
    [1, 2, 3].map((n) => strict.enqueueFrame(frame(n))),
    ['queued', 'queued', 'disconnect'],
  );
});

test('a notify marker is reported once everything before it has played, or at once when idle', () => {
  const buffer = new PlaybackBuffer(DEFAULT_SWITCHES);
  assert.equal(buffer.enqueueMark({ id: 0 }), true, 'idle: reported at once');
  buffer.enqueueFrame(frame(1));
  buffer.enqueueFrame(frame(2));
  assert.equal(buffer.enqueueMark({ id: 1 }), false);
  assert.deepEqual(buffer.tick().marks, []); // frame 1 starts
  assert.deepEqual(buffer.tick().marks, []); // frame 2 starts
  assert.deepEqual(buffer.tick().marks, [{ id: 1 }]); // frame 2 has ended
});

test('clear empties the queue; pending markers are dropped or reported per switch', () => {
  for (const clearDropsMarks of [true, false]) {
    const buffer = new PlaybackBuffer({ ...DEFAULT_SWITCHES, clearDropsMarks });
    buffer.enqueueFrame(frame(1));
    buffer.enqueueMark('m');
    buffer.enqueueFrame(frame(2));
    assert.deepEqual(buffer.clear(), clearDropsMarks ? [] : ['m']);
    assert.equal(buffer.depth, 0);
    assert.equal(buffer.tick().frame, undefined, 'nothing of the old audio plays after clear');
    assert.equal(buffer.stats.clearedFrames, 2);
  }
});

test('a short gap in the app audio is an underrun; a long one is a pause', () => {
  const buffer = new PlaybackBuffer(DEFAULT_SWITCHES);
  buffer.enqueueFrame(frame(1));
  buffer.tick();
  buffer.tick(); // 20 ms gap
  buffer.tick(); // 40 ms gap
  buffer.enqueueFrame(frame(2));
  buffer.tick();
  assert.deepEqual(buffer.underruns, [{ tick: 1, frames: 2 }]);
  for (let i = 0; i < 20; i++) buffer.tick(); // 400 ms: a pause between utterances
  buffer.enqueueFrame(frame(3));
  buffer.tick();
  assert.equal(buffer.underruns.length, 1);
});

test('played frames are released at once (regression: up to 1 024 played frames were retained per leg)', () => {
  const buffer = new PlaybackBuffer(DEFAULT_SWITCHES);
  const internal = buffer as unknown as { queue: unknown[] };
  for (let i = 0; i < 500; i++) {
    buffer.enqueueFrame(frame(i & 0xff));
    buffer.tick();
  }
  assert.equal(internal.queue.filter((item) => item !== undefined).length, 0);
  for (let i = 0; i < 300; i++) buffer.enqueueFrame(frame(1));
  for (let i = 0; i < 200; i++) buffer.tick();
  assert.equal(buffer.depth, 100);
  assert.ok(internal.queue.filter((item) => item !== undefined).length <= 100 + 1);
});
