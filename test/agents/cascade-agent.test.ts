/**
 * The cascaded agent end to end: the emulator's caller speaks, PocketSphinx (the real engine) hears
 * them, the official `openai` SDK streams from a local chat-completions server
 * (test/helpers/fake-chat-completions.ts), espeak-ng speaks each sentence as it completes. Talking
 * over the reply clears it at once, the chat stream stops, and the assistant message the model sees
 * next holds only the words the caller heard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cascadeProvider } from '../../src/agents/providers/cascade.js';
import { espeakSynthesizer } from '../../src/speech/espeak.js';
import { defineTool } from '../../src/agents/call-tools.js';
import { z } from 'zod';
import { startFakeChat, type ChatTurn } from '../helpers/fake-chat-completions.js';
import { agentServer, assertCutMatchesRecording, callAgentUntilAnswered, FAILURE_PHRASES, heardAs, phrase } from '../helpers/agent-harness.js';
import { waitFor } from '../helpers/server.js';

const LONG_REPLY =
  'Thank you for calling the shop. We are open from nine to six on every weekday. I can help you with your orders, your deliveries and your bills, and I will explain each of them.';
const SHORT = 'Of course.';

async function cascadeServer(turns: ChatTurn[], options: Parameters<typeof agentServer>[1] = {}, tokensPerSecond = 50) {
  const chat = await startFakeChat({ turns, tokensPerSecond });
  const { server, bridges } = await agentServer(
    (to) =>
      cascadeProvider({
        llm: { model: to.startsWith('fake-') ? to : 'fake-model', apiKey: chat.apiKey, baseUrl: chat.baseUrl },
        tts: espeakSynthesizer,
        streamIdleMs: 1500,
      }),
    options,
  );
  return { chat, server, bridges };
}

test('cascade: speech → chat model → speech; talking over the reply clears it, stops the stream, and the history keeps only the words heard', async (t) => {
  const { chat, server, bridges } = await cascadeServer([{ say: LONG_REPLY }, { say: SHORT }]);
  t.after(async () => {
    await server.close();
    await chat.close();
  });
  // The caller listens until the agent has been quiet for 6 s: the answer to the interruption comes
  // after its recognition, which takes seconds on a loaded 2-core machine (a fixed 11 s call ended
  // before it in a full run).
  const result = await callAgentUntilAnswered(
    server.baseUrl,
    '447700900000',
    [
      { text: 'hello there', atMs: 800 },
      // Long enough to interrupt by its voiced time (docs/turn-taking.md): the clear comes while the caller still speaks.
      { text: 'stop please, I have a question about my order', atMs: 6500 },
    ],
    [phrase(SHORT)],
    { quietMs: 6000 },
  );
  assert.equal(result.accepted, true, result.problems.join('; '));
  const bridge = bridges[0]!;
  assert.equal(bridge.interruptions.length, 1, JSON.stringify(bridge.interruptions));
  const { heardMs } = assertCutMatchesRecording(result, bridge);
  // The second request carries the history: the first reply cut at what was heard.
  await waitFor(() => chat.requests.length >= 2, 3000, 'the second chat request');
  const [first, second] = chat.requests;
  assert.deepEqual(
    first!.messages.map((m) => m.role),
    ['system', 'user'],
  );
  const kept = second!.messages.find((m) => m.role === 'assistant')?.content ?? '';
  assert.ok(kept.length > 0 && kept.length < LONG_REPLY.length, `kept "${kept}"`);
  assert.ok(LONG_REPLY.startsWith(kept), `a prefix of the reply at a word's end: "${kept}"`);
  assert.match(LONG_REPLY.slice(kept.length), /^[\s.,]/, 'cut at the end of a word');
  // Whole sentences count by their own audio; the share of the cut one is an estimate: the kept text
  // is within a few words of the heard share of the reply's audio.
  const sentMs = bridge.interruptions[0]!.sentMs;
  const share = kept.length / LONG_REPLY.length;
  assert.ok(
    Math.abs(share - heardMs / sentMs) < 0.12,
    `kept ${(share * 100).toFixed(0)} % of the text, heard ${((heardMs / sentMs) * 100).toFixed(0)} % of the audio`,
  );
  t.diagnostic(`heard ${heardMs} of ${sentMs.toFixed(0)} ms; kept "${kept}"`);
  // The answer to the second utterance was heard; the turns show both replies.
  assert.ok(
    result.heardTranscript?.some((line) => line.text === phrase(SHORT)),
    JSON.stringify(result.heardTranscript),
  );
  const turns = bridge.turns.snapshot();
  assert.ok(turns[0]?.interrupted && turns[0].agent === LONG_REPLY, JSON.stringify(turns));
  assert.ok(turns[0]!.latency && turns[0]!.latency.oursMs >= 0, JSON.stringify(turns[0]));
});

test('cascade: tools run whatever they return or throw; a failing or stalled chat model degrades only its own call', async (t) => {
  const executed: string[] = [];
  const lookup = defineTool({
    name: 'order_status',
    description: 'The status of an order',
    parameters: z.object({ order: z.string() }),
    execute: ({ order }) => {
      executed.push(order);
      if (order === 'boom') throw new Error('the order database is down');
      return { order, status: 'shipped' };
    },
  });
  const { chat, server } = await cascadeServer([{ call: 'order_status', arguments: { order: 'boom' }, then: SHORT }], { tools: [lookup] });
  t.after(async () => {
    await server.close();
    await chat.close();
  });
  const phrases = [...FAILURE_PHRASES, phrase(SHORT)];
  const say = [{ text: 'hello there', atMs: 800 }];
  // Each caller hangs up once the agent has answered and gone quiet: PocketSphinx's start and decode
  // alone took 4-5 s on a loaded 2-core machine, past the end of a call of fixed length.
  const [tooled, failing, stalled] = await Promise.all([
    callAgentUntilAnswered(server.baseUrl, '447700900001', say, phrases),
    callAgentUntilAnswered(server.baseUrl, 'fake-error', say, phrases),
    callAgentUntilAnswered(server.baseUrl, 'fake-stall', say, phrases),
  ]);
  // The tool threw: a coded line, the model was told, and it went on to answer.
  assert.deepEqual(executed, ['boom']);
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_AGENT_TOOL_FAILED' && /database is down/.test(String(line.detail))));
  const toolAnswer = chat.requests.flatMap((r) => r.messages).find((m) => m.role === 'tool');
  assert.match(String(toolAnswer?.content), /failed: the order database is down/);
  assert.ok(
    tooled.heardTranscript?.some((line) => line.text === phrase(SHORT)),
    JSON.stringify(tooled.heardTranscript),
  );
  // A 500 and a stream that stops: each a coded line and an apology in its own call, which goes on.
  for (const [name, result, detail] of [
    ['failing', failing, /500|server had an error/],
    ['stalled', stalled, /said nothing to speak for 1\.5 s/],
  ] as const) {
    assert.ok(
      result.heardTranscript?.some((line) => heardAs(line, 'sorry something went wrong')),
      `${name}: ${JSON.stringify(result.heardTranscript)}`,
    );
    assert.equal(result.leg!.end, 'caller-hangup', `${name}: the call went on to its end`);
    assert.ok(
      server.logs.some((line) => line.code === 'VS_ERR_AGENT_MODEL_ERROR' && detail.test(String(line.detail))),
      `${name}: ${JSON.stringify(server.logs.filter((l) => l.code))}`,
    );
  }
  assert.equal(tooled.leg!.end, 'caller-hangup');
});
