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
 * any length holds one piece's audio. A piece is flite's text argument (`-t`), at most
 * FLITE_PIECE_CHARS, far below the 128 kB at which one argument fails with E2BIG. Not stdin: flite
 * reads stdin as a text file, each sentence its own utterance with its own silences, so a prompt's
 * sentences were 380 ms apart instead of flite's 180 ms (its pause at a sentence's end within one
 * utterance): a listener hears a halting voice, and a heard transcript's pause cut
 * (emulator/heard-audio.ts) takes each sentence for a whole stretch of speech. An abort (barge-in)
 * kills it.
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

function run(args: string[], signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('flite', args, { stdio: ['ignore', 'ignore', 'pipe'] });
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
  // -t: the words are spoken as text, even when they start with "-"; one piece, so one argument is short.
  args.push('-o', file, '-t', text);
  try {
    await run(args, options.signal);
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
