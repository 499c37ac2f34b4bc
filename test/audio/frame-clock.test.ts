import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameClock, FrameSchedule } from '../../src/audio/frame-clock.js';
import { ManualTime } from '../../src/audio/time-source.js';

test('an hour of frames on late timers: exact count, zero cumulative drift', () => {
  const time = new ManualTime();
  const clock = new FrameClock(time);
  const schedule = new FrameSchedule(0, 20);
  const lateness: number[] = [];
  clock.add({ nextDueAt: () => schedule.nextDueAt(), run: (now) => schedule.runDue(now, (_n, dueAt) => lateness.push(now - dueAt)) });
  // Every timer fires 3 ms late, as a busy event loop would make it.
  time.advance(3_600_000, 3);
  assert.equal(lateness.length, 180_000, 'frames 0 … 179 999: one per 20 ms');
  assert.ok(Math.max(...lateness.slice(-1000)) <= 3, 'lateness does not accumulate: the last frames are as late as the first');
});

test('many tasks share one timer', () => {
  const time = new ManualTime();
  let timers = 0;
  const counting = {
    ...time,
    now: () => time.now(),
    clearTimeout: (h: unknown) => time.clearTimeout(h),
    setTimeout: (fn: () => void, ms: number) => (timers++, time.setTimeout(fn, ms)),
  };
  const clock = new FrameClock(counting);
  const counts = new Array(100).fill(0);
  for (let i = 0; i < 100; i++) {
    const schedule = new FrameSchedule(0, 20);
    clock.add({ nextDueAt: () => schedule.nextDueAt(), run: (now) => schedule.runDue(now, () => counts[i]++) });
  }
  time.advance(1000);
  assert.ok(
    counts.every((c) => c === 51),
    `each task ran 51 frames: ${counts[0]}`,
  );
  assert.ok(timers <= 60, `${timers} timers for 100 tasks × 51 frames`);
});

test('after a stall, skipTo resumes on schedule instead of bursting', () => {
  const schedule = new FrameSchedule(0, 20);
  schedule.runDue(100, () => {});
  assert.equal(schedule.next, 6);
  assert.equal(schedule.skipTo(250), 7);
  assert.equal(schedule.nextDueAt(), 260);
});
