/**
 * Every call leaves a record (docs/records.md): what the server does with a call beside its app,
 * from one line where a session starts (`records.attach(session)`). Its stereo recording
 * (call-recorder.ts), its record built from its events (call-journal.ts, record-builder.ts), then at
 * its end: the analysis (call-analysis.ts), the record written to its folder, the signed report
 * spooled and POSTed (report-sender.ts), its trace (call-tracing.ts). None of it can fail a call: a
 * fault is one coded line and whatever else could be done is done.
 */
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { CallSession } from '../call/call-session.js';
import type { CallEnd } from '../call/call-types.js';
import { callOutcome, type CallRegistry } from '../call/call-registry.js';
import type { Logger } from '../call/logger.js';
import type { TimeSource } from '../audio/time-source.js';
import { errorCode, VoicesocketError } from '../errors.js';
import { loadWithSdk } from '../vendor-sdk.js';
import type { RecordAnalysis, RecordRecording } from './call-record.js';
import type { CallFacts, CallRecordBuilder } from './record-builder.js';
import { startJournal } from './call-journal.js';
import { recordCall } from './call-recorder.js';
import type { AnalysisOptions, CallAnalyst } from './call-analysis.js';
import { ReportSpool } from './report-spool.js';
import { ReportSender, type RETRY } from './report-sender.js';
import { loadTracing, type CallTracer, type TracingSettings } from './call-tracing.js';

/** How long a record waits for the caller's leg to be reported ended by the event webhooks (its final status), ms. */
const LEG_END_WAIT_MS = 2000;
/**
 * How long `close` waits for records still being finished, and for the last traces to be sent, ms
 * each: a stop must end within the CLI's shutdown deadline (4.5 s with the calls' own grace). An
 * analysis under way is stopped first; a report not yet delivered is in the spool for the next start.
 */
const CLOSE_WAIT_MS = 1000;

const bounded = (work: Promise<unknown>) => Promise.race([work, new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);

export interface CallRecordsOptions {
  /** `--record-calls`: a stereo WAV per call here. */
  recordingsDir?: string | undefined;
  /** `--call-records`: a JSON record per call here. */
  recordsDir?: string | undefined;
  report?: { url: string; secret: string; spoolDir: string } | undefined;
  analysis?: AnalysisOptions | undefined;
  tracing?: TracingSettings | undefined;
  registry: CallRegistry;
  log: Logger;
  /** The app's name, as configured. */
  app: string;
  instance: string;
  /** Injected time and retry waits for the reports (tests). */
  time?: TimeSource;
  retry?: Partial<typeof RETRY>;
}

/** A folder made if missing and proved writable now: a server never starts with records it cannot keep. */
async function writableFolder(dir: string, setting: string): Promise<string> {
  const path = resolve(dir);
  try {
    await mkdir(path, { recursive: true });
    const probe = join(path, `.voicesocket-write-test-${process.pid}`);
    await writeFile(probe, '');
    await unlink(probe);
  } catch (error) {
    throw new VoicesocketError(
      'CONFIG_INVALID',
      `${setting} ${JSON.stringify(dir)} is not allowed; expected a folder this process can write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return path;
}

/** Call ids come from headers the caller controls: file names keep to a safe alphabet. */
function fileBase(session: CallSession): string {
  const stamp = new Date(session.startedAt)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${session.id.replace(/[^A-Za-z0-9-]/g, '_').slice(0, 64)}`;
}

export class CallRecords {
  private readonly finishing = new Set<Promise<void>>();
  private readonly closing = new AbortController();

  private constructor(
    private readonly options: CallRecordsOptions,
    readonly recordingsDir: string | undefined,
    readonly recordsDir: string | undefined,
    private readonly analyst: CallAnalyst | undefined,
    private readonly sender: ReportSender | undefined,
    private readonly tracer: CallTracer | undefined,
  ) {}

  /** Checks the settings (a bad one is CONFIG_INVALID: exit 2), makes the folders, loads tracing when it is on. */
  static async create(options: CallRecordsOptions): Promise<CallRecords> {
    const recordingsDir = options.recordingsDir ? await writableFolder(options.recordingsDir, '--record-calls') : undefined;
    const recordsDir = options.recordsDir ? await writableFolder(options.recordsDir, '--call-records') : undefined;
    let analyst: CallAnalyst | undefined;
    if (options.analysis) {
      // The chat model's SDK is loaded only when calls are analysed.
      const { CallAnalyst, fieldsChecker } = await loadWithSdk('--analysis-model', () => import('./call-analysis.js'));
      try {
        fieldsChecker(options.analysis.schema);
      } catch (error) {
        throw new VoicesocketError(
          'CONFIG_INVALID',
          `--analysis-schema is not a JSON Schema voicesocket can check answers against: ${(error as Error).message}`,
        );
      }
      analyst = new CallAnalyst(options.analysis);
    }
    let sender: ReportSender | undefined;
    if (options.report) {
      const spoolDir = await writableFolder(options.report.spoolDir, '--call-report-spool');
      sender = new ReportSender({
        url: options.report.url,
        secret: options.report.secret,
        spool: await ReportSpool.open(spoolDir),
        log: options.log,
        ...(options.time ? { time: options.time } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
      });
      await sender.start();
    }
    const tracer = options.tracing ? await loadTracing(options.tracing, options.log) : undefined;
    return new CallRecords(options, recordingsDir, recordsDir, analyst, sender, tracer);
  }

  /** Reports waiting for their receiver. */
  get reportsPending(): number {
    return this.sender?.pending ?? 0;
  }

  /** Sends the traces batched so far (the tests; the close sends them too). */
  async flushTraces(): Promise<void> {
    await Promise.allSettled([...this.finishing]);
    await this.tracer?.flush();
  }

  /** The report sender, for the tests' injected time. */
  get reports(): ReportSender | undefined {
    return this.sender;
  }

  /** Keeps this call's record (and its recording). Called once per session, before its app runs. */
  attach(session: CallSession): void {
    const base = fileBase(session);
    const recording = this.recordingsDir ? recordCall(session, join(this.recordingsDir, `${base}.wav`)) : Promise.resolve(null);
    startJournal(session, (builder, end) => {
      const finished = this.finish(session, base, builder, end, recording).catch((error: unknown) =>
        session.log.error({ code: errorCode('RECORD_FAILED'), err: error }, 'call record could not be finished'),
      );
      this.finishing.add(finished);
      void finished.finally(() => this.finishing.delete(finished));
    });
  }

  /** Stops analyses under way, waits for the records being finished, stops the reports' attempts, sends the traces (each bounded). */
  async close(): Promise<void> {
    this.closing.abort();
    await bounded(Promise.allSettled([...this.finishing]));
    await this.sender?.close();
    if (this.tracer) await bounded(this.tracer.close().catch(() => undefined));
  }

  private async finish(
    session: CallSession,
    base: string,
    builder: CallRecordBuilder,
    end: CallEnd,
    recording: Promise<RecordRecording | null>,
  ): Promise<void> {
    const endedAt = Date.now();
    await this.legEnded(session);
    const leg = this.options.registry.legFor(session);
    const conversation = session.identity.conversationUuid ? this.options.registry.conversation(session.identity.conversationUuid) : undefined;
    const facts: CallFacts = {
      id: randomUUID(),
      callId: session.id,
      app: this.options.app,
      instance: this.options.instance,
      startedAt: session.startedAt,
      endedAt,
      durationMs: end.durationMs,
      closeCode: end.code,
      closeReason: end.reason,
      result: callOutcome(end.code),
      legStatus: leg?.status,
      direction: leg?.direction === 'inbound' || leg?.direction === 'outbound' ? leg.direction : undefined,
      legEvents: [...(conversation?.legs ?? (leg ? [leg] : [])).flatMap((one) => one.events), ...(conversation?.events ?? [])],
      stats: {
        framesIn: session.stats.framesIn,
        framesOut: session.stats.framesOut,
        framesDropped: session.stats.framesDropped,
        dtmfIn: session.stats.dtmfIn,
        textRejected: session.stats.textRejected,
        pacerUnderruns: session.pacerStats?.underruns ?? 0,
      },
      recording: await recording,
      analysis: { status: 'skipped', reason: 'no analysis model is configured (--analysis-model)' },
    };
    let record = builder.build(facts);
    if (this.analyst) {
      const analysis: RecordAnalysis = this.closing.signal.aborted
        ? { status: 'skipped', reason: 'the server was stopping', model: this.analyst.model }
        : await this.analyst.analyse(record, this.closing.signal);
      if (analysis.status === 'failed') session.log.warn({ code: errorCode('ANALYSIS_FAILED'), detail: analysis.reason }, 'call analysis failed');
      record = builder.build({ ...facts, analysis });
    }
    const json = JSON.stringify(record);
    if (this.recordsDir) await this.write(session, join(this.recordsDir, `${base}.json`), json);
    await this.sender?.send(record.id, json);
    this.tracer?.trace(record);
  }

  /** The caller's leg's last events (its final status) often come just after its socket closed: a short wait for them. */
  private async legEnded(session: CallSession): Promise<void> {
    const deadline = Date.now() + LEG_END_WAIT_MS;
    while (Date.now() < deadline && !this.closing.signal.aborted) {
      const leg = this.options.registry.legFor(session);
      if (!leg || leg.ended) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The record, whole or not at all: written beside, then renamed into place. */
  private async write(session: CallSession, path: string, json: string): Promise<void> {
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      await writeFile(temporary, `${json}\n`);
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      session.log.error({ code: errorCode('RECORD_FAILED'), err: error, path }, 'call record not written; its report is still sent');
    }
  }
}
