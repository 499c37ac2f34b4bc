/**
 * Dialling one leg (docs/protocol.md §16): `started`, then `ringing` while the far end rings, then
 * whatever the scenario's phone at that address does — answers (a person or a machine), is busy,
 * rejects, is unavailable or unreachable, or rings until `ringing_timer` runs out (`timeout`). A
 * websocket endpoint "answers" when its socket opens. Dialling stops the moment the leg ends (a REST
 * hangup while it rings is `cancelled`, posted by the leg). What an unconnected leg reports is left
 * to the caller: a `connect` with `eventType: synchronous` posts it as an event that may answer with
 * an NCCO.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FrameClock } from '../../audio/frame-clock.js';
import { signWebhook } from '../../protocol/signed-webhook.js';
import type { WebsocketEndpoint } from '../../protocol/ncco.js';
import type { EmulatorSwitches } from '../switches.js';
import type { Signing } from '../webhook-client.js';
import type { LegResult } from '../websocket-leg.js';
import type { NetworkLeg, Unconnected } from './leg.js';
import { PhoneParty } from './phone-party.js';
import { DEFAULT_ANSWER_AFTER_MS, phoneFor, type AnsweringPhone, type Phone, type Scenario } from './scenario.js';
import { SocketParty } from './socket-party.js';

/** How long after `started` a line that rings reports `ringing`: both are "commonly created simultaneously" (docs/protocol.md §8). */
const RINGING_AFTER_MS = 20;
/** How soon a line that does not connect says so, when the scenario does not say: a busy or failed line answers at once. */
const UNCONNECTED_AFTER_MS = 300;

export interface DialOptions {
  scenario: Scenario;
  /** Seconds the leg may ring before Vonage gives up (`ringing_timer`, a connect's `timeout`). */
  ringingTimerS: number;
  clock: FrameClock;
  switches: EmulatorSwitches;
  signing: Signing | undefined;
  plainWs?: boolean;
}

export type DialResult =
  | { answered: true; kind: 'phone'; party: PhoneParty; phone: AnsweringPhone; beepStarted: Promise<void> }
  | { answered: true; kind: 'socket'; party: SocketParty; socketEnded: Promise<LegResult> }
  /** Not connected: `outcome` says how (the caller reports it); undefined when the leg ended while dialling. */
  | { answered: false; outcome: Unconnected | undefined };

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(Math.max(0, ms), undefined, { signal }).catch(() => undefined);
}

export async function dial(leg: NetworkLeg, options: DialOptions): Promise<DialResult> {
  const { destination } = leg;
  if (destination.type === 'websocket') return dialSocket(leg, destination, options);
  const phone = phoneFor(options.scenario, leg.to);
  leg.post('started');
  const rings = phone.kind === 'person' || phone.kind === 'machine' || phone.kind === 'no-answer' || isRingingOutcome(phone, options.switches);
  if (rings) {
    await pause(RINGING_AFTER_MS, leg.signal);
    if (!leg.live) return { answered: false, outcome: undefined };
    leg.post('ringing');
  }
  const ringingMs = options.ringingTimerS * 1000;
  const answeringKind = phone.kind === 'person' || phone.kind === 'machine';
  const afterMs = phone.answerAfterMs ?? (answeringKind ? DEFAULT_ANSWER_AFTER_MS : UNCONNECTED_AFTER_MS);
  if (phone.kind === 'no-answer' || (rings && afterMs >= ringingMs)) {
    await pause(ringingMs, leg.signal);
    return { answered: false, outcome: leg.live ? { status: 'timeout' } : undefined };
  }
  if (!answeringKind) {
    await pause(afterMs, leg.signal);
    return { answered: false, outcome: leg.live ? unconnectedOutcome(phone, options.switches) : undefined };
  }
  let beepStarted: () => void = () => {};
  const beep = new Promise<void>((resolve) => (beepStarted = resolve));
  // The party's speech is synthesized while the phone rings, so it speaks the moment it answers.
  const [party] = await Promise.all([
    PhoneParty.answer(phone, {
      dtmf: (digit) => leg.pressed(digit),
      hangup: () => leg.end({ by: 'user' }),
      beep: beepStarted,
    }),
    pause(afterMs, leg.signal),
  ]);
  if (!leg.live) return { answered: false, outcome: undefined };
  return { answered: true, kind: 'phone', party, phone, beepStarted: beep };
}

function isRingingOutcome(phone: Phone, switches: EmulatorSwitches): boolean {
  return (
    (phone.kind === 'busy' || phone.kind === 'reject' || phone.kind === 'unavailable' || phone.kind === 'unreachable') &&
    switches.ringsBefore.includes(phone.kind)
  );
}

function unconnectedOutcome(phone: Phone, switches: EmulatorSwitches): Unconnected {
  switch (phone.kind) {
    case 'busy':
      return { status: 'busy' };
    case 'reject':
      return switches.declinedAs === 'rejected' ? { status: 'rejected', detail: 'declined' } : { status: 'unanswered' };
    case 'unavailable':
      return { status: 'unanswered', detail: 'unavailable' };
    case 'unreachable':
      return { status: 'failed', detail: phone.detail };
    default:
      return { status: 'failed', detail: 'internal_error' };
  }
}

/** A websocket answers when its socket opens; one that cannot be reached is `failed` (or `unanswered` when it timed out). */
async function dialSocket(leg: NetworkLeg, endpoint: WebsocketEndpoint, options: DialOptions): Promise<DialResult> {
  for (const status of options.switches.websocketLegEvents) if (status !== 'answered') leg.post(status);
  let authorization: string | undefined;
  if (endpoint.authorization?.type === 'custom') authorization = endpoint.authorization.value;
  if (endpoint.authorization?.type === 'vonage') {
    if (options.signing) authorization = `Bearer ${await signWebhook(options.signing)}`;
    else leg.timeline.add('socket', 'endpoint asks for Vonage authorization but the emulator has no signature secret; sending none', true);
  }
  const party = new SocketParty({
    endpoint,
    clock: options.clock,
    switches: options.switches,
    timeline: leg.timeline,
    ...(authorization ? { authorization } : {}),
    ...(options.plainWs ? { plainWs: true } : {}),
  });
  const socketEnded = party.run();
  const opened = await party.leg.opened;
  if (!leg.live) {
    party.leg.hangupByPlatform();
    return { answered: false, outcome: undefined };
  }
  if (!opened) {
    const result = await socketEnded;
    leg.timeline.add('socket', `could not connect: ${result.connectError ?? 'unknown error'}`, true);
    return {
      answered: false,
      outcome: result.connectError?.includes('timed out') ? { status: 'unanswered', detail: 'timeout' } : { status: 'failed', detail: 'cannot_route' },
    };
  }
  return { answered: true, kind: 'socket', party, socketEnded };
}
