/**
 * `--record-calls DIR`: a stereo WAV of the call — the caller on the left, what the app sent on the
 * right — both on the call's clock (stereo-timeline.ts: gaps as silence, a barge-in cut where it
 * happened), for any app. One listener of the caller's frames and one tap of the app's; the file is
 * written a second at a time and its header kept valid (WavFileWriter), so a process that dies leaves
 * a playable recording. A write that fails (a full disk, no descriptors) stops the
 * recording with one coded line; the call goes on.
 */
import { basename } from 'node:path';
import type { CallSession } from '../call/call-session.js';
import { WavFileWriter } from '../audio/wav-file-writer.js';
import { errorCode } from '../errors.js';
import { StereoTimeline } from './stereo-timeline.js';
import type { RecordRecording } from './call-record.js';

/**
 * Slots given out at once: a second a write. The header is brought up to date at most once a second,
 * so a process that dies loses at most its last three seconds (one not written, two of a stale header). Against 200 ms writes, the recording's
 * added CPU per echo call fell from 0.099 to 0.070 % of a core (100 calls, one loaded machine, two runs
 * of `npm run bench -- --suites echo`; docs/benchmarks.md).
 */
const WRITE_SLOTS = 50;
/** Stereo chunks held while the file opens (it opens in milliseconds; this bounds a stuck open): 5 s. */
const MAX_PENDING_CHUNKS = 25;

/** Records the call into `path` from websocket:connected; resolves at its end with what was recorded (null: it never connected). */
export function recordCall(session: CallSession, path: string): Promise<RecordRecording | null> {
  return new Promise((resolve) => {
    let started = false;
    session.once('connected', () => {
      started = true;
      void record(session, path).then(resolve);
    });
    session.once('end', () => {
      if (!started) resolve(null);
    });
  });
}

async function record(session: CallSession, path: string): Promise<RecordRecording> {
  const startMs = session.durationMs;
  const sampleRate = session.sampleRate;
  const timeline = new StereoTimeline(session.frameBytes);
  const now = () => session.durationMs - startMs;
  let writer: WavFileWriter | undefined;
  let pending: Buffer[] | undefined = [];
  let stopped: RecordRecording['stopped'];

  const write = (chunk: Buffer | undefined) => {
    if (!chunk || stopped) return;
    if (writer) void writer.write(chunk);
    else if (pending && pending.length < MAX_PENDING_CHUNKS) pending.push(chunk);
    else stop(new Error('the recording file did not open in time'));
  };
  const onAudio = (frame: Buffer) => {
    timeline.caller(frame, now());
    write(timeline.take(now(), WRITE_SLOTS));
  };
  const untap = session.tapOutbound((frame, playsInMs, paced) => timeline.app(frame, now() + playsInMs, paced));
  const onActivity = (activity: { kind: string }) => {
    if (activity.kind === 'clear') timeline.cut(now());
  };
  session.on('audio', onAudio);
  session.on('activity', onActivity);
  const detach = () => {
    session.off('audio', onAudio);
    session.off('activity', onActivity);
    untap();
  };
  const stop = (error: Error) => {
    if (stopped) return;
    const detail = (error as NodeJS.ErrnoException).code ?? error.message;
    stopped = { atMs: Math.round(startMs + now()), code: errorCode('RECORDING_FAILED'), detail };
    detach();
    pending = undefined;
    session.log.error({ code: errorCode('RECORDING_FAILED'), err: error, path }, 'call recording stopped; the call goes on');
    session.note(`recording stopped: ${detail}`);
  };

  const ended = new Promise<void>((resolve) => session.once('end', () => resolve()));
  try {
    writer = await WavFileWriter.create(path, sampleRate, 2);
    writer.onError = stop;
    for (const chunk of pending ?? []) void writer.write(chunk);
    pending = undefined;
  } catch (error) {
    stop(error as Error);
  }
  await ended;
  if (!stopped) {
    detach();
    write(timeline.end(session.durationMs - startMs));
  }
  await writer?.close();
  return {
    path,
    file: basename(path),
    sampleRate,
    channels: ['caller', 'app'],
    startMs: Math.round(startMs),
    durationMs: stopped ? Math.round((writer?.bytesWritten ?? 0) / 4 / (sampleRate / 1000)) : timeline.writtenMs,
    ...(stopped ? { stopped } : {}),
  };
}
