/**
 * Call reports to `--call-report-url`: each record POSTed as JSON, signed (report-signature.ts),
 * from the spool (report-spool.ts) until the receiver answers 2xx. A receiver that is down, slow or
 * failing is retried with a growing wait (RETRY), each report on its own schedule, a few at a time;
 * reports wait on disk meanwhile, so a restart loses none. Time is injected: the tests take a
 * receiver down for a minute in milliseconds.
 */
import { errorCode } from '../errors.js';
import type { Logger } from '../call/logger.js';
import { realTime, type TimeSource } from '../audio/time-source.js';
import { REPORT_ID_HEADER, SIGNATURE_HEADER, signReport } from './report-signature.js';
import type { ReportSpool, SpooledReport } from './report-spool.js';

/** Waits between attempts: 1 s, doubling, at most 5 min (a receiver back from an outage gets everything within five minutes). */
export const RETRY = { firstMs: 1000, factor: 2, maxMs: 5 * 60_000 };
/** A receiver must answer within this, s: a report is a few hundred KB at most. */
export const REPORT_TIMEOUT_MS = 10_000;
/** Reports sent at once: a receiver coming back is not flooded, and a slow one holds few sockets. */
const IN_FLIGHT = 4;
/** Reports waiting at most: beyond, a new one is not kept (its record is still in the records folder, if there is one). */
export const MAX_WAITING = 10_000;
/** A failing report is logged on its 1st attempt, then every 10th: a long outage is a few lines, not thousands. */
const LOG_EVERY = 10;

export interface ReportSenderOptions {
  url: string;
  secret: string;
  spool: ReportSpool;
  log: Logger;
  time?: TimeSource;
  /** Epoch ms, for the signature's time (tests inject it with `time`). */
  wallNow?: () => number;
  retry?: Partial<typeof RETRY>;
  timeoutMs?: number;
}

interface Waiting {
  id: string;
  report: SpooledReport | undefined;
  /** Held in memory when the spool could not keep it. */
  body: string | undefined;
  attempts: number;
  timer: unknown;
}

export class ReportSender {
  private readonly waiting = new Map<string, Waiting>();
  private readonly ready: Waiting[] = [];
  private inFlight = 0;
  private closed = false;
  /** Aborts the attempts under way when the sender closes: their reports stay in the spool. */
  private readonly stopping = new AbortController();
  private settledWaiters: Array<() => void> = [];
  private readonly time: TimeSource;
  private readonly retry: typeof RETRY;
  /** Reports delivered since start. */
  delivered = 0;

  constructor(private readonly options: ReportSenderOptions) {
    this.time = options.time ?? realTime;
    this.retry = { ...RETRY, ...options.retry };
  }

  /** Takes up the reports a previous process left in the spool. */
  async start(): Promise<void> {
    for (const report of await this.options.spool.claimWaiting()) this.queue({ id: report.name, report, body: undefined, attempts: 0, timer: undefined });
  }

  /** Reports waiting for the receiver (in the spool or in memory). */
  get pending(): number {
    return this.waiting.size;
  }

  /** Keeps the report in the spool and sends it; never rejects. */
  async send(id: string, body: string): Promise<void> {
    if (this.closed) return;
    if (this.waiting.size >= MAX_WAITING) {
      this.options.log.warn({ code: errorCode('REPORT_DROPPED'), id, waiting: this.waiting.size }, 'call report not kept: the spool is full');
      return;
    }
    let report: SpooledReport | undefined;
    try {
      report = await this.options.spool.put(id, body, this.wallNow());
    } catch (error) {
      this.options.log.warn({ code: errorCode('REPORT_SPOOL'), id, err: error }, 'call report kept in memory only: the spool could not take it');
    }
    this.queue({ id, report, body: report ? undefined : body, attempts: 0, timer: undefined });
  }

  /** Resolves when no attempt is under way (the tests' step between moves of injected time). */
  settled(): Promise<void> {
    if (this.inFlight === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /** Stops retrying and the attempts under way (their reports stay in the spool for the next start). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    for (const entry of this.waiting.values()) this.time.clearTimeout(entry.timer);
    this.ready.length = 0;
    await this.settled();
  }

  private wallNow(): number {
    return this.options.wallNow?.() ?? Date.now();
  }

  private queue(entry: Waiting): void {
    this.waiting.set(entry.id, entry);
    this.ready.push(entry);
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.inFlight < IN_FLIGHT && this.ready.length > 0) {
      const entry = this.ready.shift()!;
      this.inFlight++;
      void this.attempt(entry).finally(() => {
        this.inFlight--;
        this.pump();
        if (this.inFlight === 0 && this.ready.length === 0) for (const resolve of this.settledWaiters.splice(0)) resolve();
      });
    }
  }

  private async attempt(entry: Waiting): Promise<void> {
    let problem: string;
    try {
      const body = entry.body ?? (await this.options.spool.read(entry.report!));
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [REPORT_ID_HEADER]: reportIdOf(body) ?? entry.id,
          [SIGNATURE_HEADER]: signReport(body, this.options.secret, this.wallNow()),
        },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs ?? REPORT_TIMEOUT_MS), this.stopping.signal]),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        this.waiting.delete(entry.id);
        this.delivered++;
        if (entry.report) await this.options.spool.remove(entry.report).catch(() => undefined);
        return;
      }
      problem = `HTTP ${response.status}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      problem = cause?.code ?? (error as Error).message;
    }
    // Stopped by close(): the report waits in the spool for the next start, nothing failed.
    if (this.closed) return;
    entry.attempts++;
    if (entry.attempts % LOG_EVERY === 1)
      this.options.log.warn(
        { code: errorCode('REPORT_DELIVERY'), id: entry.id, attempts: entry.attempts, problem, url: this.options.url },
        'call report not delivered; it will be retried',
      );
    const waitMs = Math.min(this.retry.maxMs, this.retry.firstMs * this.retry.factor ** (entry.attempts - 1));
    entry.timer = this.time.setTimeout(() => {
      entry.timer = undefined;
      this.ready.push(entry);
      this.pump();
    }, waitMs);
  }
}

/** The record's own id, read from the front of its JSON (the builder writes it third). */
function reportIdOf(body: string): string | undefined {
  return /"id":"([^"]{1,100})"/.exec(body.slice(0, 300))?.[1];
}
