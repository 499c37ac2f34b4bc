/**
 * `voicesocket dev` and `setup` against the emulator's Applications and Numbers APIs, through the
 * official SDK clients the commands use: the whole loop from credentials in `.env` to an answered
 * inbound call, a second run, and each way it can go wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { Auth } from '@vonage/auth';
import { Voice } from '@vonage/voice';
import { VonageEmulator, type AccountOptions } from '../../src/emulator/index.js';
import { runCliIn, spawnCli } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

const NUMBER = '447700900001';
const CREDENTIALS = { apiKey: 'abcd1234', apiSecret: 'Secret-5678', signatureSecret: 'account-signature-secret' };

async function emulatorWith(account: Partial<AccountOptions> = {}): Promise<VonageEmulator> {
  const emulator = new VonageEmulator({
    account: { ...CREDENTIALS, numbers: [{ country: 'GB', msisdn: NUMBER, type: 'mobile-lvn', features: ['VOICE', 'SMS'] }], ...account },
  });
  await emulator.listen();
  return emulator;
}

/** A project folder whose `.env` points the commands at the emulator. */
function projectFor(emulator: VonageEmulator, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'voicesocket-dev-'));
  const values = {
    VONAGE_API_KEY: CREDENTIALS.apiKey,
    VONAGE_API_SECRET: CREDENTIALS.apiSecret,
    VONAGE_API_HOST: emulator.restUrl,
    VONAGE_REST_HOST: emulator.restUrl,
    ...extra,
  };
  writeFileSync(
    join(dir, '.env'),
    `# the project's own settings\n${Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
  return dir;
}

function readEnv(dir: string): Record<string, string | undefined> {
  return parseEnv(readFileSync(join(dir, '.env'), 'utf8'));
}

/** Starts `dev` and resolves once it printed the number to call (or rejects with what it printed). */
async function startDev(dir: string, port: number, args: string[] = []): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawnCli(
    ['dev', '--host', '127.0.0.1', '--port', String(port), '--drain-delay', '0', ...args],
    { PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' },
    dir,
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dev did not get ready: ${output}`)), 20_000);
    child.stdout!.on('data', () => {
      if (/call \+\d+ now/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dev exited ${code}: ${output}`));
    });
  });
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

test('dev from nothing: creates the application (signed webhooks), saves its id and a 0600 key, links the number; a call to the number is answered by the served app', async (t) => {
  const emulator = await emulatorWith();
  t.after(() => emulator.close());
  const dir = projectFor(emulator, { VONAGE_NUMBER: NUMBER, VONAGE_SIGNATURE_SECRET: CREDENTIALS.signatureSecret });
  const port = await freePort();
  const dev = await startDev(dir, port);
  t.after(() => stop(dev.child));

  const [application] = emulator.account!.listApplications();
  assert.ok(application, dev.output());
  assert.equal(application.capabilities.voice?.webhooks?.answer_url?.address, `http://127.0.0.1:${port}/webhooks/answer`);
  assert.equal(application.capabilities.voice?.webhooks?.event_url?.address, `http://127.0.0.1:${port}/webhooks/event`);
  assert.equal(application.capabilities.voice?.signed_callbacks, true);
  assert.equal(emulator.account!.ownedNumbers({ pattern: NUMBER })[0]?.app_id, application.id);

  const env = readEnv(dir);
  assert.equal(env.VONAGE_APPLICATION_ID, application.id);
  assert.equal(env.VONAGE_API_KEY, CREDENTIALS.apiKey, 'the other lines of .env are kept');
  assert.match(readFileSync(join(dir, '.env'), 'utf8'), /^# the project's own settings$/m);
  const keyPath = join(dir, env.VONAGE_PRIVATE_KEY!);
  assert.match(readFileSync(keyPath, 'utf8'), /BEGIN PRIVATE KEY/);
  assert.equal(statSync(keyPath).mode & 0o777, 0o600);
  assert.match(dev.output(), /create Voice application/);
  assert.match(dev.output(), new RegExp(`call \\+${NUMBER} now`));

  // Vonage places the call to whatever the number is linked to, signed with the account's secret:
  // the server verifies it as naming the application just created.
  const call = await emulator.callNumber(NUMBER, { durationMs: 1500, talk: 'skip', audio: { kind: 'tone', frequency: 440 } });
  assert.equal(call.answer.ok, true, JSON.stringify(call.answer));
  assert.ok(call.accepted, call.problems.join('; '));
  assert.ok((call.leg?.echoed ?? 0) > 20, `echoed ${call.leg?.echoed}`);

  // The saved private key is the application's: the Voice API takes a JWT it signs (and only that key).
  const voice = new Voice(new Auth({ applicationId: application.id, privateKey: readFileSync(keyPath, 'utf8') }), { apiHost: emulator.restUrl });
  const listed = await voice.getCallsPage({});
  assert.ok((listed._embedded?.calls?.length ?? 0) >= 1);
  const { privateKey: otherKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const stranger = new Voice(new Auth({ applicationId: application.id, privateKey: otherKey }), { apiHost: emulator.restUrl });
  await assert.rejects(stranger.getCallsPage({}), /401/);

  assert.equal(await stop(dev.child), 0);
  assert.match(dev.output(), new RegExp(`left application ${application.id} pointing at http://127.0.0.1:${port}`));
});

test('a second dev run with a new public URL only updates the URLs; the call reaches the new server', async (t) => {
  const emulator = await emulatorWith();
  t.after(() => emulator.close());
  const dir = projectFor(emulator, { VONAGE_NUMBER: NUMBER });
  const first = await startDev(dir, await freePort());
  assert.equal(await stop(first.child), 0);
  const id = readEnv(dir).VONAGE_APPLICATION_ID;

  const port = await freePort();
  const second = await startDev(dir, port);
  t.after(() => stop(second.child));
  assert.doesNotMatch(second.output(), /create Voice application/);
  assert.match(
    second.output(),
    new RegExp(`update application ${id}.*answer URL http://127\\.0\\.0\\.1:\\d+/webhooks/answer → http://127\\.0\\.0\\.1:${port}/webhooks/answer`),
  );
  assert.doesNotMatch(second.output(), /link /, 'the number is already linked');
  assert.equal(emulator.account!.listApplications().length, 1);
  assert.equal(readEnv(dir).VONAGE_APPLICATION_ID, id);
  const call = await emulator.callNumber(NUMBER, { durationMs: 1000, talk: 'skip', audio: { kind: 'tone', frequency: 440 } });
  assert.ok(call.accepted && (call.leg?.echoed ?? 0) > 0, call.problems.join('; '));
});

test('setup --dry-run prints the plan and changes nothing', async (t) => {
  const emulator = await emulatorWith();
  t.after(() => emulator.close());
  const dir = projectFor(emulator, { VONAGE_NUMBER: NUMBER });
  const { code, stdout, stderr } = await runCliIn(dir, ['setup', '--public-url', 'https://voice.example.com/', '--dry-run']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /would create Voice application "voicesocket": answer https:\/\/voice\.example\.com\/webhooks\/answer/);
  assert.match(stdout, new RegExp(`would link ${NUMBER}`));
  assert.equal(emulator.account!.listApplications().length, 0);
  assert.equal(readEnv(dir).VONAGE_APPLICATION_ID, undefined);
});

test('wrong credentials: one coded line, exit 2, nothing changed', async (t) => {
  const emulator = await emulatorWith();
  t.after(() => emulator.close());
  const dir = projectFor(emulator, { VONAGE_API_SECRET: 'wrong' });
  const { code, stderr } = await runCliIn(dir, ['setup', '--public-url', 'https://voice.example.com']);
  assert.equal(code, 2);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /VS_ERR_VONAGE_CREDENTIALS.*401.*VONAGE_API_SECRET/);
  const missing = await runCliIn(projectFor(emulator, { VONAGE_API_KEY: '' }), ['setup', '--public-url', 'https://voice.example.com']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /VS_ERR_VONAGE_CREDENTIALS: .*set VONAGE_API_KEY/);
});

test('a number linked to another application is moved only after a yes', async (t) => {
  const other = { id: '0f0f0f0f-0000-4000-8000-000000000001', name: 'someone else', keys: { public_key: 'x' }, capabilities: {} };
  const emulator = await emulatorWith({
    applications: [other],
    numbers: [{ country: 'GB', msisdn: NUMBER, type: 'mobile-lvn', features: ['VOICE'], app_id: other.id }],
  });
  t.after(() => emulator.close());
  const dir = projectFor(emulator, { VONAGE_NUMBER: NUMBER });
  const refused = await runCliIn(dir, ['setup', '--public-url', 'https://voice.example.com']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, new RegExp(`VS_ERR_CONFIRMATION_NEEDED: .*${NUMBER} is linked to application ${other.id}.*--yes`));
  assert.equal(emulator.account!.listApplications().length, 1, 'no application was created before the question');
  assert.equal(emulator.account!.ownedNumbers()[0]?.app_id, other.id);

  const agreed = await runCliIn(dir, ['setup', '--public-url', 'https://voice.example.com', '--yes']);
  assert.equal(agreed.code, 0, agreed.stderr);
  assert.match(agreed.stdout, /moving it from application/);
  assert.equal(emulator.account!.ownedNumbers()[0]?.app_id, readEnv(dir).VONAGE_APPLICATION_ID);
});

test('--buy-number shows the price, refuses without balance, and buys, links and saves the number with a yes', async (t) => {
  const offer = { country: 'GB', msisdn: '447700900777', type: 'mobile-lvn' as const, features: ['VOICE', 'SMS'], cost: '0.90' };
  const poor = await emulatorWith({ numbers: [], forSale: [offer], balance: 0.5 });
  t.after(() => poor.close());
  const refused = await runCliIn(projectFor(poor), ['setup', '--public-url', 'https://voice.example.com', '--buy-number', 'gb', '--yes']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /VS_ERR_INSUFFICIENT_BALANCE: .*447700900777 costs 0\.90 a month and the balance is 0\.50/);
  assert.equal(poor.account!.ownedNumbers().length, 0);

  const rich = await emulatorWith({ numbers: [], forSale: [offer], balance: 5 });
  t.after(() => rich.close());
  const dir = projectFor(rich);
  const bought = await runCliIn(dir, ['setup', '--public-url', 'https://voice.example.com', '--buy-number', 'GB', '--yes']);
  assert.equal(bought.code, 0, bought.stderr);
  assert.match(bought.stdout, /buy 447700900777 \(GB\) for 0\.90 a month/);
  assert.equal(rich.account!.ownedNumbers()[0]?.app_id, readEnv(dir).VONAGE_APPLICATION_ID);
  assert.equal(readEnv(dir).VONAGE_NUMBER, '447700900777');
  assert.equal(rich.account!.balance.toFixed(2), '4.10');
});

test('dev with neither PUBLIC_URL nor NGROK_AUTHTOKEN says how to get a public URL, exit 2, and leaves no server running', async (t) => {
  const emulator = await emulatorWith();
  t.after(() => emulator.close());
  const dir = projectFor(emulator);
  const port = await freePort();
  const { code, stderr } = await runCliIn(dir, ['dev', '--host', '127.0.0.1', '--port', String(port)]);
  assert.equal(code, 2);
  assert.match(stderr, /VS_ERR_TUNNEL_UNAVAILABLE: .*NGROK_AUTHTOKEN.*PUBLIC_URL/);
  assert.equal(emulator.account!.listApplications().length, 0);
});

test('setup and dev with no network: one coded line, no stack (exit 1)', async () => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  const dir = mkdtempSync(join(tmpdir(), 'voicesocket-dev-'));
  writeFileSync(join(dir, '.env'), `VONAGE_API_KEY=abc\nVONAGE_API_SECRET=def\nVONAGE_API_HOST=${closed}\nVONAGE_REST_HOST=${closed}\n`);
  for (const args of [['setup'], ['dev', '--host', '127.0.0.1', '--port', '0']]) {
    const { code, stderr } = await runCliIn(dir, args, { PUBLIC_URL: 'https://voice.example', LOG_LEVEL: 'silent' });
    assert.equal(code, 1, stderr);
    assert.match(stderr.trim().split('\n').at(-1)!, /^voicesocket: VS_ERR_VONAGE_UNREACHABLE: /);
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack');
  }
});
