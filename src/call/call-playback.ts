/**
 * A call's outbound audio, one job: the pacer (made on the first paced write), `play`, `write`,
 * `mark` and `clear`, what Vonage acknowledges of them (websocket:notify for our markers,
 * websocket:cleared), and the unpaced path for audio that is already in time (echo). CallSession owns
 * one and delegates to it; it knows the socket only as a `CallTransport` and the call only through
 * the few facts it asks its host for.
 */
import { readFile } from 'node:fs/promises';
import { errorCode } from '../errors.js';
import { FrameSplitter } from '../audio/frame-splitter.js';
import type { FrameClock } from '../audio/frame-clock.js';
import { Pacer, type AudioBudget } from '../audio/pacer.js';
import { wavToCallPcmSlices } from '../audio/wav.js';
import { FRAME_MS } from '../protocol/audio-format.js';
import { clearCommand, notifyCommand } from '../protocol/socket-messages.js';
import type { Logger } from './logger.js';
import type { CallTransport, PlayResult, PlaySource } from './call-types.js';

/** Key added to notify payloads so the session can tell its own markers apart; removed before the app sees them. */
const MARK_KEY = 'voicesocket_mark';
/** How long to wait for Vonage's acknowledgement of clear/notify beyond what the audio needs. */
const ACK_GRACE_MS = 2000;

/** What playback needs of its call. */
export interface PlaybackHost {
  transport: CallTransport;
  log: Logger;
  clock: FrameClock;
  /** The call's rate and frame size now: they are known once websocket:connected says the rate. */
  sampleRate(): number;
  frameBytes(): number;
  ended(): boolean;
  /** Notes a line on the call's socket timeline. */
  note(text: string): void;
  /** Sends one exact frame (the call counts it and shows it to its taps); `paced` when the pacer sends it. */
  sendFrame(frame: Buffer, paced: boolean): void;
  leadMs?: number | undefined;
  maxQueueMs?: number | undefined;
  hardQueueMs?: number | undefined;
  audioBudget?: AudioBudget | undefined;
}

export class CallPlayback {
  private pacer: Pacer | undefined;
  private splitter: FrameSplitter;
  private markSeq = 0;
  /** Our markers awaiting websocket:notify, with the clear generation they were placed in. */
  private readonly pendingMarks = new Map<number, { generation: number; settle: (confirmed: boolean) => void }>();
  /** Clears awaiting websocket:cleared, oldest first, with the generation each one began. */
  private readonly pendingClears: Array<{ generation: number; settle: (acknowledged: boolean) => void }> = [];
  /** Bumped by every clear: a play or write begun before it stops feeding the pacer. */
  private clearGeneration = 0;

  constructor(private readonly host: PlaybackHost) {
    this.splitter = new FrameSplitter(host.frameBytes());
  }

  /** The rate became known (websocket:connected): unpaced audio is re-framed at its frame size. */
  rateChanged(): void {
    this.splitter = new FrameSplitter(this.host.frameBytes());
  }

  /**
   * Sends PCM now, re-framed into exact frames: a whole frame goes out as is, a partial one waits for
   * the next bytes. For audio that is already paced (echo); paced playback belongs to the pacer.
   */
  sendAudio(pcm: Buffer): void {
    if (this.host.ended()) return;
    this.splitter.push(pcm, this.sendUnpaced);
  }

  private readonly sendUnpaced = (frame: Buffer) => this.host.sendFrame(frame, false);
  private readonly sendPaced = (frame: Buffer) => this.host.sendFrame(frame, true);

  /** Paced playback: queues PCM (s16le mono at the call rate) behind what is already queued; resolves when there is room again. */
  write(pcm: Buffer): Promise<void> {
    if (this.host.ended()) return Promise.resolve();
    return this.ensurePacer().write(pcm);
  }

  /**
   * Plays audio through the pacer and resolves when the caller has heard all of it (Vonage's
   * websocket:notify for a marker placed after it), or when it was cleared or the call ended.
   */
  async play(source: PlaySource): Promise<PlayResult> {
    if (this.host.ended()) return { completed: false, confirmed: false, playedMs: 0 };
    const pacer = this.ensurePacer();
    const clearsBefore = pacer.stats.clearedFrames;
    const generation = this.clearGeneration;
    const stopped = () => this.host.ended() || this.clearGeneration !== generation;
    if (typeof source === 'string') await this.writeWav(pacer, await readFile(source), stopped);
    else if (Buffer.isBuffer(source)) await this.writeAll(pacer, source, stopped);
    else if ('wav' in source) await this.writeWav(pacer, source.wav, stopped);
    else {
      for await (const chunk of source) {
        if (stopped()) break;
        await pacer.write(chunk);
      }
    }
    if (stopped()) return { completed: false, confirmed: false, playedMs: pacer.playedMs() };
    const confirmed = await this.mark();
    const completed = !stopped() && pacer.stats.clearedFrames === clearsBefore;
    return { completed, confirmed: completed && confirmed, playedMs: pacer.playedMs() };
  }

  /**
   * Places a marker after everything queued so far; resolves true when Vonage reports it played
   * (websocket:notify), false when it was cleared, the call ended, or no acknowledgement came.
   */
  mark(payload: Record<string, unknown> = {}): Promise<boolean> {
    if (this.host.ended()) return Promise.resolve(false);
    const pacer = this.ensurePacer();
    const id = ++this.markSeq;
    pacer.mark({ ...payload, [MARK_KEY]: id });
    const waitMs = pacer.queuedMs + pacer.aheadMs() + ACK_GRACE_MS;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingMarks.delete(id);
        resolve(false);
      }, waitMs);
      this.pendingMarks.set(id, {
        generation: this.clearGeneration,
        settle: (confirmed) => {
          clearTimeout(timer);
          resolve(confirmed);
        },
      });
    });
  }

  /**
   * Barge-in: drops all queued audio here and at Vonage (`clear`); resolves true on
   * websocket:cleared, false if none came within the grace period.
   */
  clear(): Promise<boolean> {
    if (this.host.ended()) return Promise.resolve(false);
    this.clearGeneration++;
    this.host.note('clear sent');
    this.pacer?.clear();
    this.splitter.reset();
    this.host.transport.sendText(clearCommand());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const index = this.pendingClears.findIndex((pending) => pending.settle === settle);
        if (index >= 0) this.pendingClears.splice(index, 1);
        resolve(false);
      }, ACK_GRACE_MS);
      const settle = (acknowledged: boolean) => {
        clearTimeout(timer);
        resolve(acknowledged);
      };
      this.pendingClears.push({ generation: this.clearGeneration, settle });
    });
  }

  /**
   * websocket:cleared: the oldest clear is acknowledged; the markers Vonage held were discarded with
   * the audio. Only those placed before that clear: a marker after it (the next reply, an apology)
   * was sent after the clear and still plays — settling it here ended that reply early whenever the
   * acknowledgement came late.
   */
  cleared(): void {
    const acknowledged = this.pendingClears.shift();
    acknowledged?.settle(true);
    for (const [id, mark] of this.pendingMarks) {
      if (acknowledged && mark.generation >= acknowledged.generation) continue;
      this.pendingMarks.delete(id);
      mark.settle(false);
    }
  }

  /** websocket:notify: settles our own marker and returns what the app should see (its payload without our key). */
  notified(payload: unknown): unknown {
    if (payload === null || typeof payload !== 'object' || !(MARK_KEY in payload)) return payload;
    const { [MARK_KEY]: id, ...rest } = payload as Record<string, unknown>;
    const mark = this.pendingMarks.get(id as number);
    this.pendingMarks.delete(id as number);
    mark?.settle(true);
    return rest;
  }

  /** The call ended: nothing more is sent, and every wait resolves. */
  stop(): void {
    this.pacer?.stop();
    this.settleMarks(false);
    for (const { settle } of this.pendingClears.splice(0)) settle(false);
  }

  /** Milliseconds of paced audio the caller has heard (cleared audio excluded). */
  get playedMs(): number {
    return this.pacer?.playedMs() ?? 0;
  }

  /** Where paced audio written now will start, in the same ms as `playedMs` (docs/apps.md). */
  get scheduledMs(): number {
    return this.pacer?.scheduledMs() ?? 0;
  }

  /** True while paced audio is queued or still playing at Vonage (what barge-in would stop). */
  get playing(): boolean {
    const pacer = this.pacer;
    return pacer !== undefined && (pacer.queuedMs > 0 || pacer.aheadMs() > 0);
  }

  /** Audio queued for paced playback, not yet sent, ms. */
  get queuedMs(): number {
    return this.pacer?.queuedMs ?? 0;
  }

  /** Paced audio sent and not yet played at Vonage, ms. */
  get aheadMs(): number {
    return this.pacer?.aheadMs() ?? 0;
  }

  /** Pacer counters (frames sent, underruns, furthest ahead of playout), once something was played. */
  get pacerStats(): Pacer['stats'] | undefined {
    return this.pacer?.stats;
  }

  private settleMarks(confirmed: boolean): void {
    for (const { settle } of this.pendingMarks.values()) settle(confirmed);
    this.pendingMarks.clear();
  }

  /**
   * Writes a long buffer a second at a time, waiting for room between pieces: a prompt of any length
   * plays, and the queue stays within its limits (a single write past them would be dropped).
   */
  private async writeAll(pacer: Pacer, pcm: Buffer, stopped: () => boolean): Promise<void> {
    const piece = this.host.frameBytes() * (1000 / FRAME_MS);
    for (let offset = 0; offset < pcm.length; offset += piece) {
      if (stopped()) return;
      await pacer.write(pcm.subarray(offset, offset + piece));
    }
  }

  /**
   * Converts a WAV a second at a time as the pacer takes it, yielding to the event loop between
   * slices: a long or low-rate file (a 4 MiB 4 kHz WAV is 17 minutes) never stalls every other call.
   */
  private async writeWav(pacer: Pacer, wav: Buffer, stopped: () => boolean): Promise<void> {
    for (const pcm of wavToCallPcmSlices(wav, this.host.sampleRate())) {
      if (stopped()) return;
      await this.writeAll(pacer, pcm, stopped);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private ensurePacer(): Pacer {
    if (this.pacer) return this.pacer;
    const { host } = this;
    this.pacer = new Pacer({
      frameBytes: host.frameBytes(),
      clock: host.clock,
      ...(host.leadMs !== undefined ? { leadMs: host.leadMs } : {}),
      ...(host.maxQueueMs !== undefined ? { maxQueueMs: host.maxQueueMs } : {}),
      ...(host.hardQueueMs !== undefined ? { hardQueueMs: host.hardQueueMs } : {}),
      ...(host.audioBudget ? { budget: host.audioBudget } : {}),
      sink: { sendFrame: this.sendPaced, sendMark: (payload) => host.transport.sendText(notifyCommand(payload)) },
    });
    this.pacer.once('overflow', () =>
      host.log.warn(
        { code: errorCode('PLAYBACK_OVERFLOW'), queuedMs: this.pacer?.queuedMs },
        'paced audio queue full; writes are dropped (await write() for backpressure)',
      ),
    );
    return this.pacer;
  }
}
