/**
 * What the tests of every agent provider share: a server whose calls each get a voice agent of the
 * provider under test (the number called picks the fake's behaviour), a caller, and the barge-in
 * check against the emulator's recording of what the caller heard.
 */
import assert from 'node:assert/strict';
import { placeCall, type CallResult } from '../../src/emulator/call.js';
import { createCallerAudio, type CallerAudio, type CallerControls } from '../../src/emulator/caller-audio.js';
import { FRAME_MS } from '../../src/protocol/audio-format.js';
import { levelDb } from '../../src/speech/voice-activity.js';
import type { CallSession } from '../../src/call/call-session.js';
import { startVoiceAgent, type StartVoiceAgentOptions } from '../../src/agents/agent-bridge.js';
import type { VoiceAgent } from '../../src/agents/agent-link.js';
import type { AgentProvider } from '../../src/agents/agent-link.js';
import { startTestServer } from './server.js';
import type { SpeechEngines } from '../../src/speech/engines.js';
import { soundFrames } from './audio.js';

export type ProviderFor = (to: string) => AgentProvider;

export async function agentServer(
  providerFor: ProviderFor,
  options: Omit<StartVoiceAgentOptions, 'provider' | 'instructions'> & { rate?: 8000 | 16000 | 24000; speech?: SpeechEngines } = {},
) {
  const bridges: VoiceAgent[] = [];
  const { rate, speech, ...agentOptions } = options;
  const app = (call: CallSession) => {
    call.once('connected', (identity) => {
      bridges.push(
        startVoiceAgent(call, { instructions: 'Answer briefly.', connectTimeoutMs: 3000, ...agentOptions, provider: providerFor(identity.to ?? '') }),
      );
    });
  };
  const server = await startTestServer({ app, config: { sampleRate: rate ?? 16000 }, ...(speech ? { speech } : {}) });
  return { server, bridges };
}

/** A caller to `to` who says `utterances`, records what they hear and transcribes it against `phrases` (none: not transcribed). */
export function callAgent(baseUrl: string, to: string, utterances: Array<{ text: string; atMs: number }>, durationMs: number, phrases: string[]) {
  return placeCall({
    answerUrl: `${baseUrl}/webhooks/answer`,
    to,
    durationMs,
    talk: 'skip',
    record: true,
    ...(phrases.length > 0 ? { transcribeHeard: { choices: phrases } } : {}),
    audio: { kind: 'script', utterances },
  });
}

/**
 * A caller to `to` who says `utterances`, then listens: once the agent has spoken after the last
 * utterance began and gone quiet for `quietMs`, they hang up (at `maxMs` at the latest). The call
 * lasts as long as the agent's answer takes, not a length guessed for an unloaded machine: the
 * engines' start and decoding take seconds longer when the machine is busy.
 */
export function callAgentUntilAnswered(
  baseUrl: string,
  to: string,
  utterances: Array<{ text: string; atMs: number }>,
  phrases: string[],
  { quietMs = 1500, maxMs = 25_000 }: { quietMs?: number; maxMs?: number } = {},
) {
  const lastSaid = Math.max(...utterances.map((u) => u.atMs));
  const create = async (rate: number): Promise<CallerAudio> => {
    const script = await createCallerAudio({ kind: 'script', utterances }, rate);
    let controls: CallerControls | undefined;
    let tick = 0;
    let answered = false;
    let quiet = 0;
    let done = false;
    return {
      description: `${script.description}, then listening until the agent is done`,
      fill: (frame, n) => script.fill(frame, n),
      attach: (given) => (controls = given),
      hear: (frame) => {
        const atMs = tick++ * FRAME_MS;
        if (done || atMs < lastSaid) return;
        // The agent's audio above a quiet line's floor; what the app sends as silence is all zeros.
        if (frame && levelDb(frame) > -50) {
          answered = true;
          quiet = 0;
        } else if (answered && (quiet += FRAME_MS) >= quietMs) {
          done = true;
          setImmediate(() => controls?.hangup());
        }
      },
    };
  };
  return placeCall({
    answerUrl: `${baseUrl}/webhooks/answer`,
    to,
    durationMs: maxMs,
    talk: 'skip',
    record: true,
    ...(phrases.length > 0 ? { transcribeHeard: { choices: phrases } } : {}),
    audio: { kind: 'source', create },
  });
}

/** Lower-case words only: how PocketSphinx's menu mode reports a phrase. */
export const phrase = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z ]/g, '')
    .replace(/ +/g, ' ')
    .trim();

/**
 * A heard line is `phrase`: the heard-audio transcription listens in menu mode, one phrase per
 * utterance and an optional "please" after it, so speech that runs on without a pause (the apology's
 * "Could you say that again?" right after "Sorry, something went wrong.") can only come out as that word.
 */
export function heardAs(line: { text: string }, phrase: string): boolean {
  return line.text === phrase || line.text === `${phrase} please`;
}

/** What the caller's failure paths may let them hear, for the heard-audio transcription. */
export const FAILURE_PHRASES = [
  'sorry the assistant is not available right now',
  'please call again later',
  'goodbye',
  'sorry something went wrong',
  'could you say that again',
];

/**
 * The first interruption of the call that cut audio, against the recording: the reply started at its
 * first sound (after `replyAfterMs`),
 * the clear took effect where the emulator's leg says; what was heard in between is what the
 * bridge's cut must say, within `toleranceMs` (40 by default: two frames, the mixer's tick and a
 * frame in flight).
 */
export function assertCutMatchesRecording(result: CallResult, bridge: VoiceAgent, replyAfterMs = 0, toleranceMs = 40): { heardMs: number; recordedMs: number } {
  const cut = bridge.interruptions.find((c) => c.heardMs > 0);
  assert.ok(cut, `an interruption: ${JSON.stringify(bridge.interruptions)}`);
  const heard = result.heard!;
  const sound = soundFrames(heard.pcm, heard.sampleRate);
  // The reply's first sound: the first after `replyAfterMs` (past a greeting, say).
  const replyStartMs = sound.find((index) => index * 20 >= replyAfterMs)! * 20;
  const clearMs = result.leg!.clearsAtHeardMs[0]!;
  assert.ok(clearMs !== undefined, 'a clear reached the caller');
  const recordedMs = clearMs - replyStartMs;
  assert.ok(Math.abs(cut.heardMs - recordedMs) <= toleranceMs, `cut at ${cut.heardMs} ms, the recording shows ${recordedMs} ms heard`);
  assert.deepEqual(
    sound.filter((index) => index * 20 >= clearMs && index * 20 < clearMs + 1000),
    [],
    'silence after the clear',
  );
  return { heardMs: cut.heardMs, recordedMs };
}

/** Whether the caller heard an apology ("sorry ..."); the message says what they heard and when, for a failure's reader. */
export function assertHeardApology(name: string, result: CallResult): void {
  assert.ok(
    result.heardTranscript?.some((line) => line.text.startsWith('sorry')),
    `${name}: heard ${JSON.stringify(result.heardTranscript)} ${result.heardTranscriptError ?? ''}; ` +
      `the call: ${result.timeline
        .slice(-12)
        .map((entry) => `${entry.atMs} ${entry.text}`)
        .join(' | ')}`,
  );
}
