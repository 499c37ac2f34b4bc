/**
 * The audio engine measured (issue: exact frames, drift, stalls, barge-in):
 * - `injectedHour`: an hour of bursty audio on injected time with late timers;
 * - `realTime`: the pacer on the real clock for N seconds, optionally with 50 ms event-loop stalls
 *   injected every second; Vonage's player is modelled from the send times;
 * - `clearLatency`: barge-ins on a real server and emulator: clear → websocket:cleared time, and
 *   frames of the old audio sent after clear().
 */
import { FrameClock } from '../src/audio/frame-clock.js';
import { ManualTime } from '../src/audio/time-source.js';
import { Pacer } from '../src/audio/pacer.js';
import { floatToPcm16 } from '../src/audio/pcm.js';
import { sine } from '../src/audio/tone.js';
import { placeCall } from '../src/emulator/call.js';
import { distribution } from '../src/emulator/stats.js';
import { createServer } from '../src/server/server.js';
import { memoryLogger } from '../test/helpers/server.js';

const FRAME = 640; // 16 kHz

export interface PacingResult {
  label: string;
  seconds: number;
  frames: number;
  exactFramesPercent: number;
  /** Vonage's player ran dry between frames (ms of gaps summed, count). */
  underruns: number;
  maxAheadMs: number;
  leadMs: number;
  /** Median |actual − ideal| send time over the last 50 frames, relative to the first: cumulative schedule drift. */
  driftMs: number;
}

function analyse(label: string, sends: Array<{ at: number; bytes: number }>, leadMs: number, seconds: number): PacingResult {
  let end = -Infinity;
  let underruns = 0;
  let maxAhead = 0;
  for (const { at } of sends) {
    if (end !== -Infinity && at > end + 0.5) underruns++;
    end = Math.max(end, at) + 20;
    maxAhead = Math.max(maxAhead, end - at);
  }
  // After the initial lead burst, frame k is due lead ms before its playout at first + k·20.
  const first = sends[0]!.at;
  const offsets = sends
    .slice(-50)
    .map((send, i, tail) => Math.abs(send.at - (first + (sends.length - tail.length + i) * 20 - leadMs)))
    .sort((a, b) => a - b);
  return {
    label,
    seconds,
    frames: sends.length,
    leadMs,
    exactFramesPercent: (100 * sends.filter((s) => s.bytes === FRAME).length) / sends.length,
    underruns,
    maxAheadMs: maxAhead,
    driftMs: offsets[Math.floor(offsets.length / 2)]!,
  };
}

export function injectedHour(leadMs = 200): PacingResult {
  const time = new ManualTime();
  const sends: Array<{ at: number; bytes: number }> = [];
  const pacer = new Pacer({
    frameBytes: FRAME,
    clock: new FrameClock(time),
    leadMs,
    maxQueueMs: Infinity,
    sink: { sendFrame: (f) => sends.push({ at: time.now(), bytes: f.length }), sendMark: () => {} },
  });
  const chunk = Buffer.alloc(32_000 + 6); // 1 s of 16 kHz plus an odd tail
  for (let t = 0; t < 3_600_000; t += 50) {
    if (pacer.queuedMs < 2000) void pacer.write(chunk);
    time.advance(50, 3);
  }
  return analyse('1 h injected time, timers 3 ms late', sends, leadMs, 3600);
}

export async function realTime(seconds: number, stalls: boolean, leadMs = 200): Promise<PacingResult> {
  const clock = new FrameClock();
  const sends: Array<{ at: number; bytes: number }> = [];
  const pacer = new Pacer({
    frameBytes: FRAME,
    clock,
    leadMs,
    sink: { sendFrame: (f) => sends.push({ at: clock.now(), bytes: f.length }), sendMark: () => {} },
  });
  const stall = stalls
    ? setInterval(() => {
        const until = performance.now() + 50;
        while (performance.now() < until) {
          /* a 50 ms event-loop stall */
        }
      }, 1000)
    : undefined;
  const chunk = Buffer.alloc(3200 + 2); // 100 ms and an odd tail, like a TTS stream
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) await pacer.write(chunk);
  clearInterval(stall);
  pacer.stop();
  return analyse(`${seconds} s real time${stalls ? ', 50 ms stall every second' : ''}`, sends, leadMs, seconds);
}

export interface ClearResult {
  bargeIns: number;
  clearToClearedMs: ReturnType<typeof distribution>;
  oldFramesAfterClear: number;
}

export async function clearLatency(bargeIns: number): Promise<ClearResult> {
  const latencies: number[] = [];
  let oldFrames = 0;
  const server = createServer({
    logger: memoryLogger().logger,
    config: { port: 0, host: '127.0.0.1' },
    app: (call) => {
      const tone = () => floatToPcm16(sine(440, 3000, call.sampleRate, 0.3));
      call.once('connected', () => void call.play(tone()));
      call.on('dtmf', async () => {
        const started = performance.now();
        const sentAtClear = call.stats.framesOut;
        await call.clear();
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 100));
        oldFrames += call.stats.framesOut - sentAtClear;
        void call.play(tone());
      });
    },
  });
  const { port } = await server.listen();
  const dtmf = Array.from({ length: bargeIns }, (_, i) => ({ digit: '1', atMs: 300 + i * 400 }));
  await placeCall({ answerUrl: `http://127.0.0.1:${port}/webhooks/answer`, durationMs: 300 + bargeIns * 400 + 200, talk: 'skip', dtmf });
  await server.close();
  return { bargeIns: latencies.length, clearToClearedMs: distribution(latencies), oldFramesAfterClear: oldFrames };
}
