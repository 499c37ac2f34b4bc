/**
 * Faults around the records: a full disk stops a recording (and a record's file) with one coded line
 * per call and harms no call — the record still reaches its receiver, saying where the recording
 * stopped and why; and a process killed in the middle of a call leaves a stereo WAV that plays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { echo } from '../../src/apps/echo.js';
import { placeCall } from '../../src/emulator/call.js';
import { inspectWav } from '../../src/audio/wav.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { Bystander, withBystander } from '../helpers/bystander.js';
import { freePort } from '../helpers/ports.js';
import { reportReceiver } from '../helpers/report-receiver.js';
import { spawnCli, waitForLogLine } from '../helpers/cli.js';
import { smallDisk } from '../helpers/small-disk.js';

const SECRET = 'a-long-report-secret-0123';

test('a full disk: the recording and the record file stop with one coded line each per call; every call goes on; the report still arrives', async (t) => {
  const disk = smallDisk();
  if (!disk) return t.skip('cannot mount a tmpfs here (needs root)');
  const receiver = reportReceiver(await freePort(), SECRET);
  await receiver.up();
  const server = await startTestServer({
    app: withBystander(echo),
    config: {
      recordCalls: join(disk, 'recordings'),
      callRecords: join(disk, 'records'),
      callReportUrl: receiver.url,
      callReportSecret: SECRET,
      callReportSpool: mkdtempSync(join(tmpdir(), 'vs-spool-')),
    },
  });
  const bystander = await Bystander.join(server.socketUrl);
  // In this order: the disk is let go once nothing holds a file on it.
  t.after(async () => {
    await bystander.close();
    await server.close();
    await receiver.down();
    execFileSync('umount', [disk]);
  });
  const result = await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 3000, talk: 'skip', audio: { kind: 'tone', frequency: 440 } });
  // The call went on to the end, echoing every frame; so does the bystander.
  assert.equal(result.leg?.end, 'caller-hangup');
  assert.equal(result.leg?.lost, 0);
  await bystander.echoesExactly();
  assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);

  await waitFor(() => [...receiver.reports.values()].some((record) => record.call.uuid === result.uuid), 10_000, "the call's report");
  const record = [...receiver.reports.values()].find((one) => one.call.uuid === result.uuid)!;
  assert.equal(record.recording!.stopped!.detail, 'ENOSPC');
  assert.equal(record.recording!.stopped!.code, 'VS_ERR_RECORDING_FAILED');
  // The disk holds about 1.5 s: the recording stopped at its second write (a second each), before the call ended.
  assert.ok(record.recording!.stopped!.atMs < record.durationMs, `stopped at ${record.recording!.stopped!.atMs} ms of ${record.durationMs}`);
  assert.equal(record.errorCounts.VS_ERR_RECORDING_FAILED, 1, 'the coded line is in the record too');
  const callId = record.call.id;
  const linesOf = (code: string) => server.logs.filter((line) => line.code === code && line.call === callId);
  assert.equal(linesOf('VS_ERR_RECORDING_FAILED').length, 1, 'one line for the recording');
  assert.equal(linesOf('VS_ERR_RECORD_FAILED').length, 1, 'one line for the record file');
  // What was recorded before the disk filled is a WAV that plays.
  const wav = inspectWav(readFileSync(record.recording!.path));
  assert.equal(wav.channels, 2);
  assert.ok(wav.durationMs > 500, `${wav.durationMs} ms kept`);
});

test('a process killed in the middle of a call leaves a stereo WAV that plays (its header kept up to date)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vs-killed-'));
  const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--record-calls', dir]);
  t.after(() => child.kill('SIGKILL'));
  const ready = await waitForLogLine(child, (line) => typeof line.answerUrl === 'string');
  const call = placeCall({ answerUrl: String(ready.answerUrl), durationMs: 6000, talk: 'skip', audio: { kind: 'tone', frequency: 440 } });
  await waitFor(() => readdirSync(dir).some((name) => name.endsWith('.wav')), 5000, 'the recording');
  const path = join(
    dir,
    readdirSync(dir).find((name) => name.endsWith('.wav'))!,
  );
  // Killed once more than two seconds are written (the header is brought up to date every second).
  await waitFor(() => readFileSync(path).length > 44 + 2.2 * 64_000, 8000, 'two seconds recorded');
  child.kill('SIGKILL');
  await call;
  const wav = inspectWav(readFileSync(path));
  assert.equal(wav.channels, 2);
  assert.equal(wav.sampleRate, 16000);
  assert.ok(wav.durationMs >= 1000, `${wav.durationMs} ms playable`);
});
