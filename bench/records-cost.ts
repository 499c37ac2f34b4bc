/**
 * What a call's record costs, measured as CPU time rather than against the clock: echo calls run
 * through real `CallSession`s on injected time (an hour of audio in seconds), with nothing kept, with
 * the stereo recording and the record written, and with tracing to a local OTLP sink as well. The
 * process's CPU time (user + system, file writes included) per call-minute of audio, and the ratio to
 * the plain calls in the same run. CPU time is what the work costs however busy the machine is; the
 * real-time echo benchmark (echo-cpu.ts, targets voicesocket-record and voicesocket-tracing) measures
 * the same beside the network and the pacer's timers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallSession } from '../src/call/call-session.js';
import { CallRegistry } from '../src/call/call-registry.js';
import { silentLogger } from '../src/call/logger.js';
import { FrameClock } from '../src/audio/frame-clock.js';
import { ManualTime } from '../src/audio/time-source.js';
import { connectedMessage } from '../src/protocol/socket-messages.js';
import { echo } from '../src/apps/echo.js';
import { CallRecords } from '../src/records/call-records.js';

export const RECORDS_VARIANTS = ['none', 'record', 'record+tracing'] as const;
export type RecordsVariant = (typeof RECORDS_VARIANTS)[number];

export interface RecordsCostResult {
  variant: RecordsVariant;
  calls: number;
  audioSeconds: number;
  cpuMsPerCallMinute: number;
}

/** Echo frames with a little sound in them (a recording of silence would be no test of the writes). */
function frames(count: number): Buffer[] {
  return Array.from({ length: count }, (_, n) => {
    const frame = Buffer.alloc(640);
    for (let i = 0; i < 640; i += 2) frame.writeInt16LE(Math.round(3000 * Math.sin((n * 320 + i / 2) / 7)), i);
    return frame;
  });
}

async function run(variant: RecordsVariant, calls: number, seconds: number): Promise<RecordsCostResult> {
  const dir = mkdtempSync(join(tmpdir(), 'voicesocket-bench-records-'));
  const sink = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const records =
    variant === 'none'
      ? undefined
      : await CallRecords.create({
          recordingsDir: join(dir, 'recordings'),
          recordsDir: join(dir, 'records'),
          ...(variant === 'record+tracing' ? { tracing: { endpoint: `http://127.0.0.1:${(sink.address() as AddressInfo).port}` } } : {}),
          registry: new CallRegistry(),
          log: silentLogger,
          app: 'echo',
          instance: 'bench',
        });
  const time = new ManualTime();
  const clock = new FrameClock(time);
  const audio = frames(50);
  const sessions = Array.from({ length: calls }, (_, n) => {
    const session: CallSession = new CallSession({
      id: `bench-${n}`,
      transport: { sendBinary: () => true, sendText: () => undefined, close: (code, reason) => session.transportClosed(code, reason), bufferedAmount: 0 },
      log: silentLogger,
      clock,
    });
    records?.attach(session);
    echo(session);
    session.receiveText(connectedMessage('audio/l16;rate=16000', { uuid: `leg-${n}` }));
    return session;
  });
  const before = process.cpuUsage();
  // Every call gets its frame each 20 ms of injected time; the writes land as the event loop turns.
  for (let frame = 0; frame < seconds * 50; frame++) {
    time.advance(20);
    for (const session of sessions) session.receiveBinary(audio[frame % audio.length]!);
    if (frame % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
  for (const session of sessions) session.hangup();
  await records?.flushTraces();
  const used = process.cpuUsage(before);
  await records?.close();
  await new Promise((resolve) => sink.close(resolve));
  rmSync(dir, { recursive: true, force: true });
  const cpuMs = (used.user + used.system) / 1000;
  return { variant, calls, audioSeconds: seconds, cpuMsPerCallMinute: (cpuMs / calls / seconds) * 60 };
}

/** Each variant in interleaved rounds (a machine-wide hiccup hits them alike); the median per variant. */
export async function recordsCost(calls: number, seconds: number, rounds: number): Promise<RecordsCostResult[]> {
  const runs = new Map<RecordsVariant, RecordsCostResult[]>();
  await run('none', Math.min(calls, 5), 2); // warm the JIT before anything is counted
  for (let round = 0; round < rounds; round++) {
    for (const variant of RECORDS_VARIANTS) runs.set(variant, [...(runs.get(variant) ?? []), await run(variant, calls, seconds)]);
  }
  return RECORDS_VARIANTS.map((variant) => {
    const sorted = runs.get(variant)!.sort((a, b) => a.cpuMsPerCallMinute - b.cpuMsPerCallMinute);
    return sorted[Math.floor(sorted.length / 2)]!;
  });
}
