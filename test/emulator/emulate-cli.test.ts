/**
 * `voicesocket emulate` as a user runs it (the built CLI): it prints where it listens, the
 * application id and its private key; the official SDKs pointed at it by their host options
 * (`@vonage/applications` and `@vonage/voice`: `apiHost`, `@vonage/numbers`: `restHost`) see the
 * account and place a call that rings the scenario's phone; the phone's recording is written;
 * Ctrl-C stops it with exit 0. A scenario that names an unknown kind of phone is one line and exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Auth } from '@vonage/auth';
import { Applications } from '@vonage/applications';
import { Numbers } from '@vonage/numbers';
import { Voice } from '@vonage/voice';
import { runCli, spawnCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/server.js';
import { startScriptedApp } from '../fixtures/scripted-app.js';
import { readWav } from '../../src/audio/wav.js';
import { bearerToken, verifySignedWebhook } from '../../src/protocol/signed-webhook.js';

const PHONE = '447700900401';
const SECRET = 'signature-secret-for-the-test-0123456789';

test('voicesocket emulate: the SDKs see its account and place a call that rings the scenario phone; its recording is written', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-emulate-'));
  const scenario = join(dir, 'scenario.yaml');
  await writeFile(
    scenario,
    `phones:\n  ${PHONE}:\n    kind: person\n    answerAfterMs: 100\n    script:\n      - say: Hello?\n      - hangup: true\n        atMs: 1500\n`,
  );
  const app = await startScriptedApp(() => ({ status: 200, text: '' }));
  const child = spawnCli([
    'emulate',
    '--port',
    '0',
    '--json',
    '--scenario',
    scenario,
    '--recordings',
    dir,
    '--event-url',
    `${app.base}/event`,
    '--secret',
    SECRET,
  ]);
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await app.close();
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const part of parts) if (part.startsWith('{')) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  await waitFor(() => lines.some((line) => line.event === 'listening'), 30_000, 'the emulator to listen');
  const started = lines[0] as { baseUrl: string; applicationId: string; privateKey: string; apiKey: string; apiSecret: string; number: string };

  const account = new Auth({ apiKey: started.apiKey, apiSecret: started.apiSecret });
  const applications = await new Applications(account, { apiHost: started.baseUrl }).getApplicationPage({});
  assert.deepEqual(
    applications._embedded?.applications?.map((application) => application.id),
    [started.applicationId],
  );
  const owned = await new Numbers(account, { restHost: started.baseUrl }).getOwnedNumbers({});
  assert.deepEqual(
    owned.numbers?.map((number) => [number.msisdn, (number as { appId?: string; app_id?: string }).appId ?? (number as { app_id?: string }).app_id]),
    [[started.number, started.applicationId]],
  );

  const privateKey = await readFile(started.privateKey, 'utf8');
  const voice = new Voice(new Auth({ applicationId: started.applicationId, privateKey }), { apiHost: started.baseUrl });
  // No event_url: the events go to the application's (--event-url).
  const call = (await voice.createOutboundCall({
    to: [{ type: 'phone', number: PHONE }],
    from: { type: 'phone', number: started.number },
    ncco: [{ action: 'conversation', name: 'cli' }],
  } as never)) as unknown as { uuid: string };
  await waitFor(() => lines.some((line) => line.event === 'call-ended' && line.uuid === call.uuid), 20_000, 'the call to end');
  assert.equal(lines.find((line) => line.event === 'call-ended')!.status, 'completed');
  const statuses = () => app.requests.map((request) => (request.body as { status?: string }).status).filter((status) => status);
  await waitFor(() => statuses().includes('completed'), 5000, 'the completed event');
  assert.deepEqual(statuses(), ['started', 'ringing', 'answered', 'completed']);
  // --secret: the application has signed callbacks; every event carries Vonage's JWT over its body.
  for (const request of app.requests) {
    const verified = await verifySignedWebhook(bearerToken(request.headers.authorization), {
      secret: SECRET,
      payload: request.rawBody,
      apiKey: started.apiKey,
      applicationId: started.applicationId,
    });
    assert.equal(verified.ok, true, JSON.stringify(verified));
  }
  await waitFor(async () => (await readdir(dir)).some((name) => name.endsWith('-heard.wav')), 5000, 'the recording');
  const wav = (await readdir(dir)).find((name) => name.endsWith('-heard.wav'))!;
  assert.ok(wav.startsWith(`${PHONE}-${call.uuid}`));
  assert.ok(readWav(await readFile(join(dir, wav))).channels[0]!.length > 16000, 'about 1.5 s heard');

  child.kill('SIGINT');
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 0);
});

test('voicesocket emulate: a scenario with a mistake is one line and exit 2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-emulate-'));
  const scenario = join(dir, 'scenario.yaml');
  await writeFile(scenario, 'phones:\n  447700900402:\n    kind: robot\n');
  const { code, stderr } = await runCli(['emulate', '--scenario', scenario]);
  assert.equal(code, 2);
  assert.match(stderr, /^voicesocket: VS_ERR_CONFIG_INVALID: .*--scenario: scenario phones\.447700900402\.kind/);
  assert.equal(stderr.trim().split('\n').length, 1);
});
