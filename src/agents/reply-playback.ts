/**
 * A voice model's replies as they play on a call, whatever the provider: its audio resampled to the
 * call's rate and written through the pacer in order, with the pacer's backpressure (never faster
 * than real time plus the lead, however fast the model bursts); and, when the caller talks over it,
 * what they really heard of each reply — the pacer's played position against where that reply's
 * audio started (`CallSession.scheduledMs` at its first write), not what the model sent.
 *
 * An interruption starts a new generation: writes still queued from the old one are dropped.
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

interface PlayingItem extends ReplyKey {
  /** `call.scheduledMs` at the item's first write; undefined until then. */
  startMs: number | undefined;
  writtenMs: number;
}

/**
 * Largest audio chunk taken from a model: 20 s. Real chunks carry tens of milliseconds; a bigger one
 * is a broken or hostile peer.
 */
export const MAX_REPLY_CHUNK_SECONDS = 20;

export class ReplyPlayback {
  #items: PlayingItem[] = [];
  #writing: Promise<void> = Promise.resolve();
  #generation = 0;
  #fromModel: Resampler | undefined;
  /** A reply whose first frame out is awaited (for its latency). */
  #awaitingFrameOut: string | undefined;

  /**
   * @param modelRate the model's audio rate (PCM16 mono)
   * @param onFirstFrameOut the first frame of a reply left for Vonage, at this wall time
   */
  constructor(
    private readonly call: CallSession,
    private readonly modelRate: number,
    onFirstFrameOut: (replyId: string, wall: number) => void,
  ) {
    const untap = call.tapOutbound(() => {
      if (this.#awaitingFrameOut === undefined) return;
      onFirstFrameOut(this.#awaitingFrameOut, performance.now());
      this.#awaitingFrameOut = undefined;
    });
    call.once('end', untap);
  }

  /**
   * Queues `pcm` (model rate) of the item `key`, after everything queued before it. False: the chunk
   * is over MAX_REPLY_CHUNK_SECONDS and was dropped unread (resampling it would hold every call's loop).
   */
  write(key: ReplyKey, pcm: Buffer): boolean {
    if (pcm.length > this.maxChunkBytes) return false;
    let item = this.#items.find((i) => i.replyId === key.replyId && i.itemId === key.itemId && i.contentIndex === key.contentIndex);
    if (!item) {
      item = { ...key, startMs: undefined, writtenMs: 0 };
      this.#items.push(item);
    }
    this.#fromModel ??= this.call.sampleRate === this.modelRate ? undefined : new Resampler(this.modelRate, this.call.sampleRate);
    const out = this.#fromModel ? floatToPcm16(this.#fromModel.process(pcm16ToFloat(pcm))) : pcm;
    const generation = this.#generation;
    const playing = item;
    this.#writing = this.#writing.then(async () => {
      if (generation !== this.#generation || this.call.state === 'ended') return;
      if (playing.startMs === undefined) {
        playing.startMs = this.call.scheduledMs;
        this.#awaitingFrameOut = playing.replyId;
      }
      playing.writtenMs += (pcm.length / 2 / this.modelRate) * 1000;
      await this.call.write(out);
    });
    return true;
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
  }
}
