/**
 * I/O faults on a call's path: a full disk under `record`, and a process out of file descriptors.
 * Each ends the recording with a coded log line; the call, every other call and the process go on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordCalls } from '../../src/apps/index.js';
import { placeCall } from '../../src/emulator/call.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { Bystander, withBystander } from '../helpers/bystander.js';
import { ROOT, waitForLogLine } from '../helpers/cli.js';
import { SocketClient, patternFrame } from '../helpers/socket-client.js';
import { smallDisk } from '../helpers/small-disk.js';

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

/** Its open descriptors once they stop changing for 300 ms (a call's WAV files open just after its socket). */
async function settledOpen(pid: number): Promise<number> {
  let last = -1;
  for (let open = descriptors(pid).open; open !== last; open = descriptors(pid).open) {
    last = open;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return last;
}

/** The process's open descriptors, and its soft limit on them (Linux's /proc). */
function descriptors(pid: number): { open: number; soft: number } {
  const open = readdirSync(`/proc/${pid}/fd`).length;
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
  return { open, soft };
}

test('out of file descriptors: recordings fail with EMFILE, calls and the process go on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vs-emfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['bin/voicesocket.js', 'serve', '--app', 'record', '--dir', dir, '--port', '0', '--host', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  // The process is brought to its limit, not raced to it: its soft limit is lowered (prlimit, as root
  // may) to what it has open plus `spare`. A call then gets its socket and fails on a WAV file; the
  // spare grows by one until that happens (libuv may hold a descriptor of its own in between). Filling
  // the table with 150 calls instead raced each call's idle timeout and the kernel's backlog on a
  // busy machine (it reached the limit in one run, not in the next).
  const pid = child.pid!;
  const { soft } = descriptors(pid);
  t.after(() => execFileSync('prlimit', ['--pid', String(pid), `--nofile=${soft}:`], { stdio: 'ignore' }));
  const failed = () => lines.some((line) => line.code === 'VS_ERR_RECORDING_FAILED');
  const calls: SocketClient[] = [];
  for (let spare = 1; spare <= 6 && !failed(); spare++) {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${(await settledOpen(pid)) + spare}:`]);
    const call = await SocketClient.call(socketUrl, 'audio/l16;rate=16000', { uuid: `at-limit-${spare}` }).catch(() => undefined);
    if (call) calls.push(call);
    await waitFor(failed, 1000, 'a recording to fail').catch(() => undefined);
  }
  assert.ok(failed(), `no recording failed at the limit: ${JSON.stringify(lines.filter((line) => line.code))}`);
  const failure = lines.find((line) => line.code === 'VS_ERR_RECORDING_FAILED')!;
  assert.equal((failure.err as { code?: string }).code, 'EMFILE');
  // Descriptors back, then the bystander's echo must be exact and the process alive.
  execFileSync('prlimit', ['--pid', String(pid), `--nofile=${soft}:`]);
  await Promise.all(calls.map((call) => call.close()));
  const frames = Array.from({ length: 10 }, (_, i) => patternFrame(640, 500 + i));
  for (const frame of frames) bystander.sendBinary(frame);
  await waitFor(() => bystander.received.binary.length >= 10, 5000, 'the bystander echo');
  assert.deepEqual(bystander.received.binary.slice(0, 10), frames);
  assert.equal(child.exitCode, null, 'the process is alive');
  // A call after the fault is still taken.
  const after = await SocketClient.call(socketUrl, 'audio/l16;rate=16000', { uuid: 'after' });
  await after.close();
  await bystander.close();
});
