/**
 * How a dial ended up, from its phone leg's status events (docs/protocol.md §8.1; Vonage's call flow
 * and machine-detection guides). Pure: events in, an outcome out. Events arrive out of order, so a
 * final status decides at once, while `completed` alone waits for a more specific one (a grace the
 * caller of `settle` gives).
 *
 *   busy → busy · timeout, unanswered → unanswered · rejected → rejected · failed → failed ·
 *   cancelled → cancelled · human → human · machine → machine · answered → human when no machine
 *   detection was asked for; with detection, the verdict decides (a call that ends answered with no
 *   verdict counts as human: someone picked up and nothing said otherwise).
 */
import type { DialOutcome, MachineVerdict } from '../call/telephony-types.js';
import type { CallEvent } from '../protocol/webhooks.js';

/** The statuses that decide an outcome by themselves. */
const DECISIVE: Record<string, DialOutcome> = {
  busy: 'busy',
  timeout: 'unanswered',
  unanswered: 'unanswered',
  rejected: 'rejected',
  failed: 'failed',
  cancelled: 'cancelled',
};

/**
 * The outcome a finished call's last status says on its own (Vonage's record of a call, read back by
 * a resumed dial list): the decisive statuses, and a call that was answered or completed as a person
 * unless a machine was heard.
 */
export function outcomeOfFinalStatus(status: string): DialOutcome | undefined {
  if (status === 'completed' || status === 'answered' || status === 'human') return 'human';
  if (status === 'machine') return 'machine';
  return DECISIVE[status];
}

/** Exit status of `voicesocket dial` per outcome (docs/outbound.md): 0 when a person answered. */
export const OUTCOME_EXIT_CODES: Record<DialOutcome, number> = {
  human: 0,
  machine: 3,
  busy: 4,
  unanswered: 5,
  rejected: 6,
  failed: 7,
  cancelled: 8,
};

/** Outcomes worth another try later (a dial list's retries). */
export const RETRYABLE_OUTCOMES: ReadonlySet<DialOutcome> = new Set(['busy', 'unanswered']);

/** A machine-detection verdict in an event, if it carries one. */
export function machineVerdictOf(event: CallEvent): MachineVerdict | undefined {
  if (event.kind !== 'status') return undefined;
  if (event.status === 'human') return 'human';
  if (event.status !== 'machine') return undefined;
  if (event.subState === 'beep_start') return 'beep';
  if (event.subState === 'beep_timeout') return 'no-beep';
  return 'machine';
}

export interface OutcomeDecision {
  outcome: DialOutcome;
  /** The status that decided it. */
  status: string;
}

export class DialProgress {
  #answered = false;
  #verdict: 'human' | 'machine' | undefined;
  #decided: OutcomeDecision | undefined;
  #completed = false;
  readonly verdicts: MachineVerdict[] = [];

  constructor(private readonly machineDetection: boolean) {}

  get answered(): boolean {
    return this.#answered;
  }

  get decided(): OutcomeDecision | undefined {
    return this.#decided;
  }

  /** True once `completed` came: the leg is over, whatever else is still to arrive. */
  get completed(): boolean {
    return this.#completed;
  }

  /**
   * Takes one event of the phone leg; returns the outcome if this event decided it (only once), and
   * the machine verdict it carried, if any.
   */
  take(event: CallEvent): { decided?: OutcomeDecision; verdict?: MachineVerdict } {
    const verdict = machineVerdictOf(event);
    if (verdict) {
      this.verdicts.push(verdict);
      // Detection only runs on an answered call: its verdict says the call was answered.
      this.#answered = true;
      this.#verdict ??= verdict === 'human' ? 'human' : 'machine';
      return { ...this.#decide({ outcome: this.#verdict, status: event.status! }), verdict };
    }
    if (event.kind !== 'status' || !event.status) return {};
    const status = event.status;
    if (status === 'answered') {
      this.#answered = true;
      return this.machineDetection ? {} : this.#decide({ outcome: 'human', status });
    }
    if (status === 'completed') {
      this.#completed = true;
      return {};
    }
    const decisive = DECISIVE[status];
    // A final status after the call was answered (a `failed` transfer leg, say) does not undo it.
    if (decisive && !this.#answered) return this.#decide({ outcome: decisive, status });
    return {};
  }

  /**
   * The outcome when the leg completed without a deciding status (or events were lost): answered
   * calls count as their verdict or human; others as failed. Called after a grace for late events.
   */
  settle(): OutcomeDecision {
    if (this.#decided) return this.#decided;
    this.#decided = this.#answered ? { outcome: this.#verdict ?? 'human', status: 'completed' } : { outcome: 'failed', status: 'completed' };
    return this.#decided;
  }

  /** Decides now with this outcome if nothing has decided yet (a cancel, a local timer, a refused request). */
  force(outcome: DialOutcome, status: string): OutcomeDecision {
    this.#decided ??= { outcome, status };
    return this.#decided;
  }

  #decide(decision: OutcomeDecision): { decided?: OutcomeDecision } {
    if (this.#decided) return {};
    this.#decided = decision;
    return { decided: decision };
  }
}
