/**
 * The cascade's start: its connection is the chat model's (nothing to open: each turn is a request),
 * so its connect timeout is not spent waiting for the speech-to-text engine, which may take seconds to
 * start on a busy machine (three calls starting PocketSphinx together under load were hung up as 'the
 * model did not connect'). An engine that never starts still loses the call, with its reason.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startVoiceAgent } from '../../src/agents/agent-bridge.js';
import { cascadeProvider } from '../../src/agents/providers/cascade.js';
import { placeCall } from '../../src/emulator/call.js';
import { speechEngines } from '../../src/speech/engines.js';
import { espeakSynthesizer } from '../../src/speech/espeak.js';
import { startFakeChat } from '../helpers/fake-chat-completions.js';
import { scriptedTranscriber } from '../helpers/fake-transcriber.js';
import { startTestServer } from '../helpers/server.js';

const CONNECT_TIMEOUT_MS = 300;
const engines = speechEngines();
// Each call's engine by the number called: ready only well after the connect timeout, or never.
const scripts = new Map([
  ['slow', { ready: { afterMs: CONNECT_TIMEOUT_MS * 4 }, finals: [{ text: 'hello there', afterMs: CONNECT_TIMEOUT_MS * 4 + 100 }] }],
  ['broken', { ready: { afterMs: 100, fails: 'the engine crashed at start' } }],
]);
const order: string[] = [];
engines.register(
  'stt',
  ['scripted'],
  scriptedTranscriber((index) => scripts.get(order[index]!)!),
);
const chat = await startFakeChat({ turns: [{ say: 'Of course.' }], tokensPerSecond: 200 });
const server = await startTestServer({
  speech: engines,
  app: (call) =>
    call.once('connected', (identity) => {
      order.push(identity.to ?? '');
      startVoiceAgent(call, {
        instructions: 'Answer briefly.',
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        provider: cascadeProvider({ llm: { model: 'fake-model', apiKey: chat.apiKey, baseUrl: chat.baseUrl }, stt: 'scripted', tts: espeakSynthesizer }),
      });
    }),
});
after(async () => {
  await server.close();
  await chat.close();
});

test('cascade: a speech-to-text engine slower to start than the connect timeout costs the call nothing; one that fails to start loses it with its reason', async () => {
  const place = (to: string, durationMs: number) =>
    placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, to, durationMs, talk: 'skip', audio: { kind: 'silence' } });
  // One at a time: the engines are handed out in the order the calls connect.
  const slow = await place('slow', 4000);
  const failures = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_MODEL_FAILED');
  assert.deepEqual(failures, [], 'the slow engine lost its call');
  assert.equal(slow.leg!.end, 'caller-hangup');
  assert.equal(chat.requests.length, 1, 'the words heard once the engine started were answered');
  assert.match(JSON.stringify(chat.requests[0]!.messages), /hello there/);

  const broken = await place('broken', 8000); // room for the apology (about 5 s) before the caller's own hang-up
  const lost = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_MODEL_FAILED');
  assert.equal(lost.length, 1, JSON.stringify(lost));
  assert.match(String(lost[0]!.detail), /speech-to-text engine did not start: .*the engine crashed at start/);
  // The apology, then the agent's hang-up: not the caller's at the end of the call.
  assert.equal(broken.leg!.end, 'app-closed');
});
