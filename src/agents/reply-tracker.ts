/**
 * A provider's replies as a link sees them, for protocols that give a reply no id of their own
 * (Gemini, ElevenLabs, Deepgram): the reply under way (audio and text join it until the provider ends
 * it), the last few for a cut that comes after one ended, and the words a cut reply's caller heard as
 * one sentence the provider can be told (heard-text.ts estimates them).
 */
import type { HeardCut } from './agent-link.js';
import { heardWords } from './heard-text.js';

export interface TrackedReply {
  id: string;
  /** What the provider says the reply says, so far. */
  text: string;
  /** Audio of it received, ms. */
  sentMs: number;
}

/** Replies kept after they ended, for a cut that comes late (the audio still plays). */
const RECENT_KEPT = 4;

export class ReplyTracker {
  #count = 0;
  #current: TrackedReply | undefined;
  readonly #recent: TrackedReply[] = [];

  /** @param report the link's `reply-started` / `reply-done` events */
  constructor(
    private readonly prefix: string,
    private readonly report: (event: 'reply-started' | 'reply-done', replyId: string) => void,
  ) {}

  /** The reply under way, if any. */
  get current(): TrackedReply | undefined {
    return this.#current;
  }

  /** The reply under way, begun now if none is. */
  open(): TrackedReply {
    if (!this.#current) {
      this.#current = { id: `${this.prefix}-${++this.#count}`, text: '', sentMs: 0 };
      this.report('reply-started', this.#current.id);
    }
    return this.#current;
  }

  /** The provider ended the reply under way (or the caller did). */
  finish(): void {
    const reply = this.#current;
    if (!reply) return;
    this.#current = undefined;
    this.#recent.push(reply);
    if (this.#recent.length > RECENT_KEPT) this.#recent.shift();
    this.report('reply-done', reply.id);
  }

  /** What the caller heard of a cut reply, said for the provider; undefined for a reply this link does not know. */
  heardNote(cut: HeardCut): string | undefined {
    const reply = this.#current?.id === cut.replyId ? this.#current : this.#recent.find((r) => r.id === cut.replyId);
    if (!reply) return undefined;
    const heard = heardWords(reply.text, cut.heardMs, Math.max(cut.sentMs, reply.sentMs));
    const what = cut.by === 'limit' ? 'Your last reply was too long and was cut short' : 'The caller talked over your last reply';
    return `${what}; ${heard ? `they heard only this much of it: "${heard}".` : 'they heard none of it.'}`;
  }
}
