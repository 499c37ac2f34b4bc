/**
 * `serve --app agent` end to end: the real CLI and the real Agents SDK against the local Realtime
 * server, Vonage's Voice API client against the emulator's REST API, and an emulated caller. The
 * agent greets, the caller says goodbye, the agent says goodbye and hangs up through Vonage's REST
 * API once its words were heard; a transfer moves the caller's leg to a new NCCO. The same app on the
 * cascade (`--agent-provider cascade`), and the keys each provider needs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallList } from '../../src/call/call-snapshot.js';
import { startFakeRealtime, type FakeTurn } from '../helpers/fake-openai-realtime.js';
import { collectLogLines, spawnCascadeAgent, spawnCli, waitForLogLine } from '../helpers/cli.js';
import { startFakeChat } from '../helpers/fake-chat-completions.js';
import { agentProviderFrom } from '../../src/apps/agent-providers.js';
import { VoicesocketError } from '../../src/errors.js';
import { APPLICATION_ID, emulatedApplication } from '../helpers/emulated-application.js';

const GREETING = 'Hello! How can I help you today?';
const GOODBYE = 'Thank you for calling, goodbye.';
const plain = (text: string) => text.toLowerCase().replace(/[^a-z ]/g, '');

async function setUp(t: import('node:test').TestContext, turns: FakeTurn[], extraArgs: string[] = []) {
  const { privateKey, emulator } = await emulatedApplication();
  const fake = await startFakeRealtime({ greeting: GREETING, turns });
  const server = spawnCli(
    ['serve', '--port', '0', '--host', '127.0.0.1', '--app', 'agent', '--openai-url', fake.url, '--agent-greeting', GREETING, ...extraArgs],
    {
      OPENAI_API_KEY: fake.apiKey,
      VONAGE_APPLICATION_ID: APPLICATION_ID,
      VONAGE_PRIVATE_KEY: privateKey,
      VONAGE_API_HOST: emulator.restUrl,
    },
  );
  t.after(async () => {
    server.kill('SIGKILL');
    await emulator.close();
    await fake.close();
  });
  const logs = collectLogLines(server);
  const ready = await waitForLogLine(server, (line) => String(line.msg).startsWith('voicesocket listening'));
  return { emulator, fake, server, logs, answerUrl: String(ready.answerUrl), base: String(ready.answerUrl).replace(/\/webhooks\/answer$/, '') };
}

test('serve --app agent: greets, hears goodbye, says goodbye and hangs up through the Vonage REST API after it was heard; turns on /api/calls', async (t) => {
  const { emulator, fake, answerUrl, base } = await setUp(t, [
    { say: GOODBYE, call: 'hang_up', arguments: { reason: 'the caller is done' }, heard: 'goodbye' },
  ]);
  const result = await emulator.placeCall({
    answerUrl,
    durationMs: 20_000,
    talk: 'skip',
    audio: { kind: 'script', utterances: [{ text: 'goodbye', atMs: 4500 }] },
    transcribeHeard: { choices: [plain(GREETING), plain(GOODBYE)] },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  // The NCCO only connects: the agent greets in its own voice.
  assert.deepEqual(
    (result.ncco as Array<{ action: string }>).map((action) => action.action),
    ['connect'],
  );
  assert.deepEqual(
    result.heardTranscript?.map((line) => line.text),
    [plain(GREETING), plain(GOODBYE)],
    'the caller heard the greeting and the whole goodbye',
  );
  assert.ok(
    result.timeline.some((entry) => entry.text === 'REST hangup of the caller leg'),
    result.timeline.map((e) => e.text).join('\n'),
  );
  assert.ok(result.durationMs < 15_000, 'the agent ended the call, not the caller');
  const [model] = fake.sessions;
  assert.ok(model!.received.some((event) => event.type === 'conversation.item.create' && (event.item as { type: string }).type === 'function_call_output'));
  // The dashboard's data: the call's turns, the caller's words and the latency split.
  const { recent } = (await (await fetch(`${base}/api/calls`)).json()) as CallList;
  assert.equal(recent[0]?.agent?.provider, 'openai');
  const turns = recent[0]?.agent?.turns ?? [];
  assert.equal(turns[0]?.agent, GREETING);
  assert.equal(turns[1]?.caller, 'goodbye');
  assert.equal(turns[1]?.agent, GOODBYE);
  assert.ok(turns[1]?.latency && turns[1].latency.oursMs >= 0, JSON.stringify(turns));
});

test('serve --app agent --transfer: the transfer tool moves the caller to a new NCCO that connects the named destination', async (t) => {
  const { emulator, answerUrl, logs } = await setUp(
    t,
    [{ say: 'Let me transfer you.', call: 'transfer_call', arguments: { destination: 'sales' } }],
    ['--transfer', 'sales=+447700900001,desk=sip:desk@pbx.example.com'],
  );
  const result = await emulator.placeCall({
    answerUrl,
    durationMs: 15_000,
    talk: 'skip',
    audio: { kind: 'script', utterances: [{ text: 'a person please', atMs: 4500 }] },
  });
  const texts = result.timeline.map((entry) => entry.text);
  assert.ok(texts.includes('REST transfer to a new NCCO of 1 action(s)'), texts.join('\n'));
  // The new NCCO connects a phone number (which the emulator does not place: it says so).
  assert.ok(
    texts.some((text) => text.startsWith('connect to a phone endpoint')),
    texts.join('\n'),
  );
  assert.ok(logs.some((line) => line.msg === 'agent transferred the call' && line.to === 'sales' && line.endpoint === '+447700900001'));
});

test('serve --app agent without OPENAI_API_KEY exits 2 with one line', async () => {
  const child = spawnCli(['serve', '--port', '0', '--app', 'agent'], { OPENAI_API_KEY: '' });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /VS_ERR_CONFIG_INVALID.*OPENAI_API_KEY/);
});

test("serve --app agent --agent-provider cascade: the server's PocketSphinx and espeak-ng around a chat model at --llm-url; greets, says goodbye and hangs up after it was heard", async (t) => {
  const { privateKey, emulator } = await emulatedApplication();
  const chat = await startFakeChat({ turns: [{ say: GOODBYE, call: 'hang_up', arguments: { reason: 'the caller is done' } }] });
  const server = spawnCascadeAgent(chat, GREETING, ['--model', 'local-model'], {
    VONAGE_APPLICATION_ID: APPLICATION_ID,
    VONAGE_PRIVATE_KEY: privateKey,
    VONAGE_API_HOST: emulator.restUrl,
  });
  t.after(async () => {
    server.kill('SIGKILL');
    await emulator.close();
    await chat.close();
  });
  const ready = await waitForLogLine(server, (line) => String(line.msg).startsWith('voicesocket listening'));
  const answerUrl = String(ready.answerUrl);
  const result = await emulator.placeCall({
    answerUrl,
    durationMs: 20_000,
    talk: 'skip',
    audio: { kind: 'script', utterances: [{ text: 'goodbye', atMs: 4500 }] },
    transcribeHeard: { choices: [plain(GREETING), plain(GOODBYE)] },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  assert.deepEqual(
    result.heardTranscript?.map((line) => line.text),
    [plain(GREETING), plain(GOODBYE)],
    'the caller heard the greeting and the whole goodbye',
  );
  assert.ok(
    result.timeline.some((entry) => entry.text === 'REST hangup of the caller leg'),
    result.timeline.map((e) => e.text).join('\n'),
  );
  assert.ok(result.durationMs < 15_000, 'the agent ended the call, not the caller');
  // The chat model saw the instructions, the greeting it said and the caller's words; it was offered the tools.
  const [request] = chat.requests;
  assert.equal(request!.model, 'local-model');
  assert.deepEqual(
    request!.messages.map((m) => m.role),
    ['system', 'assistant', 'user'],
  );
  assert.equal(request!.messages[1]!.content, GREETING);
  // No destination named: no transfer tool (the model can never pick a number), and the default
  // instructions do not speak of transfers at all.
  assert.doesNotMatch(String(request!.messages[0]!.content), /transfer|number/i);
  assert.deepEqual(
    request!.tools?.map((tool) => tool.function.name),
    ['hang_up'],
  );
  const { recent } = (await (await fetch(`${answerUrl.replace(/\/webhooks\/answer$/, '')}/api/calls`)).json()) as CallList;
  const turns = recent[0]?.agent?.turns ?? [];
  assert.equal(turns[0]?.agent, GREETING);
  assert.ok(
    turns.some((turn) => turn.agent === GOODBYE && turn.latency),
    JSON.stringify(turns),
  );
});

test('agent providers: a missing key or agent id stops the server at start with one line naming it', async () => {
  const cases: Array<[Record<string, unknown>, NodeJS.ProcessEnv, RegExp]> = [
    [{ agentProvider: 'openai' }, {}, /needs OPENAI_API_KEY/],
    [{ agentProvider: 'gemini' }, {}, /needs GEMINI_API_KEY or GOOGLE_API_KEY/],
    [{ agentProvider: 'elevenlabs' }, { ELEVENLABS_API_KEY: 'k' }, /needs ELEVENLABS_AGENT_ID/],
    [{ agentProvider: 'elevenlabs' }, {}, /needs ELEVENLABS_API_KEY/],
    [{ agentProvider: 'deepgram' }, {}, /needs DEEPGRAM_API_KEY/],
    [{ agentProvider: 'cascade' }, {}, /needs LLM_API_KEY or OPENAI_API_KEY/],
    [{ agentProvider: 'bard' }, {}, /--agent-provider="bard" is not allowed; expected one of openai, gemini, elevenlabs, deepgram, cascade/],
    [{}, { AGENT_PROVIDER: 'gemini' }, /--agent-provider gemini needs GEMINI_API_KEY/],
  ];
  for (const [options, env, expected] of cases) {
    await assert.rejects(
      agentProviderFrom(options, env),
      (error: unknown) => error instanceof VoicesocketError && error.code === 'VS_ERR_CONFIG_INVALID' && expected.test(error.message),
      JSON.stringify([options, env]),
    );
  }
  // A local model server needs no key; every other provider is made from its key alone.
  assert.equal((await agentProviderFrom({ agentProvider: 'cascade', llmUrl: 'http://127.0.0.1:11434/v1' }, {})).name, 'cascade');
  assert.equal((await agentProviderFrom({ agentProvider: 'gemini' }, { GOOGLE_API_KEY: 'k' })).name, 'gemini');
  assert.equal((await agentProviderFrom({ agentProvider: 'elevenlabs', elevenlabsAgentId: 'agent_1' }, { ELEVENLABS_API_KEY: 'k' })).name, 'elevenlabs');
  assert.equal((await agentProviderFrom({}, { AGENT_PROVIDER: 'deepgram', DEEPGRAM_API_KEY: 'k' })).name, 'deepgram');
  // And through the CLI: exit 2, one line.
  const child = spawnCli(['serve', '--port', '0', '--app', 'agent', '--agent-provider', 'gemini'], { GEMINI_API_KEY: '', GOOGLE_API_KEY: '' });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /VS_ERR_CONFIG_INVALID.*GEMINI_API_KEY/);
});
