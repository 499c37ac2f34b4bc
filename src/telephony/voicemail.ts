/**
 * Who answered a dialled call, and voicemails left after the beep (docs/outbound.md). With Vonage's
 * synchronous detection (`detect`, `detect-beep`) the verdict came before the socket opened and is
 * already on the call; with `async` the socket hears the callee first, and an app waits for the verdict
 * before it speaks, as Vonage's guide has it (the person hears a short silence; a machine's greeting
 * is not talked over). A message is left after the machine's beep — or once detection gave up on one
 * (`no-beep`), or, where no beep is listened for, once the greeting has gone quiet.
 */
import type { CallSession } from '../call/call-session.js';
import type { MachineVerdict } from '../call/telephony-types.js';

/** How long an app waits for an async verdict: Vonage's detection takes 4-5 s; past this the callee is taken for a person. */
export const VERDICT_TIMEOUT_MS = 8000;
/** Where no beep is listened for: the greeting is over after this much quiet following speech. */
export const GREETING_END_QUIET_MS = 1200;
/** The longest a message waits for its moment (beep detection's own timeout is 45 s or more). */
export const BEEP_WAIT_MS = 130_000;

export type AnsweredBy = 'human' | 'machine';

export type { VoicemailPolicy } from './voicemail-policy.js';

function nextVerdict(call: CallSession, wanted: (verdict: MachineVerdict) => boolean, timeoutMs: number): Promise<MachineVerdict | undefined> {
  const known = call.verdicts.find((event) => wanted(event.verdict));
  if (known) return Promise.resolve(known.verdict);
  return new Promise((resolve) => {
    const done = (verdict: MachineVerdict | undefined) => {
      clearTimeout(timer);
      call.off('machine', onVerdict);
      call.off('end', onEnd);
      resolve(verdict);
    };
    const onVerdict = ({ verdict }: { verdict: MachineVerdict }) => wanted(verdict) && done(verdict);
    const onEnd = () => done(undefined);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    call.on('machine', onVerdict);
    call.once('end', onEnd);
  });
}

/**
 * Who answered: `machine` when detection said so, else `human` (no detection asked for, a person, or no
 * verdict in time). Resolves at once with synchronous detection; waits for the verdict with `async`.
 */
export async function answeredBy(call: CallSession, timeoutMs = VERDICT_TIMEOUT_MS): Promise<AnsweredBy> {
  const dial = await call.dialed();
  if (!dial?.machineDetection) return 'human';
  const verdict = await nextVerdict(call, () => true, dial.machineDetection === 'async' ? timeoutMs : Math.min(timeoutMs, 2000));
  return verdict === undefined || verdict === 'human' ? 'human' : 'machine';
}

/** Resolves when a message may start: after the beep (or detection's `no-beep`), or where none is listened for, after the greeting. */
export async function afterTheBeep(call: CallSession): Promise<void> {
  const dial = await call.dialed();
  if (dial?.machineDetection === 'detect-beep' || dial?.machineDetection === 'async') {
    await nextVerdict(call, (verdict) => verdict === 'beep' || verdict === 'no-beep', BEEP_WAIT_MS);
    return;
  }
  // No beep is listened for: the greeting is over when the line has gone quiet after it.
  await call.listen();
  await new Promise<void>((resolve) => {
    let quiet: NodeJS.Timeout | undefined;
    const ready = () => {
      clearTimeout(quiet);
      clearTimeout(cap);
      call.off('speech-end', ended);
      call.off('speech-start', started);
      resolve();
    };
    const ended = () => {
      clearTimeout(quiet);
      quiet = setTimeout(ready, GREETING_END_QUIET_MS);
    };
    const started = () => clearTimeout(quiet);
    const cap = setTimeout(ready, BEEP_WAIT_MS);
    call.on('speech-end', ended);
    call.on('speech-start', started);
    call.once('end', ready);
  });
}

/** Leaves `message` on the machine after its beep, then ends the call. */
export async function leaveVoicemail(call: CallSession, message: string): Promise<void> {
  await afterTheBeep(call);
  if (call.state === 'ended') return;
  call.note('voicemail: leaving the message');
  await call.say(message);
  call.hangup(1000, 'voicemail left');
}
