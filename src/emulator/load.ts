/**
 * Many emulated calls at once against one answer URL (`voicesocket load`). Calls are spread over
 * worker threads, each with its own event loop and frame clock, so a saturated generator shows up as
 * its own number (event-loop utilisation, send lateness) instead of looking like a slow server.
 * Bounded: a fixed number of calls, each of a fixed duration, and a hard deadline.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CallerAudioSpec } from './caller-audio.js';
import { distribution, type Distribution } from './stats.js';
import type { EmulatorSwitches } from './switches.js';
import type { Signing } from './webhook-client.js';

export interface LoadOptions {
  answerUrl: string;
  eventUrl?: string;
  answerMethod?: 'GET' | 'POST';
  calls: number;
  durationMs: number;
  /** Calls start evenly over this time (default: 10 ms per call, at most 10 s). */
  rampMs?: number;
  workers?: number;
  audio?: CallerAudioSpec;
  switches?: Partial<EmulatorSwitches>;
  plainWs?: boolean;
  signing?: Signing;
  /** Measure round trips only after this long into each call (warm-up). */
  warmupMs?: number;
  onProgress?: (progress: LoadProgress) => void;
}

export interface LoadProgress {
  started: number;
  connected: number;
  /** Calls whose socket is up now. */
  live: number;
  ended: number;
  /** Calls that ended without their socket ever connecting. */
  failed: number;
  calls: number;
  /** Share of the run's planned time (ramp + duration) gone, 0 to 1. */
  elapsed: number;
}

/** What a worker counts as its calls go (the parent adds the workers up). */
export type WorkerProgress = Pick<LoadProgress, 'started' | 'connected' | 'live' | 'ended' | 'failed'>;

/** What a worker reports for its share of calls. */
export interface WorkerReport {
  calls: number;
  connected: number;
  accepted: number;
  failures: string[];
  /** How the calls ended, counted: `caller hung up`, `app closed 1000 menu: transferred to support`, ... */
  endings: Record<string, number>;
  framesSent: number;
  framesReceived: number;
  echoed: number;
  lost: number;
  duplicated: number;
  violations: number;
  underruns: number;
  rtts: Float64Array;
  answerLatencies: Float64Array;
  maxSendLatenessMs: number;
  eventLoopUtilization: number;
  /** p99 and max of the worker's event-loop delay, ms: time frames waited for the generator itself. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export interface LoadReport {
  calls: number;
  connected: number;
  accepted: number;
  failed: number;
  failures: string[];
  /** How the calls ended, counted (an app that routes or hangs up says so in its close reason). */
  endings: Record<string, number>;
  framesSent: number;
  framesReceived: number;
  /** Caller frames an echoing app did not return; 0 and meaningless when the app does not echo (see `echoed`). */
  lost: number;
  lossPercent: number;
  /** Caller frames that came back: 0 means the app does not echo, and `lost` says nothing. */
  echoed: number;
  duplicated: number;
  violations: number;
  underruns: number;
  rtt?: Distribution;
  answerLatency?: Distribution;
  workers: number;
  /** Busiest worker's event-loop utilisation, 0–1. Near 1 means the generator, not the server, was the limit. */
  generatorLoad: number;
  /** Generator process CPU over the run, % of one core. */
  generatorCpuPercent: number;
  generatorSaturated: boolean;
  /** Worst worker's event-loop delay p99 / max, ms: round trips include this much of the generator's own lateness. */
  generatorLoopDelayP99Ms: number;
  generatorLoopDelayMaxMs: number;
  maxSendLatenessMs: number;
  wallMs: number;
}

/** A worker whose loop is busier than this cannot keep a 20 ms schedule reliably. */
export const SATURATION_LOAD = 0.8;
/** Hard stop beyond the planned run: no load test runs away. */
const DEADLINE_SLACK_MS = 30_000;

/** Running from TypeScript source (tests, development) rather than the compiled package. */
const fromSource = import.meta.url.endsWith('.ts');

function workerUrl(): URL {
  return new URL(`./load-worker${fromSource ? '.ts' : '.js'}`, import.meta.url);
}

/**
 * From source the worker needs the TypeScript loader, and Node 20 does not pass `--import` hooks on
 * to workers: the worker registers tsx itself, then loads the real worker module.
 */
function sourceBootstrap(): string {
  const api = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl().href)}); });`;
}

function addCounts(counts: Array<Record<string, number>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const count of counts) for (const [key, n] of Object.entries(count)) total[key] = (total[key] ?? 0) + n;
  return total;
}

export function defaultWorkers(calls: number): number {
  return Math.max(1, Math.min(availableParallelism() - 1, Math.ceil(calls / 300)));
}

/** A load run's calls last at most an hour: a soak test, not a process left running by mistake. */
export const MAX_LOAD_DURATION_MS = 3_600_000;

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  if (!Number.isInteger(options.calls) || options.calls < 1 || options.calls > 10_000) throw new RangeError('calls must be an integer from 1 to 10000');
  if (!(options.durationMs > 0 && options.durationMs <= MAX_LOAD_DURATION_MS)) throw new RangeError('duration must be between 0 and 1 hour');
  const workers = Math.min(options.calls, options.workers ?? defaultWorkers(options.calls));
  const rampMs = options.rampMs ?? Math.min(10_000, options.calls * 10);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const progress: WorkerProgress[] = Array.from({ length: workers }, () => ({ started: 0, connected: 0, live: 0, ended: 0, failed: 0 }));
  const report = (): void => {
    const total = (key: keyof WorkerProgress) => progress.reduce((sum, p) => sum + p[key], 0);
    options.onProgress?.({
      calls: options.calls,
      started: total('started'),
      connected: total('connected'),
      live: total('live'),
      ended: total('ended'),
      failed: total('failed'),
      elapsed: Math.min(1, (performance.now() - started) / (rampMs + options.durationMs)),
    });
  };
  const deadline = rampMs + options.durationMs + DEADLINE_SLACK_MS;
  const shares = Array.from({ length: workers }, (_, w) => Math.floor(options.calls / workers) + (w < options.calls % workers ? 1 : 0));
  const { onProgress: _onProgress, ...serializable } = options;
  const reports = await Promise.all(
    shares.map(
      (share, index) =>
        new Promise<WorkerReport>((resolve, reject) => {
          const worker = new Worker(fromSource ? sourceBootstrap() : workerUrl(), {
            ...(fromSource ? { eval: true } : {}),
            workerData: {
              ...serializable,
              calls: share,
              rampMs,
              offsetMs: (index * rampMs) / options.calls,
              totalCalls: options.calls,
              workerIndex: index,
              workers,
            },
          });
          const timer = setTimeout(() => {
            void worker.terminate();
            reject(new Error(`load worker ${index} passed its deadline of ${deadline} ms`));
          }, deadline);
          worker.on('message', (message: { type: 'progress'; progress: LoadProgress } | { type: 'done'; report: WorkerReport }) => {
            if (message.type === 'progress') {
              progress[index] = message.progress;
              report();
            } else {
              clearTimeout(timer);
              resolve(message.report);
              void worker.terminate();
            }
          });
          worker.on('error', (error) => {
            clearTimeout(timer);
            reject(error);
          });
        }),
    ),
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const sum = (pick: (r: WorkerReport) => number) => reports.reduce((total, r) => total + pick(r), 0);
  const concat = (pick: (r: WorkerReport) => Float64Array) => {
    const all = new Float64Array(sum((r) => pick(r).length));
    let offset = 0;
    for (const r of reports) {
      all.set(pick(r), offset);
      offset += pick(r).length;
    }
    return all;
  };
  const framesSent = sum((r) => r.framesSent);
  const lost = sum((r) => r.lost);
  const generatorLoad = Math.max(...reports.map((r) => r.eventLoopUtilization));
  const maxSendLatenessMs = Math.max(...reports.map((r) => r.maxSendLatenessMs));
  const connected = sum((r) => r.connected);
  return {
    calls: options.calls,
    connected,
    accepted: sum((r) => r.accepted),
    failed: options.calls - connected,
    failures: reports.flatMap((r) => r.failures).slice(0, 10),
    endings: addCounts(reports.map((r) => r.endings)),
    framesSent,
    framesReceived: sum((r) => r.framesReceived),
    lost,
    lossPercent: framesSent > 0 ? (100 * lost) / framesSent : 0,
    echoed: sum((r) => r.echoed),
    duplicated: sum((r) => r.duplicated),
    violations: sum((r) => r.violations),
    underruns: sum((r) => r.underruns),
    rtt: distribution(concat((r) => r.rtts)),
    answerLatency: distribution(concat((r) => r.answerLatencies)),
    workers,
    generatorLoad,
    generatorCpuPercent: (100 * (cpu.user + cpu.system)) / 1000 / wallMs,
    generatorSaturated: generatorLoad > SATURATION_LOAD || maxSendLatenessMs > 60,
    generatorLoopDelayP99Ms: Math.max(...reports.map((r) => r.loopDelayP99Ms)),
    generatorLoopDelayMaxMs: Math.max(...reports.map((r) => r.loopDelayMaxMs)),
    maxSendLatenessMs,
    wallMs,
  };
}
