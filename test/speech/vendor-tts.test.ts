/**
 * ElevenLabs' and OpenAI's text to speech through their official SDKs against a local server speaking
 * both HTTP streaming protocols (test/helpers/fake-speech-http.ts), on real emulated calls: ElevenLabs is
 * asked for PCM at the call's own rate (8, 16, 24 kHz: nothing resampled), OpenAI's 24 kHz PCM is
 * resampled to the call's; the caller hears the sentence. A stalled stream, a refused key and a 500
 * are each a coded speech-error of their own call while the call beside them is heard whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeCall } from '../../src/emulator/call.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { SayResult } from '../../src/call/call-types.js';
import { startFakeSpeechHttp } from '../helpers/fake-speech-http.js';
import { startTestServer } from '../helpers/server.js';
import { phrase } from '../helpers/agent-harness.js';

const SENTENCE = 'Your order will arrive on Tuesday morning.';

/** A server whose calls each say SENTENCE with the engine and voice the number names: `elevenlabs:fake-stall`. */
async function speakingServer(rate: 8000 | 16000 | 24000, fake: { baseUrl: string; apiKey: string }, keys: { elevenlabs?: string; openai?: string } = {}) {
  const said = new Map<string, SayResult>();
  const app = (call: CallSession) => {
    call.once('connected', (identity) => {
      const [engine, voice] = (identity.to ?? '').split(':') as [string, string];
      void call.say(SENTENCE, { engine, ...(voice !== 'default' ? { voice } : {}) }).then((result) => said.set(identity.to ?? '', result));
    });
  };
  const server = await startTestServer({
    app,
    config: {
      sampleRate: rate,
      elevenlabsApiKey: keys.elevenlabs ?? fake.apiKey,
      elevenlabsUrl: fake.baseUrl,
      openaiApiKey: keys.openai ?? fake.apiKey,
      openaiBaseUrl: `${fake.baseUrl}/v1`,
    },
  });
  return { server, said };
}

// 9 s for a 2.2 s sentence: a busy machine can take seconds to start an engine, and `completed` needs
// the whole sentence played and acknowledged before the caller hangs up.
const call = (baseUrl: string, to: string, durationMs = 9000) =>
  placeCall({
    answerUrl: `${baseUrl}/webhooks/answer`,
    to,
    durationMs,
    talk: 'skip',
    transcribeHeard: { choices: [phrase(SENTENCE)] },
    audio: { kind: 'silence' },
  });

test('elevenlabs and openai speech at 8, 16 and 24 kHz: the call rate asked for where the vendor has it, the sentence heard', async (t) => {
  const fake = await startFakeSpeechHttp();
  t.after(() => fake.close());
  // The three rates side by side, each on its own server: six calls at once, not three rounds of two.
  const runs = await Promise.all(
    ([8000, 16000, 24000] as const).map(async (rate) => {
      const { server, said } = await speakingServer(rate, fake);
      try {
        const [eleven, openai] = await Promise.all([call(server.baseUrl, 'elevenlabs:default'), call(server.baseUrl, 'openai:default')]);
        return { rate, said, eleven, openai };
      } finally {
        await server.close();
      }
    }),
  );
  for (const { rate, said, eleven, openai } of runs) {
    for (const [name, result] of [
      ['elevenlabs', eleven],
      ['openai', openai],
    ] as const) {
      assert.equal(result.leg!.sampleRate, rate);
      assert.equal(said.get(`${name}:default`)?.completed, true, `${name} at ${rate}: ${JSON.stringify(said.get(`${name}:default`))}`);
      // PocketSphinx's menu hears 8 kHz espeak-ng poorly; the sentence is checked at 16 and 24 kHz.
      if (rate !== 8000)
        assert.ok(
          result.heardTranscript?.some((line) => line.text === phrase(SENTENCE)),
          `${name} at ${rate}: ${JSON.stringify(result.heardTranscript)}`,
        );
    }
  }
  const eleven = fake.requests.filter((r) => r.vendor === 'elevenlabs');
  assert.deepEqual(
    eleven.map((r) => r.rate).sort((a, b) => a - b),
    [8000, 16000, 24000],
    'ElevenLabs streamed PCM at each call rate',
  );
  assert.ok(eleven.every((r) => r.voice === 'JBFqnCBsd6RMkjVDRZzb' && r.model === 'eleven_flash_v2_5' && r.text === SENTENCE));
  const openai = fake.requests.filter((r) => r.vendor === 'openai');
  assert.ok(openai.length === 3 && openai.every((r) => r.voice === 'marin' && r.model === 'gpt-4o-mini-tts'), JSON.stringify(openai));
});

test('a stalled stream, a refused key and a 500 are each a coded speech-error of their own call; the call beside them is heard', async (t) => {
  const fake = await startFakeSpeechHttp();
  t.after(() => fake.close());
  const { server, said } = await speakingServer(16000, fake);
  const refusing = await speakingServer(16000, fake, { elevenlabs: 'wrong-key-123', openai: 'wrong-key-123' });
  t.after(async () => {
    await server.close();
    await refusing.server.close();
  });
  const results = await Promise.all([
    call(server.baseUrl, 'elevenlabs:fake-stall'),
    call(server.baseUrl, 'openai:fake-stall'),
    call(server.baseUrl, 'openai:fake-error'),
    call(refusing.server.baseUrl, 'elevenlabs:default'),
    call(refusing.server.baseUrl, 'openai:default'),
    call(server.baseUrl, 'elevenlabs:default'),
  ]);
  const kind = (saidBy: Map<string, SayResult>, to: string) => saidBy.get(to)?.error?.kind;
  assert.equal(kind(said, 'elevenlabs:fake-stall'), 'timeout');
  assert.equal(kind(said, 'openai:fake-stall'), 'timeout');
  assert.equal(kind(said, 'openai:fake-error'), 'failed');
  assert.equal(kind(refusing.said, 'elevenlabs:default'), 'unauthorized');
  assert.equal(kind(refusing.said, 'openai:default'), 'unauthorized');
  const codes = [...server.logs, ...refusing.server.logs].map((line) => line.code).filter(Boolean);
  assert.equal(codes.filter((code) => code === 'VS_ERR_SPEECH_ENGINE_UNAUTHORIZED').length, 2, JSON.stringify(codes));
  assert.equal(codes.filter((code) => code === 'VS_ERR_SPEECH_ENGINE_FAILED').length, 3, JSON.stringify(codes));
  // Every call went on to the caller's hang-up; the healthy one was heard whole.
  for (const result of results) assert.equal(result.leg!.end, 'caller-hangup');
  assert.equal(said.get('elevenlabs:default')?.completed, true);
  assert.ok(
    results[5]!.heardTranscript?.some((line) => line.text === phrase(SENTENCE)),
    JSON.stringify(results[5]!.heardTranscript),
  );
});
