/**
 * The default synthesizer: flite (Debian's `flite`, CMU's small synthesizer) with its `slt`
 * voice, a US English woman recorded for CMU ARCTIC. Chosen over espeak-ng and Festival's HTS voice by
 * a listening test by machine and a synthesis speed, both in `npm run bench -- --suites voices`
 * (docs/speech.md): PocketSphinx heard its sentences with about a seventh of espeak-ng's word errors,
 * and it synthesizes nearly as fast (Festival was a little clearer but over ten times slower).
 *
 * flite makes the whole text, then writes its WAV (tens of ms for a sentence); it cannot write to
 * Node's stdout pipe (a socket, which /dev/stdout cannot open), so it writes a temporary file, read,
 * resampled from 16 kHz to the call's rate and yielded, then removed. A long text is spoken a piece
 * at a time (FLITE_PIECE_CHARS, at sentence ends), each piece made when the last was taken: a text of
 * any length holds one piece's audio. The text goes on stdin (as a process argument, 128 kB of it
 * failed with E2BIG). An abort (barge-in) kills it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavToCallPcm } from '../audio/wav.js';
import { SpeechEngineError } from './speech-events.js';
import { textPieces, type SynthesizeOptions, type Synthesizer } from './synthesizer.js';

export const FLITE_PACKAGE = 'flite';
/** flite's built-in voices; another name (an espeak-ng voice such as `en-us`) gets `slt`. */
const FLITE_VOICES = new Set(['slt', 'rms', 'awb', 'kal', 'kal16', 'awb_time']);
/** flite's own pace, in the words per minute espeak-ng's speeds are given in. */
const FLITE_WPM = 175;

/** Text spoken per run of flite: about half a minute of speech (a 1 MB WAV at 16 kHz), made in a second or less. */
export const FLITE_PIECE_CHARS = 400;

function run(args: string[], text: string, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('flite', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    // A child that dies before it read its text (killed by an abort) is told by its close, not by EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 1000) stderr += chunk.toString();
    });
    const abort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', abort, { once: true });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new SpeechEngineError(
          'tts',
          'flite',
          error.code === 'ENOENT' ? 'missing' : 'failed',
          `cannot run flite: ${error.message} (apt-get install ${FLITE_PACKAGE})`,
        ),
      ),
    );
    child.once('close', (code) => {
      signal?.removeEventListener('abort', abort);
      if (code === 0 || signal?.aborted) resolve();
      else reject(new SpeechEngineError('tts', 'flite', 'failed', `flite exited with code ${code}: ${stderr.trim().slice(0, 200)}`));
    });
  });
}

async function* fliteStream(text: string, options: SynthesizeOptions): AsyncGenerator<Buffer> {
  for (const piece of textPieces(text, FLITE_PIECE_CHARS)) {
    if (options.signal?.aborted) return;
    yield* flitePiece(piece, options);
  }
}

async function* flitePiece(text: string, options: SynthesizeOptions): AsyncGenerator<Buffer> {
  const file = join(tmpdir(), `voicesocket-flite-${randomUUID()}.wav`);
  const args = ['-voice', options.voice && FLITE_VOICES.has(options.voice) ? options.voice : 'slt'];
  // Longer durations are slower speech: the stretch is flite's pace over the one asked for.
  if (options.wordsPerMinute) args.push('--setf', `duration_stretch=${(FLITE_WPM / options.wordsPerMinute).toFixed(3)}`);
  // No text argument: flite reads the text from stdin (text that starts with "-" is still text).
  args.push('-o', file);
  try {
    await run(args, text, options.signal);
    if (options.signal?.aborted) return;
    // flite exits 0 even when it could not write (it says so on stderr): no file is a failure.
    const wav = await readFile(file).catch(() => {
      throw new SpeechEngineError('tts', 'flite', 'failed', 'flite wrote no audio');
    });
    yield wavToCallPcm(wav, options.sampleRate);
  } finally {
    await rm(file, { force: true });
  }
}

export const fliteSynthesizer: Synthesizer = {
  engine: 'flite',
  synthesize: fliteStream,
};
