/**
 * A voice model's replies as they play on a call, whatever the provider: its audio resampled to the
 * call's rate and written through the pacer in order, with the pacer's backpressure (never faster
 * than real time plus the lead, however fast the model bursts); and, when the caller talks over it,
 * what they really heard of each reply — the pacer's played position against where that reply's
 * audio started (`CallSession.scheduledMs` at its first write), not what the model sent.
 *
 * An interruption starts a new generation: writes still queued from the old one are dropped.
 *
 * Memory is bounded whatever the provider sends. A link that can wait (the cascade's synthesizer, an
 * HTTP body, a child process) waits for `room()` between chunks: it is read only as fast as the
 * pacer takes audio. A provider whose SDK pushes audio (a WebSocket it reads itself) cannot be
 * paused: what is held here beyond the pacer's queue is capped (`maxBacklogMs`), and so is a reply's
 * length (`maxReplyMs`); past either, `write` refuses and the bridge cuts the reply (a coded line,
 * the provider told where).
 */
import { Resampler } from '../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../audio/pcm.js';
import type { CallSession } from '../call/call-session.js';

/** One piece of a reply: OpenAI names reply, item and content part; other providers one id. */
export interface ReplyKey {
  replyId: string;
  itemId: string;
  contentIndex: number;
}

/** What one interruption cut of one reply item. */
export interface ReplyCut extends ReplyKey {
  /** What the caller heard of the item, ms (whole ms, floored). */
  heardMs: number;
  /** What the model had sent of it, ms. */
  sentMs: number;
}

/** Replies whose length is counted: a cap needs only the latest ones. */
const REPLIES_COUNTED = 16;

interface PlayingItem extends ReplyKey {
  /** `call.scheduledMs` at the item's first write; undefined until then. */
  startMs: number | undefined;
  /** Audio handed to the pacer, ms. */
  writtenMs: number;
}

/**
 * Largest audio chunk taken from a model: 20 s. Real chunks carry tens of milliseconds; a bigger one
 * is a broken or hostile peer.
 */
export const MAX_REPLY_CHUNK_SECONDS = 20;
/**
 * Audio held here beyond the pacer's own queue (10 s), per call, by default: a provider bursting a
 * long reply at four times real time fills it after about a minute of reply. 45 s at 24 kHz is 2.2 MB.
 */
export const DEFAULT_MAX_BACKLOG_MS = 45_000;
/** A reply longer than this is cut there: two minutes of one turn on the phone is a model that does not stop. */
export const DEFAULT_MAX_REPLY_MS = 120_000;

/** What `write` did with a chunk: queued, or refused because it is too large, its reply too long, or too much is held. */
export type ReplyWrite = 'queued' | 'too-large' | 'too-long' | 'backlog';

export class ReplyPlayback {
  #items: PlayingItem[] = [];
  #writing: Promise<void> = Promise.resolve();
  #generation = 0;
  #fromModel: Resampler | undefined;
  /** A reply whose first frame out is awaited (for its latency). */
  #awaitingFrameOut: string | undefined;
  readonly maxReplyMs: number;
  readonly maxBacklogMs: number;
  /** Bytes (call rate) queued here and not yet handed to the pacer. */
  #heldBytes = 0;
  /** Audio taken of each reply, ms (the latest few replies). */
  readonly #replyMs = new Map<string, number>();

  /**
   * @param modelRate the model's audio rate (PCM16 mono)
   * @param onFirstFrameOut the first frame of a reply left for Vonage, at this wall time
   * @param limits a reply's audio past `maxReplyMs` is refused (`too-long`), and audio held here past `maxBacklogMs` (`backlog`)
   */
  constructor(
    private readonly call: CallSession,
    private readonly modelRate: number,
    onFirstFrameOut: (replyId: string, wall: number) => void,
    limits: { maxReplyMs?: number | undefined; maxBacklogMs?: number | undefined } = {},
  ) {
    this.maxReplyMs = limits.maxReplyMs ?? DEFAULT_MAX_REPLY_MS;
    this.maxBacklogMs = limits.maxBacklogMs ?? DEFAULT_MAX_BACKLOG_MS;
    const untap = call.tapOutbound(() => {
      if (this.#awaitingFrameOut === undefined) return;
      onFirstFrameOut(this.#awaitingFrameOut, performance.now());
      this.#awaitingFrameOut = undefined;
    });
    call.once('end', untap);
  }

  /**
   * Queues `pcm` (model rate) of the item `key`, after everything queued before it. Refused, and
   * dropped: a chunk over MAX_REPLY_CHUNK_SECONDS, unread (`too-large`: resampling it would hold every
   * call's loop); audio past the reply's `maxReplyMs` (`too-long`); more than `maxBacklogMs` held
   * here (`backlog`).
   */
  write(key: ReplyKey, pcm: Buffer): ReplyWrite {
    if (pcm.length > this.maxChunkBytes) return 'too-large';
    const ms = (pcm.length / 2 / this.modelRate) * 1000;
    const replyMs = this.#replyMs.get(key.replyId) ?? 0;
    if (replyMs + ms > this.maxReplyMs) return 'too-long';
    let item = this.#items.find((i) => i.replyId === key.replyId && i.itemId === key.itemId && i.contentIndex === key.contentIndex);
    if (!item) {
      item = { ...key, startMs: undefined, writtenMs: 0 };
      this.#items.push(item);
    }
    this.#fromModel ??= this.call.sampleRate === this.modelRate ? undefined : new Resampler(this.modelRate, this.call.sampleRate);
    const heldBytes = this.#heldBytes + ms * (this.call.sampleRate / 1000) * 2;
    if (heldBytes > (this.maxBacklogMs / 1000) * this.call.sampleRate * 2) return 'backlog';
    const out = this.#fromModel ? floatToPcm16(this.#fromModel.process(pcm16ToFloat(pcm))) : pcm;
    this.#heldBytes += out.length;
    this.#replyMs.delete(key.replyId);
    this.#replyMs.set(key.replyId, replyMs + ms);
    if (this.#replyMs.size > REPLIES_COUNTED) this.#replyMs.delete(this.#replyMs.keys().next().value!);
    const generation = this.#generation;
    const playing = item;
    this.#writing = this.#writing.then(async () => {
      // A reset zeroed what was held and dropped these writes.
      if (generation !== this.#generation) return;
      this.#heldBytes -= out.length;
      if (this.call.state === 'ended') return;
      if (playing.startMs === undefined) {
        playing.startMs = this.call.scheduledMs;
        this.#awaitingFrameOut = playing.replyId;
      }
      playing.writtenMs += ms;
      await this.call.write(out);
    });
    return 'queued';
  }

  /**
   * Resolves when everything written so far has been taken by the pacer, and the pacer has room: a
   * link that can wait (a synthesizer's stream, an HTTP body) reads its next chunk then.
   */
  room(): Promise<void> {
    return this.#writing;
  }

  /** Audio taken of a reply so far, ms: what the caller will have heard of it once it has played. */
  takenMs(replyId: string): number {
    return this.#replyMs.get(replyId) ?? 0;
  }

  /** Largest audio chunk taken, bytes at the model's rate. */
  get maxChunkBytes(): number {
    return MAX_REPLY_CHUNK_SECONDS * this.modelRate * 2;
  }

  /** A new reply began: replies the caller has heard to the end cannot be cut any more. */
  forgetHeard(): void {
    const played = this.call.playedMs;
    this.#items = this.#items.filter((item) => item.startMs === undefined || played - item.startMs < item.writtenMs);
  }

  /**
   * The caller talked over the agent: what they heard of each item not heard to the end (or of the
   * `activeReplyId`, still being made), read before the clear resets the pacer's position. Then the
   * queued audio is dropped here and at Vonage (`clear`).
   */
  cut(activeReplyId: string | null): ReplyCut[] {
    const played = this.call.playedMs;
    const cuts = this.#items
      .filter((item) => item.startMs !== undefined)
      .map((item) => ({ item, heardMs: Math.max(0, Math.min(item.writtenMs, played - item.startMs!)) }))
      .filter(({ item, heardMs }) => heardMs < item.writtenMs || activeReplyId === item.replyId)
      .map(({ item, heardMs }) => ({
        replyId: item.replyId,
        itemId: item.itemId,
        contentIndex: item.contentIndex,
        heardMs: Math.floor(heardMs),
        sentMs: item.writtenMs,
      }));
    this.reset();
    void this.call.clear();
    return cuts;
  }

  /** Replies this playback holds (a reply's id counts once it has audio). */
  replyIds(): string[] {
    return [...new Set(this.#items.map((item) => item.replyId))];
  }

  /** Drops everything queued and forgets the items (the model is gone, or an interruption). */
  reset(): void {
    this.#generation++;
    this.#items = [];
    this.#fromModel = undefined;
    this.#writing = Promise.resolve();
    this.#heldBytes = 0;
  }
}
