/**
 * One load worker: places its share of calls on its own frame clock and reports back.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameClock } from '../audio/frame-clock.js';
import { placeCall, type CallResult } from './call.js';
import type { LoadOptions, WorkerProgress, WorkerReport } from './load.js';

type WorkerInput = Omit<LoadOptions, 'onProgress'> & {
  calls: number;
  rampMs: number;
  offsetMs: number;
  totalCalls: number;
  workerIndex: number;
  workers: number;
};

const input = workerData as WorkerInput;
const clock = new FrameClock();
const progress: WorkerProgress = { started: 0, connected: 0, live: 0, ended: 0, failed: 0 };
const results: CallResult[] = [];
const elu = performance.eventLoopUtilization();
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

const ticker = setInterval(() => parentPort!.postMessage({ type: 'progress', progress }), 500);

async function one(index: number): Promise<void> {
  // Calls of all workers interleave evenly over the ramp.
  await sleep(input.offsetMs + (index * input.workers * input.rampMs) / input.totalCalls);
  progress.started++;
  const result = await placeCall({
    answerUrl: input.answerUrl,
    ...(input.eventUrl ? { eventUrl: input.eventUrl } : {}),
    ...(input.answerMethod ? { answerMethod: input.answerMethod } : {}),
    durationMs: input.durationMs,
    talk: 'skip',
    audio: input.audio ?? { kind: 'silence' },
    clock,
    ...(input.switches ? { switches: input.switches } : {}),
    ...(input.plainWs ? { plainWs: true } : {}),
    ...(input.signing ? { signing: input.signing } : {}),
    ...(input.warmupMs ? { warmupMs: input.warmupMs } : {}),
    onTimeline: (entry) => {
      if (entry.source === 'socket' && entry.text.startsWith('connected ')) {
        progress.connected++;
        progress.live++;
      }
    },
  });
  progress.ended++;
  if (result.leg?.connected) progress.live--;
  else progress.failed++;
  results.push(result);
}

await Promise.all(Array.from({ length: input.calls }, (_, index) => one(index)));
clearInterval(ticker);
parentPort!.postMessage({ type: 'progress', progress });

const rtts: number[] = [];
const answers: number[] = [];
const report: WorkerReport = {
  calls: input.calls,
  connected: 0,
  accepted: 0,
  failures: [],
  endings: {},
  framesSent: 0,
  framesReceived: 0,
  echoed: 0,
  lost: 0,
  duplicated: 0,
  violations: 0,
  underruns: 0,
  rtts: new Float64Array(0),
  answerLatencies: new Float64Array(0),
  maxSendLatenessMs: 0,
  eventLoopUtilization: performance.eventLoopUtilization(elu).utilization,
  // The histogram's resolution timer adds ~1 ms to every sample; subtract it.
  loopDelayP99Ms: Math.max(0, loopDelay.percentile(99) / 1e6 - 1),
  loopDelayMaxMs: Math.max(0, loopDelay.max / 1e6 - 1),
};
for (const result of results) {
  if (result.answer.latencyMs !== undefined) answers.push(result.answer.latencyMs);
  if (result.accepted) report.accepted++;
  else if (report.failures.length < 10) report.failures.push(result.problems[0] ?? 'not accepted');
  const leg = result.leg;
  if (!leg) continue;
  if (leg.connected) report.connected++;
  const ending = leg.end === 'app-closed' ? `app closed ${leg.closeCode ?? ''}${leg.closeReason ? ` ${leg.closeReason}` : ''}` : leg.end.replace(/-/g, ' ');
  report.endings[ending] = (report.endings[ending] ?? 0) + 1;
  report.framesSent += leg.framesSent;
  report.framesReceived += leg.framesReceived;
  report.echoed += leg.echoed;
  report.lost += leg.lost;
  report.duplicated += leg.duplicated;
  report.violations += leg.violations.length;
  report.underruns += leg.underruns.length;
  report.maxSendLatenessMs = Math.max(report.maxSendLatenessMs, leg.maxSendLatenessMs);
  for (const sample of leg.rttSamples) rtts.push(sample);
}
report.rtts = Float64Array.from(rtts);
report.answerLatencies = Float64Array.from(answers);
parentPort!.postMessage({ type: 'done', report }, [report.rtts.buffer as ArrayBuffer, report.answerLatencies.buffer as ArrayBuffer]);
