import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameClock } from '../../src/audio/frame-clock.js';
import { ManualTime } from '../../src/audio/time-source.js';
import { Pacer } from '../../src/audio/pacer.js';

function setUp(options: { leadMs?: number; maxQueueMs?: number } = {}) {
  const time = new ManualTime();
  const clock = new FrameClock(time);
  const sent: Array<{ at: number; frame: Buffer }> = [];
  const marks: Array<{ at: number; payload: unknown; framesBefore: number }> = [];
  const pacer = new Pacer({
    frameBytes: 320,
    clock,
    ...options,
    sink: {
      sendFrame: (frame) => sent.push({ at: time.now(), frame }),
      sendMark: (payload) => marks.push({ at: time.now(), payload, framesBefore: sent.length }),
    },
  });
  return { time, pacer, sent, marks };
}

/** Vonage's player: each frame plays at max(arrival, end of the previous). Returns gaps (underruns) and the largest amount buffered ahead. */
function playout(sent: Array<{ at: number }>) {
  let end = -Infinity;
  let gaps = 0;
  let maxAhead = 0;
  for (const { at } of sent) {
    if (end !== -Infinity && at > end) gaps++;
    end = Math.max(end, at) + 20;
    maxAhead = Math.max(maxAhead, end - at);
  }
  return { gaps, maxAhead, end };
}

test('an hour of bursty audio on late timers: exact frames, no underrun, never beyond the lead, zero drift', () => {
  const { time, pacer, sent } = setUp({ leadMs: 200 });
  const second = Buffer.alloc(16_000 + 6); // 1 s at 8 kHz plus an odd tail: never a frame boundary
  let written = 0;
  const hour = 3_600_000;
  for (let t = 0; t < hour; t += 50) {
    if (pacer.queuedMs < 2000 && written < hour / 1000) {
      void pacer.write(second);
      written++;
    }
    time.advance(50, 3); // every timer 3 ms late
  }
  pacer.flush();
  time.advance(5000, 3);
  assert.ok(
    sent.every(({ frame }) => frame.length === 320),
    'every frame exact',
  );
  assert.equal(sent.length, Math.ceil((written * second.length) / 320));
  const { gaps, maxAhead, end } = playout(sent);
  assert.equal(gaps, 0, 'Vonage never ran dry');
  assert.ok(maxAhead <= 200 + 20, `at most lead + one frame ahead (${maxAhead} ms)`);
  assert.equal(pacer.stats.underruns, 0);
  // Drift: playout of N frames takes exactly N × 20 ms from the first send.
  assert.ok(Math.abs(end - sent[0]!.at - sent.length * 20) < 20, 'cumulative drift under one frame');
  assert.equal(pacer.playedMs(time.now()), sent.length * 20);
});

test('50 ms event-loop stalls every second: no underrun and no burst beyond the lead', () => {
  const { time, pacer, sent } = setUp({ leadMs: 200 });
  void pacer.write(Buffer.alloc(16_000 * 30)); // 30 s at 8 kHz
  for (let second = 0; second < 29; second++) {
    time.advance(950);
    time.stall(50);
  }
  time.advance(2000);
  const { gaps, maxAhead } = playout(sent);
  assert.equal(gaps, 0);
  assert.ok(maxAhead <= 220, `${maxAhead} ms ahead`);
});

test('a stall longer than the lead is an underrun, and the catch-up refills only up to the lead', () => {
  const { time, pacer, sent } = setUp({ leadMs: 100 });
  void pacer.write(Buffer.alloc(16_000 * 5));
  time.advance(1000);
  time.stall(400);
  const before = sent.length;
  time.advance(0);
  assert.ok(sent.length - before <= 100 / 20 + 1, `burst of ${sent.length - before} frames`);
  assert.equal(pacer.stats.underruns, 1);
});

test('clear drops everything not yet sent; played position excludes the discarded audio', () => {
  const { time, pacer, sent } = setUp({ leadMs: 200 });
  void pacer.write(Buffer.alloc(16_000 * 10));
  time.advance(1000);
  const sentBefore = sent.length;
  const dropped = pacer.clear();
  assert.deepEqual(dropped, []);
  time.advance(1000);
  assert.equal(sent.length, sentBefore, 'no frame of the old audio after clear');
  assert.ok(pacer.stats.clearedFrames > 0);
  // Heard: about one second (what had played when clear came), not what was sent ahead.
  assert.ok(Math.abs(pacer.playedMs(time.now()) - 1000) <= 40, `${pacer.playedMs(time.now())} ms heard`);
  assert.equal(pacer.idle, true);
});

test('a mark goes out after every frame queued before it', () => {
  const { time, pacer, sent, marks } = setUp();
  void pacer.write(Buffer.alloc(320 * 10 + 100));
  pacer.mark({ id: 'end-of-prompt' });
  void pacer.write(Buffer.alloc(320 * 5));
  time.advance(2000);
  assert.equal(marks.length, 1);
  assert.equal(marks[0]!.framesBefore, 11, 'ten frames and the padded partial one');
  assert.equal(sent.length, 16);
});

test('write applies backpressure past maxQueueMs and resolves once drained', async () => {
  const { time, pacer } = setUp({ maxQueueMs: 1000 });
  let resolved = false;
  void pacer.write(Buffer.alloc(16_000 * 3)).then(() => (resolved = true));
  await Promise.resolve();
  assert.equal(resolved, false, '3 s queued against a 1 s limit');
  time.advance(2500);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(resolved, true);
});

test('scheduledMs: where audio written now starts, in playedMs terms, across a clear and an underrun', () => {
  const { time, pacer } = setUp({ leadMs: 100 });
  assert.equal(pacer.scheduledMs(), 0);
  void pacer.write(Buffer.alloc(320 * 50)); // 1 s
  assert.equal(pacer.scheduledMs(), 1000);
  time.advance(500);
  // Half a second later: played + at Vonage + queued is still the 1 s written.
  assert.equal(pacer.scheduledMs(), 1000);
  const start = pacer.scheduledMs();
  void pacer.write(Buffer.alloc(320 * 25)); // a second reply, 500 ms
  time.advance(700);
  // Played up to 1.2 s: 200 ms of the second reply heard.
  assert.equal(pacer.playedMs(time.now()) - start, 200);
  pacer.clear();
  // After the clear, the next audio starts where the caller stopped hearing.
  assert.equal(pacer.scheduledMs(), pacer.playedMs(time.now()));
  time.advance(2000); // silence: an underrun is not audio
  const next = pacer.scheduledMs();
  void pacer.write(Buffer.alloc(160)); // half a frame waits in the splitter
  assert.equal(pacer.scheduledMs(), next + 10);
});

test('the first frame written to an idle pacer leaves at once, before any timer fires; the rest keep their schedule', () => {
  const { time, pacer, sent } = setUp({ leadMs: 200 });
  // Written into a busy loop: no timer has had a chance to run yet.
  void pacer.write(Buffer.alloc(320 * 20)); // 400 ms at 8 kHz
  // Everything up to the lead went out in the writer's own call stack (it failed with a timer: 0 frames).
  assert.equal(sent.length, 11, 'the lead (200 ms) plus the frame playing');
  assert.ok(sent.every(({ at }) => at === 0));
  time.advance(1000, 0);
  assert.equal(sent.length, 20, 'the rest paced');
  assert.equal(playout(sent).gaps, 0);
  // Idle again, then a new reply: its first frame leaves at once too.
  void pacer.write(Buffer.alloc(320));
  assert.equal(sent.length, 21);
});
