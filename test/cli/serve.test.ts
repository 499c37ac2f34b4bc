import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli, runCliIn, spawnCli, waitForLogLine } from '../helpers/cli.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { waitFor } from '../helpers/server.js';

test('--help lists every setting with its environment variable, in groups a newcomer can scan', async () => {
  const { code, stdout } = await runCli(['serve', '--help']);
  assert.equal(code, 0);
  for (const text of ['--port', 'PORT', '--public-url', 'PUBLIC_URL', '--rate', 'AUDIO_RATE', '--greeting', '--log-level', '--app', 'echo']) {
    assert.ok(stdout.includes(text), `help mentions ${text}`);
  }
  // Each flag sits under its group's heading: the heading comes before it and no other heading between.
  const headings = [...stdout.matchAll(/^(\S[^\n]*):$/gm)].map((match) => ({ heading: match[1]!, at: match.index }));
  const groupOf = (flag: string) => headings.filter((h) => h.at < stdout.indexOf(`  ${flag} `)).at(-1)?.heading;
  for (const [flag, group] of [
    ['--port', 'Server'],
    ['--rate', 'Calls and audio'],
    ['--signature-secret', 'Security (docs/security.md)'],
    ['--dashboard-password', 'Security (docs/security.md)'],
    ['--stt', 'Speech (docs/speech.md)'],
    ['--workers', 'Scale and deploys (docs/deploy.md)'],
    ['--redis', 'Scale and deploys (docs/deploy.md)'],
    ['--instructions', 'Agents (--app agent, docs/agents.md)'],
    ['--file', 'Apps (options of the built-in apps, docs/apps.md)'],
  ] as const)
    assert.equal(groupOf(flag), group, flag);
});

test('dev --help and setup --help say how the public URL is obtained and where the credentials come from', async () => {
  const dev = await runCli(['dev', '--help']);
  assert.equal(dev.code, 0);
  for (const text of [
    'NGROK_AUTHTOKEN',
    '--public-url / PUBLIC_URL',
    'VS_ERR_TUNNEL_UNAVAILABLE',
    'VONAGE_API_KEY, VONAGE_API_SECRET',
    '.env',
    'Vonage account:',
  ])
    assert.ok(dev.stdout.includes(text), `dev --help mentions ${text}`);
  const setup = await runCli(['setup', '--help']);
  assert.equal(setup.code, 0);
  for (const text of ['opens no tunnel', 'PUBLIC_URL', 'VONAGE_API_KEY, VONAGE_API_SECRET', 'VONAGE_APPLICATION_ID', 'private.key'])
    assert.ok(setup.stdout.includes(text), `setup --help mentions ${text}`);
});

for (const [args, env, setting] of [
  [['serve', '--port', 'abc'], {}, '--port'],
  [['serve'], { AUDIO_RATE: '44100' }, 'AUDIO_RATE'],
  [['serve'], { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  [['serve', '--public-url', 'not a url'], {}, '--public-url'],
  [['serve', '--app', 'nope'], {}, '--app'],
] as const) {
  test(`a bad setting (${setting}) exits 2 with one line naming it and the allowed values`, async () => {
    const { code, stderr } = await runCli([...args], env);
    assert.equal(code, 2);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, /VS_ERR_CONFIG_INVALID/);
    assert.ok(lines[0]!.includes(setting), lines[0]);
    assert.match(lines[0]!, /expected /);
  });
}

test('SIGTERM with no drain (--drain-delay 0 --drain-timeout 0) closes call sockets with 1001 and exits 0 within 5 s', async () => {
  const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--drain-delay', '0', '--drain-timeout', '0']);
  const ready = await waitForLogLine(child, (line) => typeof line.socket === 'string');
  const client = await SocketClient.call(String(ready.socket));
  client.sendBinary(patternFrame(640, 1));
  await waitFor(() => client.received.binary.length === 1, 5000, 'echo from the CLI server');
  const started = Date.now();
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 5000, 'exited within 5 s');
  await waitFor(() => client.closed !== undefined, 1000, 'close seen');
  assert.equal(client.closed?.code, 1001);
});

test('serve --rate 8000 answers with rate=8000 (the flag is read, not only AUDIO_RATE), and beats AUDIO_RATE', async (t) => {
  const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--rate', '8000'], { AUDIO_RATE: '24000' });
  t.after(() => child.kill('SIGKILL'));
  const ready = await waitForLogLine(child, (line) => typeof line.answerUrl === 'string');
  // The start line says where to go next: the dashboard, the softphone, a test call, a real number.
  assert.match(String(ready.dashboard), /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.match(String(ready.softphone), /\/phone$/);
  assert.match(String(ready.msg), /voicesocket call .*\/webhooks\/answer.*Connect a real Vonage number/);
  const ncco = (await (await fetch(String(ready.answerUrl))).json()) as Array<{ endpoint?: Array<Record<string, unknown>> }>;
  assert.equal(ncco[1]!.endpoint![0]!['content-type'], 'audio/l16;rate=8000');
});

test('--version prints the package version', async () => {
  const { code, stdout } = await runCli(['--version']);
  assert.equal(code, 0);
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(stdout.trim(), version);
});

test('a .env file in the working directory is read; the environment and flags win over it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vs-dotenv-'));
  writeFileSync(join(dir, '.env'), '# Vonage sample style\nAUDIO_RATE=8000\nGREETING="Hello from dotenv"\nPACER_LEAD_MS=300\n');
  const { code, stdout, stderr } = await runCliIn(dir, ['serve', '--print-config', '--lead', '120'], {
    GREETING: 'from the environment',
    AUDIO_RATE: undefined,
    PACER_LEAD_MS: undefined,
  });
  assert.equal(code, 0, stderr);
  const config = JSON.parse(stdout) as Record<string, { value: unknown; from: string }>;
  // Each value with where it came from.
  assert.deepEqual(config.sampleRate, { value: 8000, from: '.env AUDIO_RATE' }, '.env read');
  assert.deepEqual(config.greeting, { value: 'from the environment', from: 'environment GREETING' }, 'the environment beats .env');
  assert.deepEqual(config.leadMs, { value: 120, from: 'flag --lead' }, 'a flag beats .env');
  assert.deepEqual(config.port, { value: 3000, from: 'default' });
});

test('a bad value in .env is named as coming from .env', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vs-dotenv-'));
  writeFileSync(join(dir, '.env'), 'AUDIO_RATE=44100\n');
  const { code, stderr } = await runCliIn(dir, ['serve', '--print-config'], { AUDIO_RATE: undefined });
  assert.equal(code, 2, stderr);
  assert.match(stderr, /AUDIO_RATE="44100" in \.env is not allowed; expected 8000, 16000, 24000/);
});

test('a .env line without "=" exits 2 with one line naming it; the next setting is not silently lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vs-dotenv-'));
  writeFileSync(join(dir, '.env'), 'AUDIO_RATE=8000\nBROKEN\nPACER_LEAD_MS=300\n');
  const { code, stderr } = await runCliIn(dir, ['serve', '--print-config'], { AUDIO_RATE: undefined, PACER_LEAD_MS: undefined });
  assert.equal(code, 2, stderr);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /VS_ERR_CONFIG_INVALID: .*\.env line 2: "BROKEN" is not NAME=value/);
});

for (const workers of ['1', '2']) {
  test(`a port already in use exits 2 with one coded line, no stack (--workers ${workers})`, async (t) => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const port = (blocker.address() as AddressInfo).port;
    // With workers this once restarted them forever: the test's own timeout was the only end.
    const { code, stderr } = await runCli(['serve', '--port', String(port), '--host', '127.0.0.1', '--workers', workers], { LOG_LEVEL: 'silent' });
    assert.equal(code, 2, stderr);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, /VS_ERR_PORT_IN_USE/);
    assert.match(lines[0]!, new RegExp(`--port=${port}`));
    assertSaidOnce(lines[0]!);
  });
}

test('a host that is not an address of this machine is named as such, not as a port in use', async () => {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): never a local address.
  const { code, stderr } = await runCli(['serve', '--port', '0', '--host', '192.0.2.1'], { LOG_LEVEL: 'silent' });
  assert.equal(code, 2, stderr);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /VS_ERR_HOST_UNAVAILABLE: the host to listen on is not an address of this machine: --port=0 --host=192\.0\.2\.1 \(EADDRNOTAVAIL\)/);
  assertSaidOnce(stderr);
});

/**
 * A line that says the same thing twice ("the port is taken: another process listens there: … another
 * process is listening there") repeats a pair of words that carry meaning (four letters or more).
 */
function assertSaidOnce(line: string): void {
  const words = line.toLowerCase().match(/[a-z]+/g) ?? [];
  const seen = new Set<string>();
  for (let i = 0; i + 1 < words.length; i++) {
    if (words[i]!.length < 4 || words[i + 1]!.length < 4) continue;
    const pair = `${words[i]} ${words[i + 1]}`;
    assert.ok(!seen.has(pair), `"${pair}" said twice in: ${line}`);
    seen.add(pair);
  }
}
