/**
 * Deepgram's Voice Agent through its SDK (`@deepgram/sdk`) against a local server speaking the Voice
 * Agent protocol (test/helpers/fake-deepgram-agent.ts), the emulator as the caller at 8 kHz: audio
 * both ways at the call's own rate (nothing resampled), the greeting from the settings, a tool call
 * answered, talking over the reply clears at once and the heard words go into the prompt; a provider
 * that drops, errs or refuses the key degrades only its own call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { deepgramAgentProvider } from '../../src/agents/providers/deepgram-agent.js';
import { defineTool } from '../../src/agents/call-tools.js';
import { startFakeDeepgramAgent, type DeepgramAgentTurn } from '../helpers/fake-deepgram-agent.js';
import { agentServer, assertCutMatchesRecording, assertHeardApology, callAgent, FAILURE_PHRASES, heardAs, phrase } from '../helpers/agent-harness.js';
import { waitFor } from '../helpers/server.js';
import { soundFrames } from '../helpers/audio.js';

const LONG_REPLY =
  'Thank you for calling. I can help you with your account, your bills, your orders and your deliveries, and I will happily explain each of them in detail.';
const REPLY = 'Here is a short answer for you.';

async function deepgramServer(turns: DeepgramAgentTurn[], options: Parameters<typeof agentServer>[1] = {}) {
  const fake = await startFakeDeepgramAgent({ turns });
  const { server, bridges } = await agentServer(
    (to) =>
      deepgramAgentProvider({
        apiKey: to === 'fake-badkey' ? 'wrong' : fake.apiKey,
        baseUrl: fake.baseUrl,
        think: { provider: 'open_ai', model: to.startsWith('fake-') ? to : 'gpt-4o-mini' },
      }),
    options,
  );
  return { fake, server, bridges };
}

test('deepgram agent at 8 kHz: greeting, a tool, a reply cut where the caller talked over it, the heard words in the prompt', async (t) => {
  const opened: string[] = [];
  const openingHours = defineTool({
    name: 'opening_hours',
    description: 'When the shop is open',
    parameters: z.object({ day: z.string() }),
    execute: async ({ day }) => {
      opened.push(day);
      return 'Nine to six.';
    },
  });
  const { fake, server, bridges } = await deepgramServer(
    [{ call: 'opening_hours', arguments: { day: 'monday' }, then: LONG_REPLY, heard: 'when are you open' }, null],
    {
      rate: 8000,
      greeting: 'Hello, this is the shop.',
      tools: [openingHours],
    },
  );
  t.after(async () => {
    await server.close();
    await fake.close();
  });
  const result = await callAgent(
    server.baseUrl,
    '447700900000',
    [
      { text: 'when are you open', atMs: 3500 },
      { text: 'stop please', atMs: 8000 },
    ],
    12_000,
    [],
  );
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.equal(result.leg!.sampleRate, 8000);
  const [session] = fake.sessions;
  const settings = session!.settings!;
  assert.equal(settings.audio?.input?.sample_rate, 8000, 'caller audio at the call rate');
  assert.equal(settings.audio?.output?.sample_rate, 8000, 'reply audio asked for at the call rate');
  assert.equal(settings.agent?.greeting, 'Hello, this is the shop.');
  assert.deepEqual(
    settings.agent?.think?.functions?.map((f) => f.name),
    ['opening_hours'],
  );
  assert.ok(Math.abs(session!.audioInMs - 12_000) <= 200, `${session!.audioInMs} ms of audio in`);
  // The greeting played before the caller spoke (PocketSphinx's 8 kHz menu is not asked to name it).
  assert.ok(soundFrames(result.heard!.pcm, 8000)[0]! * 20 < 1000, 'the greeting played at once');
  assert.equal(bridges[0]!.turns.snapshot()[0]?.agent, 'Hello, this is the shop.');
  assert.deepEqual(opened, ['monday']);
  assert.deepEqual(session!.functionResponses[0], { type: 'FunctionCallResponse', id: 'fn-1', name: 'opening_hours', content: 'Nine to six.' });
  const bridge = bridges[0]!;
  const { heardMs } = assertCutMatchesRecording(result, bridge, 4000);
  await waitFor(() => session!.prompts.length >= 1, 3000, 'the prompt update');
  const heard = /heard only this much of it: "(.*)"/.exec(session!.prompts[0]!)?.[1] ?? '';
  assert.ok(session!.prompts[0]!.startsWith('Answer briefly.'), 'the instructions stay');
  assert.ok(heard.length > 0 && LONG_REPLY.startsWith(heard) && heard.length < LONG_REPLY.length, session!.prompts[0]);
  t.diagnostic(`heard ${heardMs} ms; prompt note "${heard}"`);
  const turns = bridge.turns.snapshot();
  const replyTurn = turns.find((turn) => turn.agent === LONG_REPLY);
  assert.ok(replyTurn?.interrupted, JSON.stringify(turns));
  assert.ok(
    turns.some((turn) => turn.caller === 'when are you open'),
    JSON.stringify(turns),
  );
});

test('deepgram agent: a provider that drops, errs or refuses the key degrades only its own call', async (t) => {
  const { fake, server } = await deepgramServer([{ say: REPLY }]);
  t.after(async () => {
    await server.close();
    await fake.close();
  });
  const phrases = [...FAILURE_PHRASES, phrase(REPLY)];
  const say = [{ text: 'hello there', atMs: 800 }];
  const [dropped, refused, erring, healthy] = await Promise.all([
    callAgent(server.baseUrl, 'fake-drop', say, 12_000, phrases),
    callAgent(server.baseUrl, 'fake-badkey', say, 10_000, phrases),
    callAgent(server.baseUrl, 'fake-error', say, 7000, phrases),
    callAgent(server.baseUrl, '447700900001', say, 8000, phrases),
  ]);
  for (const [name, result] of [
    ['dropped', dropped],
    ['refused', refused],
  ] as const) {
    assert.equal(result.leg!.end, 'app-closed', `${name}: the app ended the call`);
    assertHeardApology(name, result);
  }
  const failures = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_MODEL_FAILED').map((line) => String(line.detail));
  assert.equal(failures.length, 2, JSON.stringify(failures));
  assert.ok(
    failures.some((detail) => /1011/.test(detail)),
    JSON.stringify(failures),
  );
  assert.equal(fake.refused, 1, 'one attempt with the refused key, no reconnection storm');
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_AGENT_MODEL_ERROR' && /think provider failed/.test(String(line.detail))));
  assert.ok(
    erring.heardTranscript?.some((line) => heardAs(line, 'sorry something went wrong')),
    JSON.stringify(erring.heardTranscript),
  );
  assert.equal(erring.leg!.end, 'caller-hangup');
  assert.equal(healthy.leg!.end, 'caller-hangup');
  assert.ok(
    healthy.heardTranscript?.some((line) => line.text === phrase(REPLY)),
    JSON.stringify(healthy.heardTranscript),
  );
});
