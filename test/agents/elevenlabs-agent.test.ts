/**
 * ElevenLabs Agents: the signed URL through ElevenLabs' SDK (`@elevenlabs/elevenlabs-js`) and the
 * conversation WebSocket, against a local server speaking both (test/helpers/fake-elevenlabs-agent.ts),
 * the emulator as the caller at 24 kHz (the agent's 16 kHz resampled both ways): the prompt and first
 * message as overrides, pings answered, a client tool answered, talking over the reply clears at once
 * and the agent is told the words heard; a drop, a refused key and an agent set to μ-law each fail
 * only their own call.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { elevenLabsProvider } from '../../src/agents/providers/elevenlabs.js';
import { z } from 'zod';
import { defineTool } from '../../src/agents/call-tools.js';
import { startFakeElevenLabs, type ElevenLabsTurn } from '../helpers/fake-elevenlabs-agent.js';
import { agentServer, assertCutMatchesRecording, assertHeardApology, callAgent, FAILURE_PHRASES, phrase } from '../helpers/agent-harness.js';
import { waitFor } from '../helpers/server.js';

const LONG_REPLY =
  'Thank you for calling. I can help you with your account, your bills, your orders and your deliveries, and I will happily explain each of them in detail.';
const REPLY = 'Here is a short answer for you.';

async function elevenLabsServer(turns: ElevenLabsTurn[], options: Parameters<typeof agentServer>[1] = {}) {
  const fake = await startFakeElevenLabs({ turns });
  const { server, bridges } = await agentServer(
    (to) =>
      elevenLabsProvider({ apiKey: to === 'fake-badkey' ? 'wrong' : fake.apiKey, baseUrl: fake.baseUrl, agentId: to.startsWith('fake-') ? to : 'agent_test' }),
    options,
  );
  return { fake, server, bridges };
}

test('elevenlabs at 24 kHz: overrides, pings, a client tool, a reply cut where the caller talked over it, the heard words as a contextual update', async (t) => {
  const transfers: string[] = [];
  const transfer = defineTool({
    name: 'transfer_call',
    description: 'Transfer the caller to a number',
    parameters: z.object({ number: z.string() }),
    execute: ({ number }) => {
      transfers.push(number);
      return 'Transfers are not set up on this line.';
    },
  });
  const { fake, server, bridges } = await elevenLabsServer(
    [{ call: 'transfer_call', arguments: { number: '447700900123' }, then: LONG_REPLY, heard: 'put me through' }, null],
    { rate: 24000, greeting: 'Hello, this is the shop.', tools: [transfer] },
  );
  t.after(async () => {
    await server.close();
    await fake.close();
  });
  const result = await callAgent(
    server.baseUrl,
    '447700900000',
    [
      { text: 'put me through', atMs: 3500 },
      { text: 'stop please', atMs: 8500 },
    ],
    12_000,
    [phrase('Hello, this is the shop.')],
  );
  assert.equal(result.accepted, true, result.problems.join('; '));
  const [session] = fake.sessions;
  const override = (session!.initiation!.conversation_config_override as { agent: { prompt: { prompt: string }; first_message: string } }).agent;
  assert.equal(override.prompt.prompt, 'Answer briefly.');
  assert.equal(override.first_message, 'Hello, this is the shop.');
  assert.ok(session!.pongs >= 1, 'the ping was answered');
  // 24 kHz call audio reached the 16 kHz agent, every frame.
  assert.ok(Math.abs(session!.audioInMs - 12_000) <= 200, `${session!.audioInMs} ms of audio in`);
  assert.ok(
    result.heardTranscript?.some((line) => line.text === phrase('Hello, this is the shop.')),
    JSON.stringify(result.heardTranscript),
  );
  assert.deepEqual(transfers, ['447700900123']);
  assert.deepEqual(session!.toolResults[0], {
    type: 'client_tool_result',
    tool_call_id: 'tool-1',
    result: 'Transfers are not set up on this line.',
    is_error: false,
  });
  const bridge = bridges[0]!;
  const { heardMs } = assertCutMatchesRecording(result, bridge, 4000);
  await waitFor(() => session!.contextualUpdates.length >= 1, 3000, 'the contextual update');
  const heard = /heard only this much of it: "(.*)"/.exec(session!.contextualUpdates[0]!)?.[1] ?? '';
  assert.ok(heard.length > 0 && LONG_REPLY.startsWith(heard) && heard.length < LONG_REPLY.length, session!.contextualUpdates[0]);
  t.diagnostic(`heard ${heardMs} ms; told the agent "${heard}"`);
  const turns = bridge.turns.snapshot();
  assert.ok(
    turns.some((turn) => turn.agent === LONG_REPLY && turn.interrupted),
    JSON.stringify(turns),
  );
  assert.ok(
    turns.some((turn) => turn.caller === 'put me through'),
    JSON.stringify(turns),
  );
});

test('elevenlabs: a drop, a refused key and an agent set to μ-law each end only their own call, with a coded line and an apology', async (t) => {
  const { fake, server } = await elevenLabsServer([{ say: REPLY }]);
  t.after(async () => {
    await server.close();
    await fake.close();
  });
  const phrases = [...FAILURE_PHRASES, phrase(REPLY)];
  const say = [{ text: 'hello there', atMs: 800 }];
  const [dropped, refused, ulaw, healthy] = await Promise.all([
    callAgent(server.baseUrl, 'fake-drop', say, 12_000, phrases),
    callAgent(server.baseUrl, 'fake-badkey', say, 10_000, phrases),
    callAgent(server.baseUrl, 'fake-ulaw', say, 10_000, phrases),
    callAgent(server.baseUrl, '447700900001', say, 8000, phrases),
  ]);
  for (const [name, result] of [
    ['dropped', dropped],
    ['refused', refused],
    ['ulaw', ulaw],
  ] as const) {
    assert.equal(result.leg!.end, 'app-closed', `${name}: the app ended the call`);
    assertHeardApology(name, result);
  }
  const failures = server.logs.filter((line) => line.code === 'VS_ERR_AGENT_MODEL_FAILED').map((line) => String(line.detail));
  assert.equal(failures.length, 3, JSON.stringify(failures));
  assert.ok(
    failures.some((detail) => /1011/.test(detail)),
    JSON.stringify(failures),
  );
  assert.ok(
    failures.some((detail) => /401|Invalid API key/i.test(detail)),
    JSON.stringify(failures),
  );
  assert.ok(
    failures.some((detail) => /ulaw_8000; set it to PCM/.test(detail)),
    JSON.stringify(failures),
  );
  assert.equal(fake.refusedKeys, 1);
  assert.equal(healthy.leg!.end, 'caller-hangup');
  assert.ok(
    healthy.heardTranscript?.some((line) => line.text === phrase(REPLY)),
    JSON.stringify(healthy.heardTranscript),
  );
});
