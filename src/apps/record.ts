/**
 * `record --dir recordings/`: echoes the caller and writes two WAVs per call, what the caller said
 * (`<call>-caller.wav`) and what the app sent (`<call>-app.wav`), valid even if the socket drops.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WavFileWriter } from '../audio/wav-file-writer.js';
import type { AppDefinition, CallApp } from './app.js';
import { echo } from './echo.js';
import { stringOption } from './options.js';

/** Call ids come from headers the caller controls: keep file names to a safe alphabet. */
function safeName(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'call';
}

export function recordCalls(dir: string): CallApp {
  mkdirSync(dir, { recursive: true });
  return (session) => {
    echo(session);
    const pending: Buffer[][] = [[], []];
    let writers: [WavFileWriter, WavFileWriter] | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      session.once('connected', (identity) => {
        const base = join(dir, `${safeName(identity.uuid ?? session.id)}-${Date.now()}`);
        Promise.all([WavFileWriter.create(`${base}-caller.wav`, session.sampleRate), WavFileWriter.create(`${base}-app.wav`, session.sampleRate)]).then((created) => {
          writers = created;
          pending.forEach((frames, channel) => frames.forEach((frame) => void created[channel]!.write(frame)));
          resolve();
        }, reject);
      });
    });
    const write = (channel: 0 | 1, frame: Buffer) => {
      if (writers) void writers[channel].write(frame);
      else pending[channel]!.push(Buffer.from(frame));
    };
    session.on('audio', (frame) => write(0, frame));
    session.tapOutbound((frame) => write(1, frame));
    session.once('end', () => {
      void ready.then(() => Promise.all(writers!.map((writer) => writer.close())));
    });
  };
}

export const recordApp: AppDefinition = {
  name: 'record',
  description: 'echo, and one WAV per direction per call in --dir (default recordings/)',
  create: (options) => recordCalls(stringOption(options, 'dir', 'recordings')),
};
