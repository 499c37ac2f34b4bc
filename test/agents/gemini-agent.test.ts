/**
 * Gemini Live through Google's SDK (`@google/genai`) against a local server speaking the Live API
 * protocol (test/helpers/fake-gemini-live.ts), the emulator as the caller: audio reaches the model at
 * 16 kHz, its 24 kHz reply is paced at the call's rate; talking over it clears at once and the model
 * is told the words the caller heard; a model that drops, refuses the key or never answers fails only
 * its own call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geminiProvider } from '../../src/agents/providers/gemini.js';
import { startFakeGemini, type GeminiTurn } from '../helpers/fake-gemini-live.js';
import { agentServer, assertCutMatchesRecording, assertHeardApology, callAgent, FAILURE_PHRASES, phrase } from '../helpers/agent-harness.js';
import { waitFor } from '../helpers/server.js';

const LONG_REPLY =
  'Thank you for calling. I can help you with your account, your bills, your orders and your deliveries, and I will happily explain each of them in detail.';
const REPLY = 'Here is a short answer for you.';

async function geminiServer(turns: GeminiTurn[], options: Parameters<typeof agentServer>[1] = {}) {
  const fake = await startFakeGemini({ turns });
  const { server, bridges } = await agentServer(
    (to) =>
      geminiProvider({ apiKey: to === 'fake-badkey' ? 'wrong' : fake.apiKey, baseUrl: fake.baseUrl, model: to.startsWith('fake-') ? to : 'gemini-live-test' }),
    options,
  );
  return { fake, server, bridges };
}

test('gemini: the caller asks, the model answers; talking over it clears at once, and the model is told the words heard', async (t) => {
  const { fake, server, bridges } = await geminiServer([{ say: LONG_REPLY, heard: 'hello there' }, null], { greeting: 'Hello, this is the shop.' });
  t.after(async () => {
    await server.close();
    await fake.close();
  });
  const result = await callAgent(
    server.baseUrl,
    '447700900000',
    [
      { text: 'hello there', atMs: 3500 },
      { text: 'stop please', atMs: 8000 },
    ],
    12_000,
    [phrase('Hello, this is the shop.')],
  );
  assert.equal(result.accepted, true, result.problems.join('; '));
  const [model] = fake.sessions;
  // The SDK's setup: audio out, our instructions, both transcriptions.
  assert.deepEqual((model!.setup!.generationConfig as { responseModalities: string[] }).responseModalities, ['AUDIO']);
  assert.match(JSON.stringify(model!.setup!.systemInstruction), /Answer briefly/);
  // The greeting was asked for and heard.
  assert.match(JSON.stringify(model!.clientContents[0]), /exactly these words: Hello, this is the shop\./);
  assert.ok(
    result.heardTranscript?.some((line) => line.text === phrase('Hello, this is the shop.')),
    JSON.stringify(result.heardTranscript),
  );
  // Every frame of the caller reached the model at 16 kHz (call time and model time agree within a frame or two).
  assert.ok(Math.abs(model!.audioInMs - 12_000) <= 200, `${model!.audioInMs} ms of audio in`);
  const bridge = bridges[0]!;
  const cuts = bridge.interruptions.filter((cut) => cut.heardMs > 0);
  assert.equal(cuts.length, 1, JSON.stringify(bridge.interruptions));
  // The reply (after the greeting, which ended before the caller spoke) was cut where the recording says.
  const { heardMs } = assertCutMatchesRecording(result, bridge, 4000);
  // The note: the heard words, a prefix of the reply, in client content that asks for no reply.
  await waitFor(() => model!.clientContents.length >= 2, 3000, 'the note');
  const note = model!.clientContents[1]!;
  assert.equal(note.turnComplete, false);
  const heard = /heard only this much of it: "(.*)"/.exec(note.turns[0]!.parts[0]!.text ?? '')?.[1] ?? '';
  assert.ok(heard.length > 0 && LONG_REPLY.startsWith(heard) && heard.length < LONG_REPLY.length, `note: ${JSON.stringify(note)}`);
  t.diagnostic(`heard ${heardMs} ms; told the model "${heard}"`);
  const turns = bridge.turns.snapshot();
  const replyTurn = turns.find((turn) => turn.agent === LONG_REPLY);
  assert.ok(replyTurn?.interrupted && replyTurn.caller === 'hello there', JSON.stringify(turns));
  assert.ok(replyTurn.latency && replyTurn.latency.oursMs >= 0, JSON.stringify(replyTurn));
  await waitFor(() => model!.closed, 3000, 'the model session to close');
});

test('gemini: a model that drops, refuses the key or never answers ends only its own call, with a coded line and an apology', async (t) => {
  const { fake, server } = await geminiServer([{ say: REPLY }], { responseTimeoutMs: 1500 });
  t.after(async () => {
    await server.close();
    await fake.close();
  });
  const phrases = [...FAILURE_PHRASES, phrase(REPLY)];
  const say = (atMs: number) => [{ text: 'hello there', atMs }];
  const [dropped, refused, silent, healthy] = await Promise.all([
    callAgent(server.baseUrl, 'fake-drop', say(800), 12_000, phrases),
    callAgent(server.baseUrl, 'fake-badkey', say(800), 10_000, phrases),
    callAgent(server.baseUrl, 'fake-silent', [...say(800), { text: 'hello again', atMs: 6000 }], 24_000, phrases),
    callAgent(server.baseUrl, '447700900001', say(800), 8000, phrases),
  ]);
  for (const [name, result] of [
    ['dropped', dropped],
    ['refused', refused],
    ['silent', silent],
  ] as const) {
    assert.equal(result.leg!.end, 'app-closed', `${name}: the app ended the call`);
    assertHeardApology(name, result);
  }
  const failures = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_MODEL_FAILED').map((line) => String(line.detail));
  assert.equal(failures.length, 3, JSON.stringify(failures));
  assert.ok(failures.some((detail) => /1011/.test(detail)));
  assert.ok(failures.some((detail) => /API key not valid/.test(detail)));
  assert.ok(failures.some((detail) => /did not answer twice/.test(detail)));
  assert.equal(fake.refusedKeys, 1);
  assert.equal(healthy.leg!.end, 'caller-hangup');
  assert.ok(
    healthy.heardTranscript?.some((line) => line.text === phrase(REPLY)),
    JSON.stringify(healthy.heardTranscript),
  );
});
