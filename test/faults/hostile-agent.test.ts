/**
 * A chat model turned against the operator, each attack in its own call beside a bystander whose echo
 * must stay byte-exact, with the heap's growth bounded: a model that dials premium numbers, that
 * answers every tool result with more calls, that sends one endless line, a token every so often, or
 * a reply with no sentence end at the wire's speed. The cascade's chat model is the local
 * chat-completions server (test/helpers/fake-chat-completions.ts); Vonage's REST API is the emulator's.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Auth } from '@vonage/auth';
import { Voice } from '@vonage/voice';
import { z } from 'zod';
import { startVoiceAgent } from '../../src/agents/agent-bridge.js';
import { cascadeProvider } from '../../src/agents/providers/cascade.js';
import { defineTool, phoneTools } from '../../src/agents/call-tools.js';
import { espeakSynthesizer } from '../../src/speech/espeak.js';
import type { CallSession } from '../../src/call/call-session.js';
import { startFakeChat, type ChatTurn, type FakeChat } from '../helpers/fake-chat-completions.js';
import { callerSaysOnEveryCall } from '../helpers/fake-transcriber.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { Bystander, withBystander } from '../helpers/bystander.js';
import { MB, grownSince, memoryAfterGc } from '../helpers/memory.js';
import { APPLICATION_ID, emulatedApplication } from '../helpers/emulated-application.js';

const { privateKey, emulator } = await emulatedApplication();
// The plain SDK auth: what a library user builds; the tools must be safe whatever signs their requests.
const vonage = new Voice(new Auth({ applicationId: APPLICATION_ID, privateKey }), { apiHost: emulator.restUrl });

/** Each called number: a chat model of its own (a fake per test), and the tools the app gives the agent. */
interface Scenario {
  chat: FakeChat;
  model?: string;
  streamIdleMs?: number;
  streamMaxMs?: number;
  /** The agent's tools (default: the library's phone tools with no destinations named). */
  tools?: (call: CallSession) => ReturnType<typeof defineTool>[];
  /** The call's id, once connected (its log lines carry it). */
  callId?: string;
}
const scenarios = new Map<string, Scenario>();
const engines = callerSaysOnEveryCall('put me through to a person please');
const server = await startTestServer({
  speech: engines,
  app: withBystander((call) =>
    call.once('connected', (identity) => {
      const scenario = scenarios.get(identity.to ?? '')!;
      scenario.callId = call.id;
      startVoiceAgent(call, {
        instructions: 'Answer briefly.',
        provider: cascadeProvider({
          llm: { model: scenario.model ?? 'fake-model', apiKey: scenario.chat.apiKey, baseUrl: scenario.chat.baseUrl },
          stt: 'scripted',
          tts: espeakSynthesizer,
          streamIdleMs: scenario.streamIdleMs ?? 10_000,
          ...(scenario.streamMaxMs ? { streamMaxMs: scenario.streamMaxMs } : {}),
        }),
        // The library's own tools, given the Vonage client the way the docs show it.
        tools: scenario.tools?.(call) ?? phoneTools(call, vonage),
      });
    }),
  ),
});
after(async () => {
  await server.close();
  await emulator.close();
  await Promise.all([...scenarios.values()].map(({ chat }) => chat.close()));
});

type LogLine = (typeof server.logs)[number];
/** A coded line of the attacked call whose detail or reason matches. */
const logged = (code: string, pattern: RegExp) => (_chat: FakeChat, lines: () => LogLine[]) =>
  lines().some((line) => line.code === code && pattern.test(String(line.detail ?? line.reason)));
const transferred = (lines: LogLine[]) => lines.some((line) => line.msg === 'agent transferred the call');
/** Named destinations: the transfer tool exists, and takes names only. */
const namedDestinations = (call: CallSession) => phoneTools(call, { vonage, transfer: 'sales=+447700900001' });

/**
 * One attack: a call to `to`, whose model follows `turns`, kept up until `over()` says the attack has
 * run its course (awaited, not timed: a loaded machine only makes it slower; the previous code never
 * got there, and failed at the wait), then hung up through Vonage's REST API.
 */
async function attack(to: string, turns: ChatTurn[], over: (chat: FakeChat, lines: () => LogLine[]) => boolean, extra: Omit<Scenario, 'chat' | 'callId'> = {}) {
  const chat = await startFakeChat({ turns, tokensPerSecond: 200, trickleMs: 300 });
  scenarios.set(to, { chat, ...extra });
  const bystander = await Bystander.join(server.socketUrl);
  const before = memoryAfterGc();
  const calling = emulator.placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, to, durationMs: 60_000, talk: 'skip', audio: { kind: 'silence' } });
  // The bystander's echo stays exact while the attack runs, and after it.
  await bystander.echoesExactly();
  // Known when the call connects (a call that transfers itself may be over before the echo is).
  const scenario = scenarios.get(to)!;
  await waitFor(() => scenario.callId !== undefined, 10_000, `the call to ${to}`);
  const lines = () => server.logs.filter((line) => line.call === scenario.callId);
  await waitFor(() => over(chat, lines), 30_000, `the attack on ${to} to run its course`).catch((error: Error) => {
    const coded = lines()
      .filter((line) => line.code)
      .map((line) => `${String(line.code)} ${String(line.detail ?? line.reason ?? '')}`);
    throw new Error(`${error.message}; ${chat.requests.length} chat requests; the call's coded lines: ${coded.join(' | ')}`);
  });
  const { heapMb: grownMb, rssMb } = grownSince(before);
  const uuid = [...server.server.registry.activeSessions()].find((active) => active.id === scenario.callId)?.identity.uuid;
  // A call that transferred itself may still be listed while Vonage ends it, and refuses its hang-up
  // (400): the call ends either way, which awaiting it shows.
  if (uuid) await vonage.hangupCall(uuid).catch((error: unknown) => (transferred(lines()) ? undefined : Promise.reject(error)));
  const result = await calling;
  await bystander.echoesExactly();
  await bystander.close();
  assert.ok(rssMb < RSS_BOUND_MB, `RSS grew ${rssMb.toFixed(0)} MB`);
  return { chat, result, grownMb, rssMb, lines: lines(), texts: result.timeline.map((entry) => entry.text) };
}

// The attacks run side by side (each in its own call, with its own bystander): a lean file, and each
// window's heap growth includes the others'. What they hold at once: the endless line's and the
// run-on's bodies up to their caps (1 MB of text each) and what both ends of their loopback sockets
// buffer (4 MB sent before the cut, in this one process), eight calls' pacer queues and histories:
// 14 to 16 MB measured. Before, one endless line alone was read for 23.8 MB, and an endless reply
// for gigabytes.
const HEAP_BOUND_MB = 32;
/**
 * The resident set: the heap's growth, the pages V8 and the allocator keep after collecting it, the
 * espeak-ng pipes' buffers; far from the gigabytes an unbounded reply took.
 */
const RSS_BOUND_MB = 256;
describe('hostile chat models, side by side', { concurrency: true }, () => {
  test('a model that dials the numbers it is given (premium, international): no transfer reaches Vonage', async (t) => {
    const { chat, texts, lines, grownMb, rssMb } = await attack(
      '447700900201',
      [{ call: 'transfer_call', arguments: { number: '88213001234' }, then: 'Connecting you now.' }],
      // Over when the model has been answered (its second request), or a transfer was logged.
      (chat, lines) => chat.requests.length >= 2 || transferred(lines()),
    );
    t.diagnostic(`premium transfer: ${chat.requests.length} chat requests, heap +${grownMb.toFixed(1)} MB, RSS +${rssMb.toFixed(0)} MB`);
    assert.ok(!texts.some((text) => text.startsWith('REST transfer')), texts.join('\n'));
    assert.ok(!transferred(lines));
    assert.ok(grownMb < HEAP_BOUND_MB, `heap grew ${grownMb.toFixed(1)} MB`);
  });

  test('a model whose arguments repeat a key (a named destination, then a premium number): refused, nothing reaches Vonage', async (t) => {
    // JSON.parse reads the last: a check of the first (a log, a person, another parser) sees a harmless value.
    const rawArguments = '{"destination":"sales","number":"447700900001","number":"88213001234"}';
    const { chat, texts, lines, grownMb, rssMb } = await attack(
      '447700900206',
      [{ call: 'transfer_call', rawArguments, then: 'Sorry.' }],
      (chat, lines) => chat.requests.length >= 2 || transferred(lines()),
      { tools: namedDestinations },
    );
    t.diagnostic(`repeated key: ${chat.requests.length} chat requests, heap +${grownMb.toFixed(1)} MB, RSS +${rssMb.toFixed(0)} MB`);
    assert.ok(!texts.some((text) => text.startsWith('REST transfer')), texts.join('\n'));
    assert.ok(lines.some((line) => line.code === 'VS_ERR_AGENT_TOOL_REFUSED' && /"number" is given twice/.test(String(line.reason))));
    assert.ok(grownMb < HEAP_BOUND_MB, `heap grew ${grownMb.toFixed(1)} MB`);
  });

  test('a model that asks for 1000 transfers in one reply: one reaches Vonage, a few tool calls are read, the rest dropped', async (t) => {
    // Before, 3000 tool calls in one reply ran 3000 REST requests at once (an RS256 signature each).
    // 3000 pass the reply's byte cap (400 bytes each on the wire) and the reply is cut with none run;
    // 1000 stay under it, and meet the bound on tool calls per reply.
    const { chat, texts, lines, grownMb, rssMb } = await attack(
      '447700900207',
      [{ say: 'Transferring you.', call: 'transfer_call', arguments: { destination: 'sales' }, repeat: 1000 }],
      // Over when the transfer was made and the model told of the rest (its second request).
      (chat, lines) => transferred(lines()) && chat.requests.length >= 2,
      { tools: namedDestinations },
    );
    const refused = lines.filter((line) => line.code === 'VS_ERR_AGENT_TOOL_REFUSED').length;
    t.diagnostic(`1000 transfers: ${chat.requests.length} chat requests, ${refused} refusals, heap +${grownMb.toFixed(1)} MB, RSS +${rssMb.toFixed(0)} MB`);
    assert.equal(texts.filter((text) => text.startsWith('REST transfer')).length, 1, texts.join('\n'));
    // The cascade reads 8 tool calls of a reply, the rest dropped unread (one line): one transfers, the
    // others are refused (their lines sampled); the model is answered for those 8.
    assert.ok(
      lines.some((line) => /992 tool calls past 8 in one reply were dropped/.test(String(line.reason))),
      JSON.stringify(lines.filter((line) => line.code)),
    );
    assert.equal(chat.requests[1]!.messages.filter((m) => m.role === 'tool').length, 8);
    assert.ok(grownMb < HEAP_BOUND_MB, `heap grew ${grownMb.toFixed(1)} MB`);
  });

  test('a model in a tool loop (40 calls a reply, every result answered with 40 more): a handful of requests and runs, memory bounded', async (t) => {
    let ran = 0;
    const lookup = () => [
      defineTool({
        name: 'lookup',
        description: 'Look something up',
        parameters: z.object({}),
        execute: () => {
          ran++;
          return 'nothing found';
        },
      }),
    ];
    const { chat, grownMb, rssMb } = await attack(
      '447700900202',
      [{ call: 'lookup', arguments: {}, repeat: 40, again: true }],
      // Over when the request that asked for words (after the turn's last tool round) has been answered; or past the bounds.
      (chat) => chat.requests.some((request) => request.toolChoice === 'none' && request.done) || chat.requests.length > 5,
      { tools: lookup },
    );
    t.diagnostic(`tool loop: ${chat.requests.length} chat requests, ${ran} tool runs, heap +${grownMb.toFixed(1)} MB, RSS +${rssMb.toFixed(0)} MB`);
    // The bounds: 4 tool rounds and a last request for words; 16 runs a turn (src/agents/tool-runner.ts).
    assert.ok(chat.requests.length <= 5, `${chat.requests.length} chat requests`);
    assert.ok(ran <= 16, `${ran} tool runs`);
    assert.ok(grownMb < HEAP_BOUND_MB, `heap grew ${grownMb.toFixed(1)} MB`);
  });

  test("a model that sends one endless line: cut at the reply's byte cap", async (t) => {
    const { chat, lines, grownMb, rssMb } = await attack('447700900203', [{ say: 'Hello.' }], logged('VS_ERR_AGENT_REPLY_TOO_LONG', /bytes/), {
      model: 'fake-endless-line',
      // The byte cap is what is tested, not the idle timer (which a line that never ends also trips).
      streamIdleMs: 30_000,
    });
    const sent = chat.requests[0]?.bytesSent ?? 0;
    t.diagnostic(`endless line: ${(sent / MB).toFixed(1)} MB sent before the cut, heap +${grownMb.toFixed(1)} MB, RSS +${rssMb.toFixed(0)} MB`);
    assert.ok(
      lines.some((line) => line.code === 'VS_ERR_AGENT_REPLY_TOO_LONG' && /passed 1048576 bytes/.test(String(line.reason))),
      JSON.stringify(lines.filter((line) => line.code)),
    );
    // The cap (1 MB) and what sockets hold in flight on both ends of a loopback connection.
    assert.ok(sent < 16 * MB, `${(sent / MB).toFixed(1)} MB sent`);
    assert.ok(grownMb < HEAP_BOUND_MB, `heap grew ${grownMb.toFixed(1)} MB`);
  });

  test('a model that sends a word every 300 ms and never a sentence: stopped for making no progress, with the coded line that brings the apology', async (t) => {
    const { chat, lines, grownMb, rssMb } = await attack('447700900204', [{ say: 'Hello.' }], logged('VS_ERR_AGENT_MODEL_ERROR', /said nothing to speak/), {
      model: 'fake-trickle',
      // A word every 300 ms: a plain idle timer of 1.5 s never fires.
      streamIdleMs: 1500,
    });
    t.diagnostic(`trickle: ${chat.requests[0]?.tokens ?? 0} tokens before the stop, heap +${grownMb.toFixed(1)} MB, RSS +${rssMb.toFixed(0)} MB`);
    assert.ok(
      lines.some((line) => line.code === 'VS_ERR_AGENT_MODEL_ERROR' && /said nothing to speak for 1\.5 s/.test(String(line.detail))),
      JSON.stringify(lines.filter((line) => line.code)),
    );
    assert.ok(chat.requests[0]!.aborted, 'the stream was stopped');
    assert.ok(grownMb < HEAP_BOUND_MB, `heap grew ${grownMb.toFixed(1)} MB`);
  });

  test("a model that speaks sentence after sentence and never ends: cut at the reply's time", async (t) => {
    // 200 words a second of short sentences: progress all along, under the character cap for 8 s.
    const { chat, lines, grownMb, rssMb } = await attack('447700900208', [{ say: 'Yes. '.repeat(3000) }], logged('VS_ERR_AGENT_REPLY_TOO_LONG', /ran past/), {
      streamMaxMs: 2000,
    });
    t.diagnostic(`endless sentences: ${chat.requests[0]?.tokens ?? 0} tokens before the cut, heap +${grownMb.toFixed(1)} MB, RSS +${rssMb.toFixed(0)} MB`);
    assert.ok(
      lines.some((line) => line.code === 'VS_ERR_AGENT_REPLY_TOO_LONG' && /ran past 2 s/.test(String(line.reason))),
      JSON.stringify(lines.filter((line) => line.code)),
    );
    assert.ok(chat.requests[0]!.aborted, 'the stream was stopped');
    assert.ok(grownMb < HEAP_BOUND_MB, `heap grew ${grownMb.toFixed(1)} MB`);
  });

  test("a model that streams a reply with no sentence end at the wire's speed: spoken in bounded pieces, cut at the reply's length", async (t) => {
    const { chat, lines, grownMb, rssMb } = await attack('447700900205', [{ say: 'Hello.' }], logged('VS_ERR_AGENT_REPLY_TOO_LONG', /characters/), {
      model: 'fake-runon',
    });
    const sent = chat.requests[0]?.bytesSent ?? 0;
    t.diagnostic(`run-on: ${(sent / 1024).toFixed(0)} kB sent before the cut, heap +${grownMb.toFixed(1)} MB, RSS +${rssMb.toFixed(0)} MB`);
    assert.ok(
      lines.some((line) => line.code === 'VS_ERR_AGENT_REPLY_TOO_LONG' && /passed 8000 characters/.test(String(line.reason))),
      JSON.stringify(lines.filter((line) => line.code)),
    );
    assert.ok(grownMb < HEAP_BOUND_MB, `heap grew ${grownMb.toFixed(1)} MB`);
  });
});
