/**
 * Voice agent figures through real calls, every provider side by side: each provider's official SDK
 * (or, for ElevenLabs' conversation, its documented WebSocket) against the local server that speaks
 * its protocol (test/helpers/fake-*.ts), callers from the emulator. Each call asks, gets a long spoken
 * reply, and talks over it. Measured, per provider:
 *
 * - latency of each reply, caller's end of speech → first agent audio sent to Vonage, split into the
 *   model's share (here the fake's: its voice detection's 500 ms of silence and espeak-ng — not a claim
 *   about any vendor) and ours (resampling, queueing, the pacer's first frame). For the cascade the
 *   "model's share" is the whole pipeline: PocketSphinx's final result, the chat model streaming at a
 *   fixed token rate, espeak-ng's first sentence;
 * - interruption: the barge-in signal (the provider's event or our detector's, whichever came first)
 *   → `clear` at the caller, wall time in this process;
 * - truncation: what voicesocket says was heard of the reply against what the caller's recording shows.
 */
import { RealtimeAgent } from '@openai/agents-realtime';
import { startAgent } from '../src/agents/start-agent.js';
import { startVoiceAgent } from '../src/agents/agent-bridge.js';
import type { AgentBridge } from '../src/agents/agent-bridge.js';
import type { LinkProvider, VoiceAgent } from '../src/agents/agent-link.js';
import { geminiProvider } from '../src/agents/providers/gemini.js';
import { elevenLabsProvider } from '../src/agents/providers/elevenlabs.js';
import { deepgramAgentProvider } from '../src/agents/providers/deepgram-agent.js';
import { cascadeProvider } from '../src/agents/providers/cascade.js';
import { espeakSynthesizer } from '../src/speech/espeak.js';
import type { CallSession } from '../src/call/call-session.js';
import { placeCall } from '../src/emulator/call.js';
import { distribution, type Distribution } from '../src/emulator/stats.js';
import { startFakeRealtime } from '../test/helpers/fake-openai-realtime.js';
import { startFakeGemini } from '../test/helpers/fake-gemini-live.js';
import { startFakeElevenLabs } from '../test/helpers/fake-elevenlabs-agent.js';
import { startFakeDeepgramAgent } from '../test/helpers/fake-deepgram-agent.js';
import { startFakeChat } from '../test/helpers/fake-chat-completions.js';
import { startTestServer } from '../test/helpers/server.js';
import { soundFrames } from '../test/helpers/audio.js';

const REPLY =
  'Thank you for calling. I can help you with your account, your bills, your orders and your deliveries, and I will happily explain each of them in detail.';
/** The cascade's chat model streams at this rate: a fast hosted model's. */
export const CASCADE_TOKENS_PER_SECOND = 50;

export interface AgentResult {
  provider: string;
  calls: number;
  oursMs: Distribution | undefined;
  modelMs: Distribution | undefined;
  totalMs: Distribution | undefined;
  clearAfterEventMs: Distribution | undefined;
  truncationErrorMs: Distribution | undefined;
}

/** One provider's agent on each call, and the wall times of every barge-in signal it could act on. */
type AgentFactory = (call: CallSession, signals: number[]) => VoiceAgent;

async function measure(provider: string, calls: number, agentFor: AgentFactory): Promise<AgentResult> {
  const agents = new Map<string, { agent: VoiceAgent; signals: number[] }>();
  const server = await startTestServer({
    app: (call) => {
      const signals: number[] = [];
      call.on('speech-start', () => signals.push(performance.now()));
      const agent = agentFor(call, signals);
      call.once('connected', (identity) => agents.set(identity.uuid ?? '', { agent, signals }));
    },
  });
  const ours: number[] = [];
  const model: number[] = [];
  const total: number[] = [];
  const clears: number[] = [];
  const truncationErrors: number[] = [];
  try {
    for (let i = 0; i < calls; i += 4) {
      await Promise.all(
        Array.from({ length: Math.min(4, calls - i) }, async () => {
          let clearedAt: number | undefined;
          const result = await placeCall({
            answerUrl: `${server.baseUrl}/webhooks/answer`,
            durationMs: 9000,
            talk: 'skip',
            record: true,
            audio: {
              kind: 'script',
              utterances: [
                { text: 'hello there', atMs: 800 },
                { text: 'stop please', atMs: 5800 },
              ],
            },
            onTimeline: (entry) => {
              if (entry.text.startsWith('clear')) clearedAt ??= performance.now();
            },
          });
          const entry = agents.get(result.uuid);
          if (!entry || !result.heard || !result.leg) return;
          const turn = entry.agent.turns.snapshot().find((t) => t.latency);
          if (turn?.latency) {
            ours.push(turn.latency.oursMs);
            model.push(turn.latency.modelMs);
            total.push(turn.latency.totalMs);
          }
          const signal = entry.signals.filter((at) => clearedAt !== undefined && at <= clearedAt).at(-1);
          if (signal !== undefined && clearedAt !== undefined) clears.push(clearedAt - signal);
          const cut = entry.agent.interruptions.find((c) => c.heardMs > 0);
          const firstSound = soundFrames(result.heard.pcm, result.heard.sampleRate)[0] ?? -1;
          const clearMs = result.leg.clearsAtHeardMs[0];
          if (cut && firstSound >= 0 && clearMs !== undefined) truncationErrors.push(Math.abs(cut.heardMs - (clearMs - firstSound * 20)));
        }),
      );
    }
    return {
      provider,
      calls,
      oursMs: distribution(ours),
      modelMs: distribution(model),
      totalMs: distribution(total),
      clearAfterEventMs: distribution(clears),
      truncationErrorMs: distribution(truncationErrors),
    };
  } finally {
    await server.close();
  }
}

/** A provider on the bridge; the link's own barge-in events count as signals too. */
function bridged(provider: () => LinkProvider): AgentFactory {
  return (call, signals) => {
    const agent = startVoiceAgent(call, { provider: provider(), instructions: 'Be brief.' }) as AgentBridge;
    // A provider that fails to connect is its own row of dashes, not an unhandled rejection.
    agent.ready.then(
      () => agent.link?.on('caller-started', () => signals.push(performance.now())),
      () => undefined,
    );
    return agent;
  };
}

/**
 * Every provider's figures; `together` measures them at once (the quick smoke run: one call each, a
 * busier machine), else one provider after another (the figures to record).
 */
export async function agentLatency(calls: number, together = false): Promise<AgentResult[]> {
  const turns = [{ say: REPLY }, null];
  const [realtime, gemini, elevenlabs, deepgram, chat] = await Promise.all([
    startFakeRealtime({ turns }),
    startFakeGemini({ turns }),
    startFakeElevenLabs({ turns }),
    startFakeDeepgramAgent({ turns }),
    startFakeChat({ turns: [{ say: REPLY }], tokensPerSecond: CASCADE_TOKENS_PER_SECOND }),
  ]);
  const runs: Array<[string, AgentFactory]> = [
    [
      'openai',
      (call, signals) => {
        const { transport } = startAgent(call, {
          agent: new RealtimeAgent({ name: 'Bench', instructions: 'Be brief.' }),
          apiKey: realtime.apiKey,
          url: realtime.url,
        });
        transport.on('input_audio_buffer.speech_started', () => signals.push(performance.now()));
        return { provider: 'openai', turns: transport.turns, interruptions: transport.interruptions, ready: Promise.resolve() };
      },
    ],
    ['gemini', bridged(() => geminiProvider({ apiKey: gemini.apiKey, baseUrl: gemini.baseUrl }))],
    ['elevenlabs', bridged(() => elevenLabsProvider({ apiKey: elevenlabs.apiKey, baseUrl: elevenlabs.baseUrl, agentId: 'bench' }))],
    ['deepgram', bridged(() => deepgramAgentProvider({ apiKey: deepgram.apiKey, baseUrl: deepgram.baseUrl }))],
    ['cascade', bridged(() => cascadeProvider({ llm: { model: 'bench', apiKey: chat.apiKey, baseUrl: chat.baseUrl }, tts: espeakSynthesizer }))],
  ];
  try {
    if (together) return await Promise.all(runs.map(([provider, factory]) => measure(provider, calls, factory)));
    const results: AgentResult[] = [];
    for (const [provider, factory] of runs) results.push(await measure(provider, calls, factory));
    return results;
  } finally {
    await Promise.all([realtime.close(), gemini.close(), elevenlabs.close(), deepgram.close(), chat.close()]);
  }
}
