/**
 * `record --dir recordings/`: echoes the caller and writes two WAVs per call, what the caller said
 * (`<call>-caller.wav`) and what the app sent (`<call>-app.wav`), valid even if the socket drops.
 * A recording that cannot be opened or written (a full disk, no file descriptors left) ends with a
 * coded log line; the call goes on, echoing, and so does every other call.
 */
import { join } from 'node:path';
import { errorCode } from '../errors.js';
import { WavFileWriter } from '../audio/wav-file-writer.js';
import type { AppDefinition, CallApp } from './app.js';
import { echo } from './echo.js';
import { stringOption, writableDirOption } from './options.js';

/** Call ids come from headers the caller controls: keep file names to a safe alphabet. */
export function safeName(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'call';
}

/** Audio held while the files open (they open in milliseconds; this bounds a stuck open). */
const MAX_PENDING_FRAMES = 250;

/** `dir` is created if missing and proved writable now, not on the first call. */
export function recordCalls(dir: string): CallApp {
  const folder = writableDirOption({ dir }, 'dir', dir);
  return (session) => {
    echo(session);
    const pending: Buffer[][] = [[], []];
    let writers: [WavFileWriter, WavFileWriter] | undefined;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      session.log.error({ code: errorCode('RECORDING_FAILED'), err: error }, 'recording stopped; the call goes on');
      session.note(`recording failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`);
    };
    const opened = new Promise<void>((resolve) => {
      session.once('connected', (identity) => {
        const base = join(folder, `${safeName(identity.uuid ?? session.id)}-${Date.now()}`);
        void Promise.allSettled([WavFileWriter.create(`${base}-caller.wav`, session.sampleRate), WavFileWriter.create(`${base}-app.wav`, session.sampleRate)])
          .then((results) => {
            const created = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
            const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
            if (rejected || created.length !== 2) {
              fail(rejected?.reason as Error);
              return Promise.all(created.map((writer) => writer.close()));
            }
            writers = [created[0]!, created[1]!];
            for (const writer of writers) writer.onError = fail;
            pending.forEach((frames, channel) => frames.forEach((frame) => void created[channel]!.write(frame)));
            return undefined;
          })
          .finally(resolve);
      });
    });
    const write = (channel: 0 | 1, frame: Buffer) => {
      if (failed) return;
      if (writers) void writers[channel].write(frame);
      else if (pending[channel]!.length < MAX_PENDING_FRAMES) pending[channel]!.push(Buffer.from(frame));
    };
    session.on('audio', (frame) => write(0, frame));
    session.tapOutbound((frame) => write(1, frame));
    session.once('end', () => {
      void opened.then(() => Promise.all((writers ?? []).map((writer) => writer.close())));
    });
  };
}

export const recordApp: AppDefinition = {
  name: 'record',
  description: 'echo, and one WAV per direction per call in --dir (default recordings/)',
  create: (options) => recordCalls(stringOption(options, 'dir', 'recordings')),
};
