/**
 * The tools a model can turn against the operator, end to end: a cascade whose chat model (the local
 * chat-completions server) asks for transfers and loops on tools, Vonage's Voice API client (with the
 * token-caching auth) against the emulator's REST API, and an emulated caller. Transfers go only to
 * the destinations the operator named, once per call, with arguments read strictly; a model in a tool
 * loop is stopped by the turn's bounds; tools run a few at a time; the JWT is signed once.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Voice } from '@vonage/voice';
import { z } from 'zod';
import { startVoiceAgent, toolDeclaration } from '../../src/agents/agent-bridge.js';
import { cascadeProvider, MAX_TOOL_ROUNDS_PER_TURN } from '../../src/agents/providers/cascade.js';
import { defineTool, phoneTools } from '../../src/agents/call-tools.js';
import { MAX_TOOL_CALLS_PER_TURN, MAX_TOOLS_RUNNING } from '../../src/agents/tool-runner.js';
import { TokenCachingAuth } from '../../src/agents/vonage-auth.js';
import { espeakSynthesizer } from '../../src/speech/espeak.js';
import type { CallSession } from '../../src/call/call-session.js';
import { startFakeChat, type ChatTurn, type FakeChat } from '../helpers/fake-chat-completions.js';
import { callerSaysOnEveryCall } from '../helpers/fake-transcriber.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { APPLICATION_ID, emulatedApplication } from '../helpers/emulated-application.js';

const DESTINATIONS = 'sales=+447700900001,desk=sip:desk@pbx.example.com';

const { privateKey, emulator } = await emulatedApplication();
const auth = new TokenCachingAuth({ applicationId: APPLICATION_ID, privateKey });
const vonage = new Voice(auth, { apiHost: emulator.restUrl });

/** Each called number gets its own chat model (a fake per test) and extra tools. */
const scenarios = new Map<string, { chat: FakeChat; model?: string; tools?: (call: CallSession) => ReturnType<typeof defineTool>[] }>();
// The caller's words, as the speech layer reports them, 300 ms into each call: the model's turn begins.
const engines = callerSaysOnEveryCall('put me through to a person please');
const server = await startTestServer({
  speech: engines,
  app: (call) =>
    call.once('connected', (identity) => {
      const scenario = scenarios.get(identity.to ?? '')!;
      startVoiceAgent(call, {
        instructions: 'Answer briefly.',
        provider: cascadeProvider({
          llm: { model: scenario.model ?? 'fake-model', apiKey: scenario.chat.apiKey, baseUrl: scenario.chat.baseUrl },
          stt: 'scripted',
          tts: espeakSynthesizer,
        }),
        tools: [...phoneTools(call, { vonage, transfer: DESTINATIONS }), ...(scenario.tools?.(call) ?? [])],
      });
    }),
});
after(async () => {
  await server.close();
  await emulator.close();
  await Promise.all([...scenarios.values()].map(({ chat }) => chat.close()));
});

async function scenario(to: string, turns: ChatTurn[], extra: { model?: string; tools?: (call: CallSession) => ReturnType<typeof defineTool>[] } = {}) {
  const chat = await startFakeChat({ turns, tokensPerSecond: 200 });
  scenarios.set(to, { chat, ...extra });
  return chat;
}

/**
 * A call to `to` that lasts until `done()` holds (awaited, not timed: a loaded machine only makes it
 * slower), then is hung up through Vonage's REST API; one that ends itself (a transfer) ends sooner.
 */
async function call(to: string, done: () => boolean) {
  const placed = emulator.placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, to, durationMs: 60_000, talk: 'skip', audio: { kind: 'silence' } });
  let ended = false;
  void placed.finally(() => (ended = true));
  await waitFor(() => ended || done(), 30_000, `the scenario of ${to}`);
  const session = [...server.server.registry.activeSessions()].find((active) => active.identity.to === to);
  if (!ended && session?.identity.uuid) await vonage.hangupCall(session.identity.uuid);
  return placed;
}
const texts = (result: { timeline: Array<{ text: string }> }) => result.timeline.map((entry) => entry.text);
const refusals = () => server.logs.filter((line) => line.code === 'VS_ERR_AGENT_TOOL_REFUSED');

test('the transfer tool offers the named destinations only; with none named there is no transfer tool', () => {
  const someCall = {} as CallSession;
  assert.deepEqual(
    phoneTools(someCall).map((t) => t.name),
    ['hang_up'],
  );
  const [, transfer] = phoneTools(someCall, { transfer: DESTINATIONS });
  const declared = toolDeclaration(transfer!);
  assert.deepEqual((declared.parameters as { properties: { destination: { enum: string[] } } }).properties.destination.enum, ['sales', 'desk']);
  assert.match(declared.description, /sales, desk/);
  assert.throws(() => phoneTools(someCall, { transfer: 'premium=09001234567' }), /VS_ERR_CONFIG_INVALID|not an E\.164 number/);
});

// The calls run side by side, each its own number and chat model.
describe('tools on calls', { concurrency: true }, () => {
  test('a model asked to dial a number (a premium one) is refused: nothing reaches Vonage, the model is told why', async () => {
    const chat = await scenario('447700900101', [{ call: 'transfer_call', arguments: { number: '+88213001234' }, then: 'Sorry, I cannot do that.' }]);
    const before = refusals().length;
    // Done when the model has been told of the refusal (its second request).
    const result = await call('447700900101', () => chat.requests.length >= 2);
    assert.ok(!texts(result).some((text) => text.startsWith('REST transfer')), texts(result).join('\n'));
    const answer = chat.requests[1]!.messages.find((m) => m.role === 'tool')?.content ?? '';
    assert.match(answer, /refused.*destination/, answer);
    assert.ok(refusals().length > before);
    assert.ok(!server.logs.some((line) => line.msg === 'agent transferred the call'));
  });

  test('arguments that repeat a key are refused, not read as their last value', async () => {
    // JSON.parse reads this as "sales"; a reader of the first value (a log, a person) sees "desk".
    const chat = await scenario('447700900102', [{ call: 'transfer_call', rawArguments: '{"destination":"desk","destination":"sales"}', then: 'Sorry.' }]);
    // Done when the model has been told of the refusal (its second request).
    const result = await call('447700900102', () => chat.requests.length >= 2);
    assert.ok(!texts(result).some((text) => text.startsWith('REST transfer')), texts(result).join('\n'));
    assert.match(chat.requests[1]!.messages.find((m) => m.role === 'tool')?.content ?? '', /"destination" is given twice/);
    assert.ok(refusals().some((line) => /given twice/.test(String(line.reason))));
  });

  test('a named destination is transferred to, once: a second transfer in the same reply is refused', async () => {
    await scenario('447700900103', [{ say: 'Transferring you.', call: 'transfer_call', arguments: { destination: 'sales' }, repeat: 2 }]);
    // The transfer ends the call's socket leg: the call ends by itself.
    const result = await call('447700900103', () => false);
    assert.equal(texts(result).filter((text) => text.startsWith('REST transfer')).length, 1, texts(result).join('\n'));
    assert.ok(server.logs.some((line) => line.msg === 'agent transferred the call' && line.to === 'sales' && line.endpoint === '+447700900001'));
    assert.ok(refusals().some((line) => /already transferred/.test(String(line.reason))));
  });

  test('a model that answers every tool result with more calls is stopped by the turn: rounds, calls per turn and at once bounded', async (t) => {
    let ran = 0;
    let running = 0;
    let mostRunning = 0;
    const lookup = () => [
      defineTool({
        name: 'lookup',
        description: 'Look something up',
        parameters: z.object({}),
        execute: async () => {
          ran++;
          mostRunning = Math.max(mostRunning, ++running);
          await new Promise((resolve) => setTimeout(resolve, 30));
          running--;
          return 'nothing found';
        },
      }),
    ];
    // Forty calls in every reply, and every result answered with forty more.
    const chat = await scenario('447700900104', [{ call: 'lookup', arguments: {}, repeat: 40, again: true }], { tools: lookup });
    // Done when the request that asked for words (after the turn's last tool round) has been answered.
    await call('447700900104', () => chat.requests.some((request) => request.toolChoice === 'none' && request.done) || chat.requests.length > 5);
    const requests = chat.requests.length;
    assert.ok(requests <= MAX_TOOL_ROUNDS_PER_TURN + 1, `${requests} chat requests in one turn`);
    assert.ok(ran <= MAX_TOOL_CALLS_PER_TURN, `${ran} tool runs`);
    assert.ok(mostRunning <= MAX_TOOLS_RUNNING, `${mostRunning} at once`);
    // The last request asked for words, and every request set max_tokens.
    assert.equal(chat.requests.at(-1)!.toolChoice, 'none');
    assert.ok(chat.requests.every((request) => typeof request.maxTokens === 'number' && request.maxTokens > 0));
    t.diagnostic(`tool loop: ${requests} requests, ${ran} runs, at most ${mostRunning} at once`);
  });
});

test('the Vonage application JWT is signed once for many requests, and again near its expiry', async () => {
  // The calls above (a transfer and the hang-ups' REST requests) used one token between them.
  assert.equal(auth.signatures, 1);
  let now = Date.now();
  const clocked = new TokenCachingAuth({ applicationId: APPLICATION_ID, privateKey }, () => now);
  const first = await clocked.createBearerHeader();
  for (let i = 0; i < 100; i++) assert.equal(await clocked.createBearerHeader(), first);
  now += 14 * 60_000 + 1000; // within a minute of the 15-minute lifetime
  assert.notEqual(await clocked.createBearerHeader(), first);
  assert.equal(clocked.signatures, 2);
});
