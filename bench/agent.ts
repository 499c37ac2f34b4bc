/**
 * Voice agent figures through real calls: the real Agents SDK on our transport against the local
 * Realtime server (test/helpers/fake-openai-realtime.ts), callers from the emulator. Each call asks,
 * gets a long spoken reply, and talks over it. Measured:
 *
 * - latency of each reply, caller's end of speech → first agent audio sent to Vonage, split into the
 *   model's share (here the fake's: its VAD's 500 ms of silence and espeak-ng — not a claim about
 *   OpenAI) and ours (resampling, queueing, the pacer's first frame);
 * - interruption: the model's speech_started → `clear` at the caller, wall time;
 * - truncation: the truncate's `audio_end_ms` against what the caller's recording shows was heard.
 */
import { RealtimeAgent } from '@openai/agents-realtime';
import { startAgent } from '../src/agents/start-agent.js';
import type { VonageRealtimeTransportLayer } from '../src/agents/vonage-realtime-transport.js';
import { placeCall } from '../src/emulator/call.js';
import { distribution, type Distribution } from '../src/emulator/stats.js';
import { startFakeRealtime } from '../test/helpers/fake-openai-realtime.js';
import { startTestServer } from '../test/helpers/server.js';
import { soundFrames } from '../test/helpers/audio.js';

const REPLY =
  'Thank you for calling. I can help you with your account, your bills, your orders and your deliveries, and I will happily explain each of them in detail.';

export interface AgentResult {
  calls: number;
  oursMs: Distribution | undefined;
  modelMs: Distribution | undefined;
  clearAfterEventMs: Distribution | undefined;
  truncationErrorMs: Distribution | undefined;
}

export async function agentLatency(calls: number): Promise<AgentResult> {
  const fake = await startFakeRealtime({ turns: [{ say: REPLY }, null] });
  const transports = new Map<string, VonageRealtimeTransportLayer>();
  const server = await startTestServer({
    app: (call) => {
      const { transport } = startAgent(call, { agent: new RealtimeAgent({ name: 'Bench', instructions: 'Be brief.' }), apiKey: fake.apiKey, url: fake.url });
      call.once('connected', (identity) => transports.set(identity.uuid ?? '', transport));
    },
  });
  const ours: number[] = [];
  const model: number[] = [];
  const clears: number[] = [];
  const truncationErrors: number[] = [];
  try {
    for (let i = 0; i < calls; i += 4) {
      await Promise.all(
        Array.from({ length: Math.min(4, calls - i) }, async () => {
          let clearedAt: number | undefined;
          const result = await placeCall({
            answerUrl: `${server.baseUrl}/webhooks/answer`,
            durationMs: 8000,
            talk: 'skip',
            record: true,
            audio: {
              kind: 'script',
              utterances: [
                { text: 'hello there', atMs: 800 },
                { text: 'stop please', atMs: 4800 },
              ],
            },
            onTimeline: (entry) => {
              if (entry.text.startsWith('clear')) clearedAt ??= performance.now();
            },
          });
          const transport = transports.get(result.uuid);
          // The model session of this call: the one that got this transport's truncation.
          const cut = transport?.interruptions[0]?.itemId;
          const session = fake.sessions.find((s) => s.truncations.some((truncation) => truncation.item_id === cut));
          if (!transport || !session || !result.heard || !result.leg) return;
          const [turn] = transport.turns.snapshot();
          if (turn?.latency) {
            ours.push(turn.latency.oursMs);
            model.push(turn.latency.modelMs);
          }
          const started = session.sent.filter(({ event }) => event.type === 'input_audio_buffer.speech_started')[1];
          if (started && clearedAt !== undefined) clears.push(clearedAt - started.at);
          const firstSound = soundFrames(result.heard.pcm, result.heard.sampleRate)[0] ?? -1;
          const clearMs = result.leg.clearsAtHeardMs[0];
          if (firstSound >= 0 && clearMs !== undefined) truncationErrors.push(Math.abs(session.truncations[0]!.audio_end_ms - (clearMs - firstSound * 20)));
        }),
      );
    }
    return {
      calls,
      oursMs: distribution(ours),
      modelMs: distribution(model),
      clearAfterEventMs: distribution(clears),
      truncationErrorMs: distribution(truncationErrors),
    };
  } finally {
    await server.close();
    await fake.close();
  }
}
