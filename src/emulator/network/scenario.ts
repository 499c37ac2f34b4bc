/**
 * A scenario: who answers which number on the emulated phone network, and how (docs/emulator.md,
 * "The phone network"). Each number has a phone: a person who speaks a script (lines at times, or
 * once the other side has spoken and gone quiet; key presses; hanging up), an answering machine
 * (greeting, beep, then it records), or a line that never connects (busy, no answer, reject,
 * unavailable, unreachable). Numbers the scenario does not list reach `default`. A scenario is
 * plain data: a JSON or YAML file, or an object in a test. Validation says which field is wrong.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** How long a phone rings before it answers, when the scenario does not say (ms). */
export const DEFAULT_ANSWER_AFTER_MS = 1000;
/** How long detection takes after the answer: "usually 3 to 5 seconds" (docs/protocol.md §16). */
export const DEFAULT_DETECT_AFTER_MS = 3000;
/** A person's first line follows the answer by this much, and each line the one before, unless timed. */
export const DEFAULT_LINE_GAP_MS = 300;
/** Longest voicemail a machine keeps, unless the scenario says: real mailboxes allow 1-3 minutes. */
export const DEFAULT_RECORD_MS = 60_000;
/** Cost per minute of an answered call, as Vonage's example `rate` (EUR). */
export const DEFAULT_RATE_PER_MINUTE = 0.0045;

const ms = z
  .number()
  .int()
  .min(0)
  .max(24 * 3_600_000);
const voice = { voice: z.string().min(1).optional(), wordsPerMinute: z.number().int().min(80).max(450).optional() };

/** When a line runs: at a time after the answer, once the other side has spoken and gone quiet, or right after the line before. */
const when = {
  atMs: ms.optional(),
  afterSilenceMs: ms.optional(),
  /** With `afterSilenceMs`: run anyway this long after the line became next (nobody spoke). */
  timeoutMs: ms.optional(),
};

const line = z.union([
  z.strictObject({ say: z.string().min(1), ...when, ...voice }),
  z.strictObject({ dtmf: z.string().regex(/^[0-9*#]+$/, 'digits 0-9, * and #'), ...when }),
  z.strictObject({ hangup: z.literal(true), ...when }),
]);

const common = {
  /** Ring time before the phone answers (or before a busy, reject... outcome), ms. */
  answerAfterMs: ms.optional(),
  /** Machine detection's verdict comes this long after the answer. */
  detectAfterMs: ms.optional(),
  /** What machine detection reports, when it is not what the phone is (a misdetection). */
  detectedAs: z.enum(['human', 'machine']).optional(),
};

const person = z.strictObject({ kind: z.literal('person'), ...common, ...voice, script: z.array(line).default([]) });

const machine = z.strictObject({
  kind: z.literal('machine'),
  ...common,
  ...voice,
  greeting: z.string().min(1).default("Hello, you have reached my voicemail. I can't take your call right now. Please leave a message after the tone."),
  /** The greeting starts this long after the answer. */
  greetingAfterMs: ms.default(200),
  /** The beep follows the end of the greeting by this much; `beep: false` is a machine with no beep. */
  beepAfterMs: ms.default(400),
  beep: z.boolean().default(true),
  beepMs: z.number().int().min(50).max(3000).default(500),
  beepHz: z.number().min(200).max(4000).default(1000),
  /** The machine stops recording and hangs up this long after the beep. */
  recordMs: ms.default(DEFAULT_RECORD_MS),
  /** The machine hangs up after this much silence following speech (real mailboxes end on silence). */
  endOnSilenceMs: ms.optional(),
});

const unconnected = (kind: 'busy' | 'no-answer' | 'reject' | 'unavailable') => z.strictObject({ kind: z.literal(kind), answerAfterMs: ms.optional() });

const unreachable = z.strictObject({
  kind: z.literal('unreachable'),
  answerAfterMs: ms.optional(),
  /** The `failed` event's detail (docs/protocol.md §16). */
  detail: z.enum(['cannot_route', 'number_out_of_service', 'internal_error']).default('cannot_route'),
});

export const phoneSchema = z.discriminatedUnion('kind', [
  person,
  machine,
  unconnected('busy'),
  unconnected('no-answer'),
  unconnected('reject'),
  unconnected('unavailable'),
  unreachable,
]);

const scenarioSchema = z.strictObject({
  /** Phones by number (digits, a leading + ignored) or SIP URI (`sip:alice@example.com`). */
  phones: z.record(z.string(), phoneSchema).default({}),
  /** The phone of every number not listed. */
  default: phoneSchema.optional(),
  /** `network` of answered calls' events and records. */
  network: z.string().min(1).default('GB-FIXED'),
  /** Price per minute of an answered call (EUR), for `rate` and `price`. */
  ratePerMinute: z.number().min(0).default(DEFAULT_RATE_PER_MINUTE),
});

export type Phone = z.output<typeof phoneSchema>;
export type PersonPhone = Extract<Phone, { kind: 'person' }>;
export type MachinePhone = Extract<Phone, { kind: 'machine' }>;
export type AnsweringPhone = PersonPhone | MachinePhone;
export type ScriptLine = PersonPhone['script'][number];
export type Scenario = z.output<typeof scenarioSchema>;
/** A scenario as written (defaults not yet applied). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type PhoneInput = z.input<typeof phoneSchema>;

/** Who answers a number nobody listed: a person who says hello and stays on the line. */
export const DEFAULT_PHONE: Phone = { kind: 'person', script: [{ say: 'Hello?' }] };

export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** A number as the scenario keys it: digits without `+`, spaces or dashes; SIP and other URIs as given. */
export function phoneKey(address: string): string {
  const trimmed = address.trim();
  return /^\+?[\d\s().-]+$/.test(trimmed) ? trimmed.replace(/[^\d]/g, '') : trimmed;
}

/** Validates a scenario (an object as written, numbers as keys may be numbers in YAML) and applies its defaults. */
export function parseScenario(input: unknown): Scenario {
  const result = scenarioSchema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ScenarioError(`scenario ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  }
  const phones: Record<string, Phone> = {};
  for (const [number, phone] of Object.entries(result.data.phones)) phones[phoneKey(number)] = phone;
  return { ...result.data, phones };
}

/** Reads a scenario file: YAML (`.yaml`, `.yml`) or JSON. */
export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`cannot read scenario ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`scenario ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  return parseScenario(data);
}

/** The phone that answers `address` in a scenario. */
export function phoneFor(scenario: Scenario, address: string): Phone {
  return scenario.phones[phoneKey(address)] ?? scenario.default ?? DEFAULT_PHONE;
}
