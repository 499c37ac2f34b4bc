/**
 * Vonage's advanced machine detection, asked for when a call is placed (Vonage's "Voicemail Detection"
 * guide; `advanced_machine_detection` of `POST /v1/calls`). Three modes:
 *
 * - `detect` and `detect-beep` (Vonage's `detect`, `detect_beep`) are synchronous: Vonage holds the
 *   call's NCCO until the verdict (and, for `detect-beep`, the machine's beep or its timeout), so the
 *   socket opens after them and hears no audio before the verdict. The callee hears 4-5 s of silence.
 * - `async` (Vonage's `default`) runs the NCCO at once: the socket hears the callee (a person's
 *   "hello?", a machine's greeting) while detection goes on, and the verdicts come as events later.
 *   An app must not talk over a greeting it has not judged: the agent app waits for the verdict.
 *
 * `behavior: hangup` has Vonage end a call a machine answered; `continue` (the default) lets it go on.
 */
import type { AdvancedMachineDetection } from '@vonage/voice';
import { VoicesocketError } from '../errors.js';

export const MACHINE_DETECTION_MODES = ['detect', 'detect-beep', 'async'] as const;
export type MachineDetectionMode = (typeof MACHINE_DETECTION_MODES)[number];

/** Vonage's bounds on `beep_timeout`, s (its SDKs refuse values outside them). */
export const BEEP_TIMEOUT_S = { min: 45, max: 120 } as const;

export interface MachineDetectionOptions {
  mode: MachineDetectionMode;
  /** `hangup`: Vonage ends a call a machine answered. Default `continue`. */
  behavior?: 'continue' | 'hangup';
  /** How long to wait for the beep after a machine answered, s (45 to 120; Vonage's default otherwise). */
  beepTimeoutS?: number;
}

const VONAGE_MODE: Record<MachineDetectionMode, string> = { detect: 'detect', 'detect-beep': 'detect_beep', async: 'default' };

/** The request's `advancedMachineDetection` as `@vonage/voice` takes it (it writes the snake_case keys). */
export function advancedMachineDetection(options: MachineDetectionOptions): AdvancedMachineDetection {
  const beep = options.beepTimeoutS;
  if (beep !== undefined && !(Number.isInteger(beep) && beep >= BEEP_TIMEOUT_S.min && beep <= BEEP_TIMEOUT_S.max))
    throw new VoicesocketError('DIAL_INVALID', `beep timeout ${beep} s: expected an integer from ${BEEP_TIMEOUT_S.min} to ${BEEP_TIMEOUT_S.max}`);
  return {
    behavior: (options.behavior ?? 'continue') as AdvancedMachineDetection['behavior'],
    mode: VONAGE_MODE[options.mode] as AdvancedMachineDetection['mode'],
    ...(beep !== undefined ? { beepTimeout: beep } : {}),
  };
}
