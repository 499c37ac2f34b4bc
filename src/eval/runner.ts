/**
 * Runs eval scenarios: each an emulated inbound call (src/emulator/call.ts) whose caller is the
 * scenario's script (scripted-caller.ts); what the caller heard is transcribed offline against the
 * phrases the scenario names (heard-audio.ts), the tools come from the call's record, and judge.ts
 * gives the verdict. Scenarios run side by side, a few at a time.
 */
import { placeCall, type CallResult } from '../emulator/call.js';
import { appError } from '../emulator/checks.js';
import { DEFAULT_MAX_DURATION_MS, type Scenario } from './scenario.js';
import { ScriptedCaller } from './scripted-caller.js';
import { judge, listenFor, plainWords, type Check, type EndedBy, type Measured } from './judge.js';
import { toolsCalled } from './call-tools.js';

export interface ScenarioResult {
  name: string;
  pass: boolean;
  checks: Check[];
  measured: Measured;
  /** Phrases heard, in order. */
  heard: string[];
  durationMs: number;
}

export interface RunOptions {
  /** The server's base URL (call-history API) or its records folder; default: the answer URL's origin. */
  records?: string;
  /** Scenarios at once (default 4). */
  concurrency?: number;
  /** Connect wss:// as ws:// (an app on this machine; docs/emulator.md). */
  plainWs?: boolean;
  /** How long to wait for a call's record (default call-tools.ts's). */
  recordWaitMs?: number;
  onResult?: (result: ScenarioResult) => void;
}

function endedBy(result: CallResult, caller: ScriptedCaller | undefined): EndedBy {
  const leg = result.leg;
  if (!leg?.connected) return 'not-connected';
  if (caller?.log.hungUp) return 'caller';
  // An agent that hangs up through Vonage's REST API ends the caller's leg: the emulator notes it.
  if (result.timeline.some((entry) => entry.text === 'REST hangup of the caller leg')) return 'agent';
  return leg.end === 'caller-hangup' ? 'time-limit' : 'agent';
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  let caller: ScriptedCaller | undefined;
  const maxDurationMs = scenario.maxDuration ?? DEFAULT_MAX_DURATION_MS;
  const phrases = listenFor(scenario.expect);
  const result = await placeCall({
    answerUrl: scenario.answerUrl,
    ...(scenario.to ? { to: scenario.to } : {}),
    ...(scenario.from ? { from: scenario.from } : {}),
    durationMs: maxDurationMs,
    record: true,
    ...(phrases.length ? { transcribeHeard: { choices: phrases } } : {}),
    ...(options.plainWs ? { plainWs: true } : {}),
    audio: {
      kind: 'source',
      create: async (rate) => (caller = await ScriptedCaller.create(scenario.caller, rate, { voice: scenario.voice, noise: scenario.noise, maxDurationMs })),
    },
  });
  const failure = appError(result.leg);
  const records = options.records ?? new URL(scenario.answerUrl).origin;
  const tools = scenario.expect.tools ? await toolsCalled(records, result.conversationUuid, options.recordWaitMs) : [];
  const heard = result.heardTranscript?.map((line) => plainWords(line.text)) ?? [];
  const log = caller?.log ?? { lines: [], agentSounding: [], hungUp: false, notReached: scenario.caller.length };
  const { checks, measured } = judge(
    {
      log,
      heard: result.heardTranscriptError ? { error: result.heardTranscriptError } : heard,
      tools,
      endedBy: endedBy(result, caller),
      problems: [...result.problems, ...(failure ? [failure] : [])],
    },
    scenario.expect,
  );
  return { name: scenario.name, pass: checks.every((check) => check.pass), checks, measured, heard, durationMs: performance.now() - started };
}

/** All scenarios, `concurrency` at a time, results in the scenarios' order. */
export async function runScenarios(scenarios: Scenario[], options: RunOptions = {}): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(scenarios.length);
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const index = next++;
      results[index] = await runScenario(scenarios[index]!, options);
      options.onResult?.(results[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, scenarios.length)) }, worker));
  return results;
}
