/**
 * Every provider against junk and floods from its own side, each in its own call on one server, all
 * at once: frames that are not JSON, messages of shapes the protocol does not have, and a 2 MB audio
 * chunk. Each is dropped with a coded line and the reply after it still plays; a chat model that
 * sends junk gets the caller an apology. The process and the healthy call beside them go on (a
 * Gemini frame that is not JSON was an unhandled rejection in the SDK: the whole process would end).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geminiProvider } from '../../src/agents/providers/gemini.js';
import { deepgramAgentProvider } from '../../src/agents/providers/deepgram-agent.js';
import { elevenLabsProvider } from '../../src/agents/providers/elevenlabs.js';
import { cascadeProvider } from '../../src/agents/providers/cascade.js';
import { espeakSynthesizer } from '../../src/speech/espeak.js';
import { startFakeGemini } from '../helpers/fake-gemini-live.js';
import { startFakeDeepgramAgent } from '../helpers/fake-deepgram-agent.js';
import { startFakeElevenLabs } from '../helpers/fake-elevenlabs-agent.js';
import { startFakeChat } from '../helpers/fake-chat-completions.js';
import { agentServer, callAgent } from '../helpers/agent-harness.js';
import { soundFrames } from '../helpers/audio.js';

const REPLY = 'Here is a short answer for you, and a little more of it.';

test('providers: junk frames, misshapen messages and a 2 MB chunk are dropped with coded lines; the reply plays, other calls go on', async (t) => {
  const turns = [{ say: REPLY }];
  const [gemini, deepgram, elevenlabs, chat] = await Promise.all([
    startFakeGemini({ turns }),
    startFakeDeepgramAgent({ turns }),
    startFakeElevenLabs({ turns }),
    startFakeChat({ turns }),
  ]);
  // The number called names the provider and the fake's behaviour: `gemini:fake-garbage`.
  const { server, bridges } = await agentServer((to) => {
    const [provider, behaviour] = to.split(':') as [string, string];
    if (provider === 'gemini') return geminiProvider({ apiKey: gemini.apiKey, baseUrl: gemini.baseUrl, model: behaviour });
    if (provider === 'deepgram')
      return deepgramAgentProvider({ apiKey: deepgram.apiKey, baseUrl: deepgram.baseUrl, think: { provider: 'open_ai', model: behaviour } });
    if (provider === 'elevenlabs') return elevenLabsProvider({ apiKey: elevenlabs.apiKey, baseUrl: elevenlabs.baseUrl, agentId: behaviour });
    return cascadeProvider({ llm: { model: behaviour, apiKey: chat.apiKey, baseUrl: chat.baseUrl }, tts: espeakSynthesizer });
  });
  t.after(async () => {
    await server.close();
    await Promise.all([gemini.close(), deepgram.close(), elevenlabs.close(), chat.close()]);
  });
  const calls = [
    'gemini:fake-garbage',
    'gemini:fake-huge',
    'deepgram:fake-garbage',
    'deepgram:fake-huge',
    'elevenlabs:fake-garbage',
    'elevenlabs:fake-huge',
    'cascade:fake-garbage',
    'gemini:healthy',
  ];
  const results = await Promise.all(calls.map((to) => callAgent(server.baseUrl, to, [{ text: 'hello there', atMs: 800 }], 8000, [])));
  const byCall = new Map(calls.map((to, index) => [to, results[index]!]));
  // Each call went on to the caller's hang-up, and heard a reply (or the apology) of at least a second.
  for (const [to, result] of byCall) {
    assert.equal(result.leg!.end, 'caller-hangup', `${to}: ${result.leg!.end}`);
    const heardMs = soundFrames(result.heard!.pcm, result.heard!.sampleRate).length * 20;
    assert.ok(heardMs >= 1000, `${to}: heard ${heardMs} ms`);
  }
  // The replies are the scripted one, whole, after the junk.
  const replies = bridges.map((bridge) => ({ provider: bridge.provider, turns: bridge.turns.snapshot() }));
  for (const { provider, turns: agentTurns } of replies.filter((r) => r.provider !== 'cascade')) {
    assert.ok(
      agentTurns.some((turn) => turn.agent === REPLY),
      `${provider}: ${JSON.stringify(agentTurns)}`,
    );
  }
  const codes = (code: string) => server.logs.filter((line) => line.code === code);
  const errors = codes('VS_ERR_AGENT_MODEL_ERROR').map((line) => String(line.detail));
  assert.ok(
    errors.some((detail) => /Gemini sent a frame that is not JSON/.test(detail)),
    JSON.stringify(errors),
  );
  assert.ok(
    errors.some((detail) => /Gemini sent a message this link cannot read/.test(detail)),
    JSON.stringify(errors),
  );
  assert.ok(
    errors.some((detail) => /ElevenLabs sent a message that is not JSON/.test(detail)),
    JSON.stringify(errors),
  );
  assert.ok(
    errors.some((detail) => /JSON|Unexpected token|parse/i.test(detail) && !/Gemini|ElevenLabs/.test(detail)),
    `the cascade: ${JSON.stringify(errors)}`,
  );
  assert.equal(codes('VS_ERR_AGENT_AUDIO_TOO_LARGE').length, 3, JSON.stringify(codes('VS_ERR_AGENT_AUDIO_TOO_LARGE')));
  assert.equal(codes('VS_ERR_AGENT_MODEL_FAILED').length, 0, JSON.stringify(codes('VS_ERR_AGENT_MODEL_FAILED')));
});
