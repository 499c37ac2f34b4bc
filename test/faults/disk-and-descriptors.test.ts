/**
 * I/O faults on a call's path: a full disk under `record`, and a process out of file descriptors.
 * Each ends the recording with a coded log line; the call, every other call and the process go on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordCalls } from '../../src/apps/index.js';
import { placeCall } from '../../src/emulator/call.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { Bystander, withBystander } from '../helpers/bystander.js';
import { ROOT, waitForLogLine } from '../helpers/cli.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';

/** A 96 KiB tmpfs: about 1.5 s of one call's two 16 kHz tracks. Needs root (CI and the dev machines run as root). */
function smallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'vs-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

test('record on a full disk: RECORDING_FAILED, the call goes on echoing, the process and a bystander too', async (t) => {
  const disk = smallDisk();
  if (!disk) return t.skip('cannot mount a tmpfs here (needs root); the writer-error path is covered by the descriptor test');
  t.after(() => execFileSync('umount', [disk]));
  const server = await startTestServer({ app: withBystander(recordCalls(disk)) });
  t.after(() => server.close());
  const bystander = await Bystander.join(server.socketUrl);
  const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 3000, talk: 'skip', audio: { kind: 'tone', frequency: 440 } });
  await waitFor(() => server.logs.some((line) => line.code === 'VS_ERR_RECORDING_FAILED'), 5000, 'the recording failure');
  const failure = server.logs.find((line) => line.code === 'VS_ERR_RECORDING_FAILED')!;
  assert.equal((failure.err as { code?: string }).code, 'ENOSPC');
  // The call itself went on to the end, echoing every frame.
  assert.equal(result.leg?.end, 'caller-hangup');
  assert.equal(result.leg?.lost, 0);
  await bystander.echoesExactly();
  assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
  await bystander.close();
});

const DESCRIPTORS = 256;

test('out of file descriptors: recordings fail with EMFILE, calls and the process go on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vs-emfile-'));
  // 256 descriptors: module loading at start needs ~100 at once; each call then takes three (socket, two WAVs).
  const child = spawn(
    'sh',
    ['-c', `ulimit -n ${DESCRIPTORS} && exec "${process.execPath}" bin/voicesocket.js serve --app record --dir "${dir}" --port 0 --host 127.0.0.1`],
    {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => child.kill('SIGKILL'));
  const lines: Array<Record<string, unknown>> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = await waitForLogLine(child, (line) => typeof line.socket === 'string').catch((error: Error) => {
    throw new Error(`${error.message}; stderr: ${stderr.slice(0, 400)}`);
  });
  const socketUrl = String(ready.socket);
  const bystander = await SocketClient.call(socketUrl, 'audio/l16;rate=16000', { uuid: 'bystander' });
  // Calls until the process is out of descriptors: the accept of the next one fails (a refused
  // connection, not a crash). Each call holds three: its socket and its two WAV files.
  const calls: SocketClient[] = [];
  for (let i = 0; i < 150; i++) {
    try {
      calls.push(await SocketClient.call(socketUrl, 'audio/l16;rate=16000', { uuid: `call-${i}` }));
    } catch {
      break;
    }
  }
  assert.ok(calls.length > 5 && calls.length < 150, `${calls.length} calls before the limit`);
  // Near the limit, call again until one call gets its socket but not both of its files. No count
  // of free descriptors is guessed (a fixed wait for a closed call's files to be released failed on a
  // busy machine). A refused socket frees one call (three descriptors, in time) and an idle TCP
  // connection takes one back: without that shift a call that takes three and a freed call that gives
  // three back can cycle forever (seen: 30 attempts, no failure). With it the free count reaches one
  // or two, and the next call's socket gets a descriptor that its second file cannot.
  const failed = () => lines.some((line) => line.code === 'VS_ERR_RECORDING_FAILED');
  const port = Number(new URL(socketUrl).port);
  const idle: net.Socket[] = [];
  t.after(() => idle.forEach((socket) => socket.destroy()));
  for (let attempt = 0; attempt < 40 && !failed(); attempt++) {
    try {
      calls.push(await SocketClient.call(socketUrl, 'audio/l16;rate=16000', { uuid: `near-limit-${attempt}` }));
    } catch {
      await calls.shift()?.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const socket = net.connect(port, '127.0.0.1');
      // The server, short of descriptors, may reset it: an unheard 'error' would end the test.
      socket.on('error', () => undefined);
      idle.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await waitFor(() => lines.some((line) => line.code === 'VS_ERR_RECORDING_FAILED'), 5000, 'a recording to fail');
  const failure = lines.find((line) => line.code === 'VS_ERR_RECORDING_FAILED')!;
  assert.equal((failure.err as { code?: string }).code, 'EMFILE');
  // Free descriptors, then the bystander's echo must be exact and the process alive.
  await Promise.all(calls.map((call) => call.close()));
  const frames = Array.from({ length: 10 }, (_, i) => patternFrame(640, 500 + i));
  for (const frame of frames) bystander.sendBinary(frame);
  await waitFor(() => bystander.received.binary.length >= 10, 5000, 'the bystander echo');
  assert.deepEqual(bystander.received.binary.slice(0, 10), frames);
  assert.equal(child.exitCode, null, 'the process is alive');
  await bystander.close();
});
