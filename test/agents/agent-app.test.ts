/**
 * `serve --app agent` end to end: the real CLI and the real Agents SDK against the local Realtime
 * server, Vonage's Voice API client against the emulator's REST API, and an emulated caller. The
 * agent greets, the caller says goodbye, the agent says goodbye and hangs up through Vonage's REST
 * API once its words were heard; a transfer moves the caller's leg to a new NCCO.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { VonageEmulator } from '../../src/emulator/vonage-emulator.js';
import type { CallList } from '../../src/call/call-snapshot.js';
import { startFakeRealtime, type FakeTurn } from '../helpers/fake-openai-realtime.js';
import { collectLogLines, spawnCli, waitForLogLine } from '../helpers/cli.js';

const APPLICATION_ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
const GREETING = 'Hello! How can I help you today?';
const GOODBYE = 'Thank you for calling, goodbye.';
const plain = (text: string) => text.toLowerCase().replace(/[^a-z ]/g, '');

async function setUp(t: import('node:test').TestContext, turns: FakeTurn[]) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const emulator = new VonageEmulator({ applicationId: APPLICATION_ID, publicKey });
  await emulator.listen();
  const fake = await startFakeRealtime({ greeting: GREETING, turns });
  const server = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--app', 'agent', '--openai-url', fake.url, '--agent-greeting', GREETING], {
    OPENAI_API_KEY: fake.apiKey,
    VONAGE_APPLICATION_ID: APPLICATION_ID,
    VONAGE_PRIVATE_KEY: privateKey,
    VONAGE_API_HOST: emulator.restUrl,
  });
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
  const turns = recent[0]?.agent?.turns ?? [];
  assert.equal(turns[0]?.agent, GREETING);
  assert.equal(turns[1]?.caller, 'goodbye');
  assert.equal(turns[1]?.agent, GOODBYE);
  assert.ok(turns[1]?.latency && turns[1].latency.oursMs >= 0, JSON.stringify(turns));
});

test('serve --app agent: the transfer tool moves the caller to a new NCCO that connects the number', async (t) => {
  const { emulator, answerUrl, logs } = await setUp(t, [{ say: 'Let me transfer you.', call: 'transfer_call', arguments: { number: '447700900001' } }]);
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
  assert.ok(logs.some((line) => line.msg === 'agent transferred the call' && line.to === '447700900001'));
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
