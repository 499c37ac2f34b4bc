/**
 * `GET /metrics` in Prometheus text format. Nothing here runs per audio frame: calls count in plain
 * numbers on their sessions (`stats`), and the collectors add them up when Prometheus scrapes. The
 * one exception is the app-latency histogram, observed on one frame in 64.
 */
import type { ELDHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallRegistry, EndedTotals } from '../call/call-registry.js';

export interface Metrics {
  registry: Registry;
  /** Observes one webhook request. */
  webhook(route: string, status: number, seconds: number): void;
  /** Observes the time the app took for one (sampled) audio frame. */
  appFrame(seconds: number): void;
}

type Totals = EndedTotals;

/** A counter that follows a running total read at scrape time. */
function followingCounter(registry: Registry, name: string, help: string, read: () => number): void {
  let reported = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      if (value > reported) this.inc(value - reported);
      reported = value;
    },
  });
}

/** The server's state as the metrics, `/healthz` and the dashboard show it. */
export interface ServerState {
  draining: boolean;
  /** With `--redis`: whether it is reachable now. */
  redis?: 'up' | 'down';
}

export function createMetrics(calls: CallRegistry, loopDelay: ELDHistogram, state: () => ServerState = () => ({ draining: false })): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let snapshot: Totals | undefined;
  // One sum per scrape, shared by every counter below.
  const current = () => (snapshot ??= calls.totals());
  new Gauge({
    name: 'voicesocket_active_calls',
    help: 'Call sockets open now',
    registers: [registry],
    collect() {
      snapshot = undefined;
      this.set(calls.activeCalls);
    },
  });
  new Gauge({
    name: 'voicesocket_draining',
    help: '1 while the server drains (SIGTERM): it finishes its calls and takes no new ones',
    registers: [registry],
    collect() {
      this.set(state().draining ? 1 : 0);
    },
  });
  if (state().redis !== undefined)
    new Gauge({
      name: 'voicesocket_redis_up',
      help: '1 while the Redis of --redis is reachable; 0 while this instance works on its own',
      registers: [registry],
      // Over --workers: 1 only when every worker reaches it.
      aggregator: 'min',
      collect() {
        this.set(state().redis === 'up' ? 1 : 0);
      },
    });
  const counters: Array<[string, string, keyof Totals]> = [
    ['voicesocket_frames_in_total', 'Audio messages received from callers', 'framesIn'],
    ['voicesocket_frames_out_total', 'Audio frames sent to callers', 'framesOut'],
    ['voicesocket_bytes_in_total', 'Audio bytes received', 'bytesIn'],
    ['voicesocket_bytes_out_total', 'Audio bytes sent', 'bytesOut'],
    ['voicesocket_frame_size_violations_total', 'Received audio messages that were not exactly one 20 ms frame', 'offSizeFramesIn'],
    ['voicesocket_frames_dropped_total', 'Outbound frames dropped because the peer did not read', 'framesDropped'],
    ['voicesocket_dtmf_total', 'DTMF key presses received', 'dtmfIn'],
    ['voicesocket_text_rejected_total', 'Text messages that were malformed or unknown', 'textRejected'],
    ['voicesocket_pacer_underruns_total', 'Times paced playout ran dry because we were late', 'pacerUnderruns'],
  ];
  for (const [name, help, key] of counters) followingCounter(registry, name, help, () => current()[key]);
  const reportedOutcomes: Record<string, number> = {};
  new Counter({
    name: 'voicesocket_calls_total',
    help: 'Ended calls by outcome',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      for (const [outcome, count] of Object.entries(calls.outcomes)) {
        const reported = reportedOutcomes[outcome] ?? 0;
        if (count > reported) this.inc({ outcome }, count - reported);
        reportedOutcomes[outcome] = count;
      }
    },
  });
  new Gauge({
    name: 'voicesocket_pacer_ahead_seconds',
    help: 'Largest amount of paced audio ahead of playout on any live call',
    registers: [registry],
    collect() {
      let ahead = 0;
      for (const session of calls.activeSessions()) ahead = Math.max(ahead, session.pacerStats?.maxAheadMs ?? 0);
      this.set(ahead / 1000);
    },
  });
  new Gauge({
    name: 'voicesocket_event_loop_lag_seconds',
    help: 'Event-loop delay (p99 and max since start)',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      this.set({ quantile: '0.99' }, loopDelay.percentile(99) / 1e9);
      this.set({ quantile: 'max' }, loopDelay.max / 1e9);
    },
  });
  const webhookRequests = new Counter({
    name: 'voicesocket_webhook_requests_total',
    help: 'Webhook requests by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const webhookSeconds = new Histogram({
    name: 'voicesocket_webhook_duration_seconds',
    help: 'Webhook handling time by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [registry],
  });
  const appSeconds = new Histogram({
    name: 'voicesocket_app_frame_seconds',
    help: 'Time the app took to handle one audio frame (sampled 1 in 64)',
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05],
    registers: [registry],
  });
  return {
    registry,
    webhook(route, status, seconds) {
      webhookRequests.inc({ route, status: String(status) });
      webhookSeconds.observe({ route }, seconds);
    },
    appFrame(seconds) {
      appSeconds.observe(seconds);
    },
  };
}
