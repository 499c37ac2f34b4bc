/**
 * The telephony settings: the Vonage application's key (with VONAGE_APPLICATION_ID, the server can
 * place calls, transfer them and send DTMF), the caller ID, and the defaults of every dialled call —
 * its timers and machine detection (docs/outbound.md). The key is a secret (never printed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { oneOf, setting, urlOf, type Setting } from './setting-parsers.js';

/** A PEM private key given inline (`\n` escapes allowed, as .env files write it) or the path of a file holding one. */
export function privateKeyOf(raw: string): string | undefined {
  const pem = (text: string) => (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) ? text : undefined);
  if (raw.includes('-----BEGIN')) return pem(raw.replace(/\\n/g, '\n'));
  try {
    return existsSync(raw) ? pem(readFileSync(raw, 'utf8')) : undefined;
  } catch {
    return undefined;
  }
}

const integerIn = (min: number, max: number) => (raw: string) => (/^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max ? Number(raw) : undefined);

export const TELEPHONY_SETTINGS: Setting[] = [
  setting({
    key: 'vonagePrivateKey',
    secret: true,
    env: 'VONAGE_PRIVATE_KEY',
    flag: '--private-key <pem|path>',
    description: "the Vonage application's private key; with VONAGE_APPLICATION_ID the server can place calls, transfer them and send DTMF",
    allowed: 'a PEM private key, or the path of a file holding one',
    example: '-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----',
    invalid: './no-such-private.key',
    parse: privateKeyOf,
  }),
  setting({
    key: 'vonageApiHost',
    env: 'VONAGE_API_HOST',
    flag: '--vonage-api-host <url>',
    description: "Vonage's Voice API base, for a region or the emulator (default Vonage's own)",
    allowed: 'an absolute http(s):// URL',
    example: 'https://api-eu.vonage.com',
    invalid: 'ws://api.nexmo.com',
    parse: urlOf(['http:', 'https:']),
  }),
  setting({
    key: 'vonageNumber',
    env: 'VONAGE_NUMBER',
    flag: '--vonage-number <number>',
    description: 'caller ID of the calls this server places: a number of the Vonage account',
    allowed: 'a phone number, 6 to 15 digits (E.164, + allowed)',
    example: '447700900000',
    invalid: '44 7700',
    parse: (raw) => (/^\+?\d{6,15}$/.test(raw) ? raw.replace(/^\+/, '') : undefined),
  }),
  setting({
    key: 'ringingTimerS',
    env: 'RINGING_TIMER',
    flag: '--ringing-timer <s>',
    description: 'how long a dialled phone may ring before the call counts as unanswered',
    allowed: "an integer from 1 to 120 (Vonage's bounds)",
    example: '25',
    invalid: '121',
    parse: integerIn(1, 120),
  }),
  setting({
    key: 'lengthTimerS',
    env: 'LENGTH_TIMER',
    flag: '--length-timer <s>',
    description: 'longest a dialled call may last once answered',
    allowed: "an integer from 1 to 7200 (Vonage's bounds)",
    example: '600',
    invalid: '0',
    parse: integerIn(1, 7200),
  }),
  setting({
    key: 'machineDetection',
    env: 'MACHINE_DETECTION',
    flag: '--machine-detection <mode>',
    description:
      "Vonage's advanced machine detection on dialled calls: detect and detect-beep hold the call until the verdict (and the beep); async runs it while the app talks",
    allowed: 'off, detect, detect-beep, async',
    example: 'detect-beep',
    invalid: 'detect_beep',
    parse: oneOf(['off', 'detect', 'detect-beep', 'async'] as const),
  }),
  setting({
    key: 'machineBehavior',
    env: 'MACHINE_BEHAVIOR',
    flag: '--machine-behavior <what>',
    description: 'what Vonage does when machine detection hears a machine: continue (the app decides) or hangup',
    allowed: 'continue, hangup',
    example: 'hangup',
    invalid: 'drop',
    parse: oneOf(['continue', 'hangup'] as const),
  }),
  setting({
    key: 'beepTimeoutS',
    env: 'BEEP_TIMEOUT',
    flag: '--beep-timeout <s>',
    description: "how long detection waits for a machine's beep (Vonage's default when unset)",
    allowed: "an integer from 45 to 120 (Vonage's bounds)",
    example: '60',
    invalid: '30',
    parse: integerIn(45, 120),
  }),
];
