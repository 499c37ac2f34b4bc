/**
 * The words of telephony on a call (src/telephony/ does the work): how a dial ended up, what Vonage's
 * machine detection said, the steps of a transfer, DTMF sent. They are typed events of the call's
 * session (call-events.ts), for apps, the dashboard and the call record. A leaf, with no behaviour.
 */

/** How an outbound call ended up: who answered it, or why nobody did (docs/outbound.md). */
export const DIAL_OUTCOMES = ['human', 'machine', 'busy', 'unanswered', 'rejected', 'failed', 'cancelled'] as const;
export type DialOutcome = (typeof DIAL_OUTCOMES)[number];

/** What Vonage's advanced machine detection reports: `beep` and `no-beep` follow a `machine` (detect_beep). */
export type MachineVerdict = 'human' | 'machine' | 'beep' | 'no-beep';

/** The call's dial outcome, once known (a call that reaches its socket was answered: human or machine). */
export interface DialOutcomeEvent {
  outcome: DialOutcome;
  /** The dial's own id (the correlation id in the socket's headers). */
  dialId: string;
  /** The phone leg's uuid. */
  uuid: string | undefined;
  to: string;
  /** The Vonage status that decided it (`answered`, `human`, `machine`, `busy`, ...). */
  status: string;
  at: number;
}

export interface MachineEvent {
  verdict: MachineVerdict;
  /** The leg it is about (the phone leg of the call). */
  uuid: string | undefined;
  at: number;
}

export type TransferKind = 'cold' | 'warm';

/**
 * The steps of a transfer, in order. Cold: `started`, then `connected` or `failed`. Warm: `started`,
 * `holding` (the caller hears hold audio), `dialling` the person, `briefing` them, then `joined` — or
 * `unanswered`, `declined` (the person's phone refused, they hung up, or pressed a key), `failed`, each
 * followed by `returned` (the agent is back with the caller).
 */
export type TransferStepName = 'started' | 'holding' | 'dialling' | 'briefing' | 'joined' | 'connected' | 'unanswered' | 'declined' | 'failed' | 'returned';

export interface TransferStep {
  kind: TransferKind;
  /** The destination's name (never a number a caller or a model made up: only named ones are dialled). */
  to: string;
  step: TransferStepName;
  /** Why, for the failures; the person's leg uuid once dialled. */
  detail?: string;
  at: number;
}

export interface DtmfSent {
  digits: string;
  at: number;
}

/** How a transfer ended. */
export type TransferResult =
  | { ok: true; kind: TransferKind; to: string }
  | { ok: false; kind: TransferKind; to: string; reason: 'unanswered' | 'declined' | 'failed' | 'refused'; detail: string };

export interface WarmTransferOptions {
  /** What the person hears first: who is calling and why, in a few sentences. */
  briefing: string;
  /** How long the person's phone may ring, s (default 20). */
  ringingTimeoutS?: number;
}

/** The dial that placed a call, as its socket learns it (whichever instance the socket landed on). */
export interface DialInfo {
  dialId: string;
  to: string;
  from: string | undefined;
  /** The JSON given when dialling: who is called and why. */
  context: unknown;
  /** The phone leg's uuid (the one REST control acts on). */
  uuid: string | undefined;
  conversationUuid: string | undefined;
  /** Whether machine detection was asked for, and how (`async`: the verdict comes while the call runs). */
  machineDetection: 'detect' | 'detect-beep' | 'async' | undefined;
}

/**
 * What a call needs from the server's telephony (src/telephony/): set on each session when the
 * server has Vonage credentials. The call layer only knows this shape.
 */
export interface TelephonyPort {
  /** The named destinations a transfer may go to. */
  destinations(): string[];
  transfer(to: string): Promise<TransferResult>;
  warmTransfer(to: string, options: WarmTransferOptions): Promise<TransferResult>;
  sendDtmf(digits: string): Promise<void>;
}

/** A dial as the dashboard shows it (`GET /api/calls`'s `dials`): this instance's, in progress and recent. */
export interface DialSnapshot {
  dialId: string;
  to: string;
  uuid: string | undefined;
  state: 'ringing' | 'answered' | 'ended';
  outcome: DialOutcome | undefined;
  status: string | undefined;
  detail?: string;
  verdicts: MachineVerdict[];
  startedAt: number;
  answeredAt?: number;
  endedAt?: number;
}
