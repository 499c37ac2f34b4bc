/**
 * The answer hook: per-call NCCOs built with the typed builders and validated before they are sent;
 * a hook that throws, rejects, hangs or returns an NCCO Vonage would refuse gets a coded log line and
 * the default NCCO, never a 500.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeCall } from '../../src/emulator/call.js';
import type { AnswerHook } from '../../src/apps/app.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { spawnCli, waitForLogLine } from '../helpers/cli.js';

test('a hook greets by caller, adds a record action and passes custom headers to the socket', async (t) => {
  const answer: AnswerHook = async ({ request, ncco }) => [
    ncco.talk(`Hello caller ${request.from}`),
    ncco.record({ split: 'conversation', channels: 2 }),
    ncco.connect({ headers: { language: 'en-GB', plan: 'gold' } }),
  ];
  const identities: Array<Record<string, unknown>> = [];
  const server = await startTestServer({
    answer,
    app: (call) => void call.once('connected', (identity) => identities.push({ uuid: identity.uuid, ...identity.headers })),
  });
  t.after(() => server.close());
  const answered = (await (await fetch(`${server.baseUrl}/webhooks/answer?from=447700900123&uuid=u-1`)).json()) as Array<{ action: string; text?: string }>;
  assert.deepEqual(
    answered.map((action) => action.action),
    ['talk', 'record', 'connect'],
  );
  assert.equal(answered[0]!.text, 'Hello caller 447700900123');
  const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 400, talk: 'skip' });
  assert.equal(result.accepted, true, result.problems.join('; '));
  await waitFor(() => identities.length === 1, 3000, 'the call socket');
  assert.equal(identities[0]!.uuid, result.uuid, 'the identity survives beside the custom headers');
  assert.equal(identities[0]!.language, 'en-GB');
  assert.equal(identities[0]!.plan, 'gold');
});

test('a hook can refuse a call: an NCCO with no connect', async (t) => {
  const server = await startTestServer({ answer: ({ ncco }) => [ncco.talk('Sorry, we are closed')] });
  t.after(() => server.close());
  const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 300, talk: 'skip' });
  assert.equal(result.leg, undefined, 'no socket');
  assert.equal(server.server.registry.activeCalls, 0);
});

for (const [what, hook, reason] of [
  [
    'throws',
    (() => {
      throw new Error('hook bug');
    }) as AnswerHook,
    /hook threw: hook bug/,
  ],
  [
    'rejects',
    (async () => {
      throw new Error('async hook bug');
    }) as AnswerHook,
    /hook threw: async hook bug/,
  ],
  ['returns an invalid NCCO', (() => [{ action: 'dance' }]) as unknown as AnswerHook, /NCCO Vonage would refuse/],
  ['hangs', (() => new Promise(() => {})) as AnswerHook, /did not answer within 200 ms/],
] as const) {
  test(`a hook that ${what} gets a coded log line and the default NCCO (200), and the call goes on`, async (t) => {
    const server = await startTestServer({ answer: hook, limits: { answerHookTimeoutMs: 200 } });
    t.after(() => server.close());
    const response = await fetch(`${server.baseUrl}/webhooks/answer?uuid=u-2`);
    assert.equal(response.status, 200);
    const ncco = (await response.json()) as Array<{ action: string }>;
    assert.deepEqual(
      ncco.map((action) => action.action),
      ['talk', 'connect'],
    );
    const line = server.logs.find((entry) => entry.code === 'VS_ERR_ANSWER_HOOK_FAILED');
    assert.ok(line, 'coded log line');
    assert.match(String(line.detail), reason);
    const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 300, talk: 'skip' });
    assert.equal(result.accepted, true);
  });
}

test('serve --app with a module exporting answer uses it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vs-hook-'));
  const module = join(dir, 'app.mjs');
  await writeFile(
    module,
    "export default (call) => call.on('audio', (f) => call.sendAudio(f));\nexport const answer = ({ request, ncco }) => [ncco.talk('Module greeting for ' + request.to), ncco.connect()];\n",
  );
  const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--app', module]);
  t.after(() => child.kill('SIGKILL'));
  const ready = await waitForLogLine(child, (line) => typeof line.answerUrl === 'string');
  const ncco = (await (await fetch(`${String(ready.answerUrl)}?to=442079460000`)).json()) as Array<{ text?: string }>;
  assert.equal(ncco[0]!.text, 'Module greeting for 442079460000');
});
