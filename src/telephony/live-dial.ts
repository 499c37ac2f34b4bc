/**
 * One call this server placed, from the request to its end: its outcome (dial-outcome.ts) from the
 * phone leg's events, and our own timers behind Vonage's — a lost event must not leave a dial (or a
 * dial list's slot) waiting for ever. Vonage ends the ringing at `ringing_timer` and the call at
 * `length_timer`; ours fire a grace later, hang the leg up and decide what the events did not.
 */
import type { Voice } from '@vonage/voice';
import { errorCode } from '../errors.js';
import type { Logger } from '../call/logger.js';
import type { DialOutcome, MachineVerdict } from '../call/telephony-types.js';
import type { CallEvent } from '../protocol/webhooks.js';
import { DialProgress, type OutcomeDecision } from './dial-outcome.js';
import { placeCall, type CheckedDial, type PlacedCall } from './outbound-call.js';
import type { Ncco } from '../protocol/ncco.js';

/** How long past Vonage's own timer ours waits for its events: they are seconds late at worst. */
export const TIMER_GRACE_MS = 15_000;
/** After `completed` alone, how long a more specific status may still arrive (events come out of order). */
export const COMPLETED_GRACE_MS = 2000;
/** After the socket of an answered call ended, how long the leg's `completed` may take before the dial is over. */
export const SOCKET_END_GRACE_MS = 5000;

export interface DialResult {
  dialId: string;
  to: string;
  /** The phone leg, when Vonage took the request. */
  uuid: string | undefined;
  outcome: DialOutcome;
  /** The Vonage status that decided it (or `request` when the request itself was refused, `timer` for ours). */
  status: string;
  /** Why, for a failure. */
  detail?: string;
  verdicts: MachineVerdict[];
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
}

/** A call being placed or in progress: its outcome, its end, and a way to stop it. */
export interface DialedCall {
  readonly dialId: string;
  readonly to: string;
  /** The phone leg's uuid, once Vonage took the request. */
  readonly uuid: string | undefined;
  /** Resolves with the leg's uuid once Vonage took the request, or undefined when it refused it. */
  readonly placed: Promise<string | undefined>;
  /** How it ended up; never rejects (a refused request is a `failed` outcome with its detail). */
  readonly outcome: Promise<DialResult>;
  /** Once the call is over: its leg completed, or it never got through. */
  readonly ended: Promise<DialResult>;
  /** Hangs up: before an answer the outcome is `cancelled`. */
  cancel(): Promise<void>;
}

export interface LiveDialParts {
  vonage: Voice;
  log: Logger;
  /** The leg is known: the hub routes its events here (and replays any that came first). */
  legKnown(uuid: string, placed: PlacedCall): void;
  /** The outcome is decided (dashboard, session). */
  decided(result: DialResult): void;
  over(result: DialResult): void;
}

export class LiveDial implements DialedCall {
  readonly outcome: Promise<DialResult>;
  readonly ended: Promise<DialResult>;
  readonly placed: Promise<string | undefined>;
  readonly startedAt = Date.now();
  uuid: string | undefined;
  answeredAt: number | undefined;
  endedAt: number | undefined;
  readonly progress: DialProgress;
  #detail: string | undefined;
  #resolveOutcome!: (result: DialResult) => void;
  #resolveEnded!: (result: DialResult) => void;
  #resolvePlaced!: (uuid: string | undefined) => void;
  #timer: NodeJS.Timeout | undefined;
  #settleTimer: NodeJS.Timeout | undefined;
  #over = false;
  #announced = false;

  constructor(
    readonly dial: CheckedDial,
    private readonly parts: LiveDialParts,
  ) {
    this.progress = new DialProgress(dial.machineDetection !== undefined);
    this.outcome = new Promise((resolve) => (this.#resolveOutcome = resolve));
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.placed = new Promise((resolve) => (this.#resolvePlaced = resolve));
  }

  get dialId(): string {
    return this.dial.dialId;
  }

  get to(): string {
    return this.dial.to;
  }

  /** Places the call; a refusal ends the dial as `failed`. */
  async start(ncco: Ncco, eventUrl: string): Promise<void> {
    let placed: PlacedCall;
    try {
      placed = await placeCall(this.parts.vonage, this.dial, ncco, eventUrl);
    } catch (error) {
      this.#detail = (error as Error).message;
      this.parts.log.warn({ code: errorCode('DIAL_FAILED'), dial: this.dialId, to: this.to, detail: this.#detail }, 'dial: the call could not be placed');
      this.#decide(this.progress.force('failed', 'request'));
      this.#resolvePlaced(undefined);
      return this.#finish();
    }
    this.uuid = placed.uuid;
    this.#resolvePlaced(placed.uuid);
    // Cancelled while the request was on its way: the call Vonage just placed is hung up at once.
    if (this.#over) return void this.parts.vonage.hangupCall(placed.uuid).catch(() => undefined);
    // Vonage stops the ringing at its timer; ours is the net under it.
    this.#arm(this.dial.ringingTimerS * 1000 + TIMER_GRACE_MS, () => this.#timedOut('unanswered', 'no answer or status by the ringing timer'));
    this.parts.legKnown(placed.uuid, placed);
  }

  /** One event of the phone leg. */
  take(event: CallEvent): MachineVerdict | undefined {
    if (this.#over) return undefined;
    const wasAnswered = this.progress.answered;
    const { decided, verdict } = this.progress.take(event);
    if (!wasAnswered && this.progress.answered) {
      this.answeredAt = Date.now();
      this.#arm(this.dial.lengthTimerS * 1000 + TIMER_GRACE_MS, () => this.#timedOut(undefined, 'still going past the length timer'));
    }
    if (decided) this.#decide(decided);
    // `completed` after a deciding status ends the dial; alone, it waits for a late, more specific one.
    if (this.progress.completed && this.progress.decided) this.#finish();
    else if (this.progress.completed) this.#settleSoon(COMPLETED_GRACE_MS);
    else if (decided && !this.progress.answered) this.#finish();
    return verdict;
  }

  /** The socket of this (answered) call ended here: the leg's `completed` should follow. */
  socketEnded(): void {
    if (!this.#over) this.#settleSoon(SOCKET_END_GRACE_MS);
  }

  async cancel(): Promise<void> {
    if (this.#over) return;
    const answered = this.progress.answered;
    if (!answered) this.#decide(this.progress.force('cancelled', 'cancelled'));
    if (this.uuid) {
      try {
        await this.parts.vonage.hangupCall(this.uuid);
      } catch (error) {
        // Already over at Vonage, most likely: the outcome stands either way.
        this.parts.log.debug({ dial: this.dialId, err: error }, 'dial: hang-up not taken');
      }
    }
    if (!answered) this.#finish();
    else this.#settleSoon(SOCKET_END_GRACE_MS);
  }

  result(): DialResult {
    const decided = this.progress.decided;
    return {
      dialId: this.dialId,
      to: this.to,
      uuid: this.uuid,
      outcome: decided?.outcome ?? 'failed',
      status: decided?.status ?? 'pending',
      ...(this.#detail ? { detail: this.#detail } : {}),
      verdicts: [...this.progress.verdicts],
      startedAt: this.startedAt,
      ...(this.answeredAt !== undefined ? { answeredAt: this.answeredAt } : {}),
      ...(this.endedAt !== undefined ? { endedAt: this.endedAt } : {}),
    };
  }

  #decide(decision: OutcomeDecision): void {
    if (this.#announced || decision !== this.progress.decided) return;
    this.#announced = true;
    const result = this.result();
    this.#resolveOutcome(result);
    this.parts.decided(result);
  }

  #timedOut(outcome: DialOutcome | undefined, why: string): void {
    this.parts.log.warn({ code: errorCode('DIAL_FAILED'), dial: this.dialId, uuid: this.uuid, detail: why }, 'dial: our timer ended it');
    this.#detail ??= why;
    if (outcome) this.#decide(this.progress.force(outcome, 'timer'));
    if (this.uuid) this.parts.vonage.hangupCall(this.uuid).catch(() => undefined);
    this.#finish();
  }

  #settleSoon(ms: number): void {
    if (this.#settleTimer) return;
    this.#settleTimer = setTimeout(() => {
      this.#decide(this.progress.settle());
      this.#finish();
    }, ms);
    this.#settleTimer.unref();
  }

  #arm(ms: number, fire: () => void): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(fire, ms);
    this.#timer.unref();
  }

  #finish(): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#settleTimer);
    this.endedAt = Date.now();
    // An outcome is always decided before the end (settle() decides one if nothing else did).
    this.#decide(this.progress.settle());
    const result = this.result();
    this.#resolveEnded(result);
    this.parts.over(result);
  }
}
