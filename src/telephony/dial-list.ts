/**
 * Dials a list (dial-csv.ts): at most `concurrency` calls in progress (from the request to the end of
 * the call), at most `ratePerS` new calls a second, busy and unanswered numbers tried again after a
 * delay, each number once however often it is listed. Every step is in the journal (dial-journal.ts)
 * before it happens, so a run killed at any point and started again calls nobody twice: finished
 * numbers are skipped, delays run from when the last attempt ended, and an attempt the killed run left
 * behind is looked up at Vonage, never dialled again.
 */
import type { DialOutcome } from '../call/telephony-types.js';
import { DIAL_OUTCOMES } from '../call/telephony-types.js';
import { RETRYABLE_OUTCOMES } from './dial-outcome.js';
import type { DialListRow } from './dial-csv.js';
import { journalState, type DialJournal, type NumberState, type ResultEntry } from './dial-journal.js';
import type { DialedCall } from './live-dial.js';

export interface DialListOptions {
  rows: readonly DialListRow[];
  journal: DialJournal;
  /** Places one attempt (the server's telephony); a throw is that attempt's `failed` outcome. */
  dial(row: DialListRow, attempt: number): DialedCall;
  /** The outcome at Vonage of a leg a stopped run left behind, if it can be had. */
  lookup(uuid: string): Promise<{ outcome: DialOutcome; status: string } | undefined>;
  concurrency: number;
  /** New calls per second, at most. */
  ratePerS: number;
  /** Further attempts for a busy or unanswered number. */
  retries: number;
  retryDelayMs: number;
  /** Each result as it is journaled; `final` when the number is done. */
  onResult?(row: DialListRow, entry: ResultEntry, final: boolean): void;
  /** Once aborted no new call is placed; calls in progress end as they do. */
  signal?: AbortSignal;
}

export interface DialListSummary {
  /** Attempts placed by this run. */
  placed: number;
  /** Each listed number's latest outcome (this run's and earlier runs'). */
  outcomes: Record<DialOutcome, number>;
  /** Numbers not done: a retry still to come when the run was stopped, or never dialled. */
  pending: number;
  /** Lines of rows whose number was listed before (dialled once, for the first). */
  duplicates: number[];
}

interface Attempt {
  row: DialListRow;
  attempt: number;
  notBefore: number;
}

/** The next attempt of a number, or undefined when it is done. */
function nextAttempt(row: DialListRow, state: NumberState | undefined, retries: number, retryDelayMs: number): Attempt | undefined {
  if (!state || state.results.length === 0) return state?.interrupted ? undefined : { row, attempt: (state?.attempts ?? 0) + 1, notBefore: 0 };
  const last = state.results[state.results.length - 1]!;
  if (!RETRYABLE_OUTCOMES.has(last.outcome) || state.attempts > retries) return undefined;
  return { row, attempt: state.attempts + 1, notBefore: last.at + retryDelayMs };
}

/** True when the journal says a number needs no further attempt. */
export function numberDone(state: NumberState | undefined, retries: number): boolean {
  if (!state || state.results.length === 0) return state?.interrupted !== undefined;
  const last = state.results[state.results.length - 1]!;
  return !RETRYABLE_OUTCOMES.has(last.outcome) || state.attempts > retries;
}

export async function runDialList(options: DialListOptions): Promise<DialListSummary> {
  const { journal, concurrency, retries, retryDelayMs } = options;
  const byNumber = new Map(options.rows.map((row) => [row.number, row]));
  // Attempts a stopped run left without a result: never dialled again; their outcome is asked for.
  for (const [number, state] of journalState(journal.entries)) {
    const interrupted = state.interrupted;
    if (!interrupted) continue;
    const found = interrupted.uuid ? await options.lookup(interrupted.uuid).catch(() => undefined) : undefined;
    const entry: ResultEntry = found
      ? {
          kind: 'result',
          number,
          attempt: interrupted.attempt,
          ...found,
          uuid: interrupted.uuid!,
          detail: 'looked up at Vonage after the run stopped',
          at: Date.now(),
        }
      : {
          kind: 'result',
          number,
          attempt: interrupted.attempt,
          outcome: 'failed',
          status: 'interrupted',
          ...(interrupted.uuid ? { uuid: interrupted.uuid } : {}),
          detail: 'the run stopped during this call; not dialled again',
          at: Date.now(),
        };
    await journal.append(entry);
    const row = byNumber.get(number);
    if (row) options.onResult?.(row, entry, !nextAttempt(row, journalState(journal.entries).get(number), retries, retryDelayMs));
  }

  const states = journalState(journal.entries);
  const queue: Attempt[] = [];
  const listed = new Set<string>();
  const duplicates: number[] = [];
  for (const row of options.rows) {
    if (listed.has(row.number)) {
      duplicates.push(row.line);
      continue;
    }
    listed.add(row.number);
    const next = nextAttempt(row, states.get(row.number), retries, retryDelayMs);
    if (next) queue.push(next);
  }
  const enqueue = (attempt: Attempt) => {
    // Kept in order of when each may go, then of the list.
    const at = queue.findIndex((other) => other.notBefore > attempt.notBefore);
    queue.splice(at < 0 ? queue.length : at, 0, attempt);
  };
  queue.sort((a, b) => a.notBefore - b.notBefore);

  let placed = 0;
  const attemptOnce = async ({ row, attempt }: Attempt): Promise<void> => {
    await journal.append({ kind: 'dialling', number: row.number, attempt, at: Date.now() });
    placed++;
    let call: DialedCall;
    let result: ResultEntry;
    try {
      call = options.dial(row, attempt);
    } catch (error) {
      result = { kind: 'result', number: row.number, attempt, outcome: 'failed', status: 'request', detail: (error as Error).message, at: Date.now() };
      await journal.append(result);
      options.onResult?.(row, result, true);
      return;
    }
    const uuid = await call.placed;
    if (uuid) await journal.append({ kind: 'placed', number: row.number, attempt, uuid, at: Date.now() });
    const outcome = await call.outcome;
    result = {
      kind: 'result',
      number: row.number,
      attempt,
      outcome: outcome.outcome,
      status: outcome.status,
      ...(outcome.uuid ? { uuid: outcome.uuid } : {}),
      ...(outcome.detail ? { detail: outcome.detail } : {}),
      at: Date.now(),
    };
    await journal.append(result);
    const again =
      RETRYABLE_OUTCOMES.has(result.outcome) && attempt <= retries ? { row, attempt: attempt + 1, notBefore: Date.now() + retryDelayMs } : undefined;
    options.onResult?.(row, result, !again);
    // The slot is the call's until it is over, not only until its outcome.
    await call.ended;
    if (again) enqueue(again);
  };

  const spacingMs = 1000 / options.ratePerS;
  let lastPlacedAt = -Infinity;
  let inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const pump = () => {
      clearTimeout(timer);
      timer = undefined;
      const stopped = options.signal?.aborted === true;
      if ((stopped || queue.length === 0) && inFlight === 0) return resolve();
      if (stopped) return;
      const now = Date.now();
      while (inFlight < concurrency && queue.length > 0 && queue[0]!.notBefore <= now && lastPlacedAt + spacingMs <= now) {
        const next = queue.shift()!;
        inFlight++;
        lastPlacedAt = now;
        attemptOnce(next).then(() => {
          inFlight--;
          pump();
        }, reject);
      }
      if (inFlight < concurrency && queue.length > 0) timer = setTimeout(pump, Math.max(1, queue[0]!.notBefore - now, lastPlacedAt + spacingMs - now));
    };
    options.signal?.addEventListener('abort', pump, { once: true });
    pump();
  });

  const outcomes = Object.fromEntries(DIAL_OUTCOMES.map((outcome) => [outcome, 0])) as Record<DialOutcome, number>;
  const finalStates = journalState(journal.entries);
  let pending = 0;
  for (const number of listed) {
    const state = finalStates.get(number);
    const last = state?.results.at(-1);
    if (last) outcomes[last.outcome]++;
    if (nextAttempt(byNumber.get(number)!, state, retries, retryDelayMs)) pending++;
  }
  return { placed, outcomes, pending, duplicates };
}
