/**
 * An eval scenario file (docs/eval.md): simulated callers and what each expects of the agent. A file
 * holds defaults and a list of scenarios; each is a caller script (lines at times, after the agent
 * goes quiet, or while it speaks; noise; keys; hanging up) and expectations (phrases, tools, who hung
 * up, response time, talk-over). Plain data, validated here: an error names the file, the scenario
 * and the field (`VS_ERR_EVAL_SCENARIO`).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseDurationMs } from '../duration.js';
import { VoicesocketError } from '../errors.js';

/** A time: milliseconds as a number, or a duration string (`700ms`, `2s`). */
const time = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : parseDurationMs(value);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > 3_600_000) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a time (milliseconds, or 700ms, 2s)` });
    return z.NEVER;
  }
  return Math.round(ms);
});

/** When a line runs. One of these; none: right after the line before (a short gap). */
const when = {
  /** At this time after the socket opened. */
  at: time.optional(),
  /** Once the agent has spoken (since the line before) and then been quiet this long. */
  afterSilence: time.optional(),
  /** An interruption: once the agent has been speaking this long without a pause. */
  interrupt: time.optional(),
  /** With afterSilence or interrupt: run anyway this long after the line became next. */
  timeout: time.optional(),
};

const line = z.union([
  z.strictObject({ say: z.string().min(1).max(500), ...when }),
  z.strictObject({ dtmf: z.string().regex(/^[0-9*#]+$/, 'digits 0-9, * and #'), ...when }),
  z.strictObject({ hangup: z.literal(true), ...when }),
]);

const noise = z.strictObject({ kind: z.enum(['white', 'pink', 'brown']), snr: z.number().min(-10).max(60) });

/** A phrase the agent must say: heard if a phrase the offline transcriber hears holds every keyword. */
const said = z.union([
  z.string().min(1),
  z.strictObject({
    /** What the transcriber listens for: the agent's sentence(s) as it may say them. */
    phrases: z.array(z.string().min(1)).min(1),
    /** Words that must all be in the phrase heard (default: every word of the first phrase). */
    keywords: z.array(z.string().min(1)).min(1).optional(),
  }),
]);

const expectations = z.strictObject({
  says: z.array(said).optional(),
  /** Other things the agent may say: alternatives for the transcriber, so a wrong phrase is not forced onto them. */
  mayAlsoSay: z.array(z.string().min(1)).optional(),
  tools: z.array(z.string().min(1)).optional(),
  hangup: z.enum(['agent', 'caller']).optional(),
  /** The caller's end of speech to the agent's first audio, for every line the agent answered. */
  maxResponse: time.optional(),
  /** Agent audio while the caller speaks, at most this much per line (an interruption's cut included). */
  maxTalkOver: time.optional(),
});

const scenarioSchema = z.strictObject({
  name: z.string().min(1).max(200),
  answerUrl: z.string().url().optional(),
  /** Called number (the `to` of the answer webhook). */
  to: z.string().min(1).optional(),
  from: z.string().min(1).optional(),
  caller: z.array(line).default([]),
  voice: z.string().min(1).optional(),
  noise: noise.optional(),
  /** The caller hangs up after this long, whatever happened (default 30 s). */
  maxDuration: time.optional(),
  expect: expectations.default({}),
});

const fileSchema = z.strictObject({
  answerUrl: z.string().url().optional(),
  /** Where the server's call records are: its base URL (`/api/history`) or a records folder. */
  records: z.string().min(1).optional(),
  scenarios: z.array(z.unknown()).min(1),
});

export type ScenarioLine = z.output<typeof line>;
export type Scenario = z.output<typeof scenarioSchema> & { answerUrl: string };
export type Expectations = Scenario['expect'];
export type Noise = z.output<typeof noise>;
export interface ScenarioFile {
  path: string;
  records?: string;
  scenarios: Scenario[];
}

/** The longest call a scenario runs when it says nothing (a caller hangs up by then). */
export const DEFAULT_MAX_DURATION_MS = 30_000;

/** A union's issue as its nearest branch tells it (a line with `say` is judged as a said line). */
function nearest(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return issue;
  const branch = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
  const inner = branch[0];
  return inner ? nearest({ ...inner, path: [...issue.path, ...inner.path] }) : issue;
}

function fail(path: string, where: string, found: z.core.$ZodIssue): never {
  const issue = nearest(found);
  const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  throw new VoicesocketError('EVAL_SCENARIO', `${path}: ${where}field ${field}: ${issue.message}`);
}

/** Validates a parsed file; `answerUrl` (the command line's) fills scenarios that name none. */
export function parseScenarioFile(data: unknown, path: string, answerUrl?: string): ScenarioFile {
  const file = fileSchema.safeParse(data);
  if (!file.success) fail(path, '', file.error.issues[0]!);
  const scenarios = file.data.scenarios.map((raw, index) => {
    const name = (raw as { name?: unknown } | null)?.name;
    const where = `scenario ${index + 1}${typeof name === 'string' ? ` "${name}"` : ''}: `;
    const parsed = scenarioSchema.safeParse(raw);
    if (!parsed.success) fail(path, where, parsed.error.issues[0]!);
    for (const [i, item] of parsed.data.caller.entries()) {
      const timed = [item.at, item.afterSilence, item.interrupt].filter((value) => value !== undefined).length;
      if (timed > 1) fail(path, where, { path: ['caller', i], message: 'give one of at, afterSilence and interrupt' } as z.core.$ZodIssue);
    }
    const url = parsed.data.answerUrl ?? answerUrl ?? file.data.answerUrl;
    if (!url)
      fail(path, where, { path: ['answerUrl'], message: 'no answer URL: give one in the scenario, the file, or on the command line' } as z.core.$ZodIssue);
    return { ...parsed.data, answerUrl: url };
  });
  const names = new Set<string>();
  for (const scenario of scenarios) {
    if (names.has(scenario.name)) fail(path, `scenario "${scenario.name}": `, { path: ['name'], message: 'two scenarios have this name' } as z.core.$ZodIssue);
    names.add(scenario.name);
  }
  return { path, scenarios, ...(file.data.records ? { records: file.data.records } : {}) };
}

/** Reads a scenario file: YAML (`.yaml`, `.yml`) or JSON. */
export async function loadScenarioFile(path: string, answerUrl?: string): Promise<ScenarioFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new VoicesocketError('EVAL_SCENARIO', `${path}: cannot be read: ${(error as Error).message}`);
  }
  let data: unknown;
  const yaml = /\.ya?ml$/i.test(path);
  try {
    data = yaml ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (error) {
    throw new VoicesocketError('EVAL_SCENARIO', `${path}: not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  return parseScenarioFile(data, path, answerUrl);
}
