/**
 * Machine detection on an answered leg (docs/protocol.md §16). Vonage's detection is a black box;
 * here the scenario says what answered (and may make detection get it wrong, `detectedAs`), and this
 * file posts what Vonage posts: `human` or `machine` once detection has run (`detectAfterMs` after
 * the answer); with `behavior: hangup` a machine is hung up; with beep detection (`detect_beep`, and
 * the asynchronous `default` mode) a `machine` event with `sub_state: beep_start` when the machine's
 * beep starts, or `beep_timeout` when none came within `beep_timeout`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorSwitches } from '../switches.js';
import type { NetworkLeg } from './leg.js';
import { machineBody } from './network-events.js';
import { DEFAULT_DETECT_AFTER_MS, type AnsweringPhone } from './scenario.js';

export type DetectionMode = 'standard' | 'default' | 'detect' | 'detect_beep';
export type Verdict = 'human' | 'machine';

/** A request's machine detection: `machine_detection` (standard) and `advanced_machine_detection`, which wins when both are set. */
export interface DetectionSettings {
  standard?: 'continue' | 'hangup';
  advanced?: { behavior: 'continue' | 'hangup'; mode: 'default' | 'detect' | 'detect_beep'; beepTimeoutS?: number };
}

export function detectionMode(settings: DetectionSettings): DetectionMode | undefined {
  return settings.advanced ? settings.advanced.mode : settings.standard ? 'standard' : undefined;
}

export interface DetectionRun {
  /** The verdict once it has been posted (and a machine hung up, with `behavior: hangup`); undefined if the leg ended first. */
  verdict: Promise<Verdict | undefined>;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(Math.max(0, ms), undefined, { signal }).catch(() => undefined);
}

/**
 * Starts detection on `leg`, answered at `leg.answeredAt`. `beepStarted` resolves when the party's
 * beep starts (never, for a person or a machine without one).
 */
export function detect(
  leg: NetworkLeg,
  phone: AnsweringPhone,
  settings: DetectionSettings,
  beepStarted: Promise<void>,
  switches: EmulatorSwitches,
): DetectionRun {
  const mode = detectionMode(settings)!;
  const behavior = settings.advanced?.behavior ?? settings.standard ?? 'continue';
  const beepDetection = mode === 'detect_beep' || mode === 'default';
  const post = (verdict: Verdict, subState?: 'beep_start' | 'beep_timeout') =>
    leg.options.events.post(leg.options.eventUrl, machineBody(leg.facts(), verdict, switches, subState));
  const answeredAt = leg.answeredAt ?? Date.now();

  const listenForBeep = async (verdictAt: number): Promise<void> => {
    const timeoutS = settings.advanced?.beepTimeoutS ?? switches.defaultBeepTimeoutS;
    const deadline = (switches.beepTimeoutFrom === 'answered' ? answeredAt : verdictAt) + timeoutS * 1000;
    const stop = new AbortController();
    const signal = AbortSignal.any([leg.signal, stop.signal]);
    const outcome = await Promise.race([
      beepStarted.then(() => 'beep_start' as const),
      pause(deadline - Date.now(), signal).then(() => 'beep_timeout' as const),
    ]);
    stop.abort();
    if (!leg.live) return;
    leg.timeline.add('ncco', `machine detection: ${outcome}`);
    post('machine', outcome);
  };

  const verdict = (async (): Promise<Verdict | undefined> => {
    await pause(answeredAt + (phone.detectAfterMs ?? DEFAULT_DETECT_AFTER_MS) - Date.now(), leg.signal);
    if (!leg.live) return undefined;
    const found: Verdict = phone.detectedAs ?? (phone.kind === 'machine' ? 'machine' : 'human');
    leg.timeline.add('ncco', `machine detection (${mode}): ${found}`);
    if (found === 'human' || !beepDetection || switches.machineVerdictBeforeBeep) post(found);
    if (found === 'machine' && behavior === 'hangup') {
      leg.hangup();
      return found;
    }
    if (found === 'machine' && beepDetection) void listenForBeep(Date.now());
    return found;
  })();

  return { verdict };
}
