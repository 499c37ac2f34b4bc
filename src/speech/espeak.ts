/**
 * The other offline synthesizer (`--tts espeak-ng`): espeak-ng (Debian's `espeak-ng`), also the
 * emulator's caller voice. It writes a WAV stream to stdout as it
 * speaks (a 44-byte header whose sizes are placeholders, then 22.05 kHz s16le); each chunk is
 * resampled to the call rate and yielded at once. Formant synthesis is robotic but instant, needs no
 * model download and runs anywhere the tests run. The text goes on stdin (as a process argument,
 * 128 kB of it failed with E2BIG); stdout is read only as the consumer pulls, so espeak-ng blocks on a
 * full pipe rather than making audio nobody has room for.
 */
import { spawn } from 'node:child_process';
import { Resampler } from '../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../audio/pcm.js';
import { SpeechEngineError } from './speech-events.js';
import type { SynthesizeOptions, Synthesizer } from './synthesizer.js';

const WAV_HEADER_BYTES = 44;
const ESPEAK_RATE_OFFSET = 24;
export const ESPEAK_PACKAGE = 'espeak-ng';
/** espeak-ng's own default speed, words per minute. */
const DEFAULT_WPM = 175;

async function* espeakStream(text: string, options: SynthesizeOptions): AsyncGenerator<Buffer> {
  const args = ['--stdout', '-s', String(options.wordsPerMinute ?? DEFAULT_WPM)];
  if (options.voice) args.push('-v', options.voice);
  // The text on stdin: never an argument (E2BIG), never read as an option.
  args.push('--stdin');
  const child = spawn('espeak-ng', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // A child that dies before it read its text (killed by an abort, or missing) is told by its close, not by EPIPE.
  child.stdin.on('error', () => undefined);
  child.stdin.end(text);
  let spawnError: NodeJS.ErrnoException | undefined;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 1000) stderr += chunk.toString();
  });
  // 'close' follows 'error' when the program cannot be started; either settles this.
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
      resolve(null);
    });
    child.once('close', (code) => resolve(code));
  });
  const abort = () => child.kill('SIGKILL');
  options.signal?.addEventListener('abort', abort, { once: true });
  let header = Buffer.alloc(0);
  let resampler: Resampler | undefined;
  let carry: Buffer | undefined;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      let data = chunk;
      if (header.length < WAV_HEADER_BYTES) {
        const need = WAV_HEADER_BYTES - header.length;
        header = Buffer.concat([header, data.subarray(0, need)]);
        data = data.subarray(need);
        if (header.length < WAV_HEADER_BYTES) continue;
        const rate = header.readUInt32LE(ESPEAK_RATE_OFFSET);
        resampler = rate === options.sampleRate ? undefined : new Resampler(rate, options.sampleRate);
      }
      if (carry) {
        data = Buffer.concat([carry, data]);
        carry = undefined;
      }
      if (data.length % 2 === 1) {
        carry = data.subarray(data.length - 1);
        data = data.subarray(0, data.length - 1);
      }
      if (data.length === 0) continue;
      yield resampler ? floatToPcm16(resampler.process(pcm16ToFloat(data))) : Buffer.from(data);
    }
    const code = await exited;
    if (options.signal?.aborted) return;
    if (spawnError) {
      throw new SpeechEngineError(
        'tts',
        'espeak-ng',
        spawnError.code === 'ENOENT' ? 'missing' : 'failed',
        `cannot run espeak-ng: ${spawnError.message} (apt-get install ${ESPEAK_PACKAGE})`,
      );
    }
    if (code !== 0) throw new SpeechEngineError('tts', 'espeak-ng', 'failed', `espeak-ng exited with code ${code}: ${stderr.trim().slice(0, 200)}`);
    if (resampler) yield floatToPcm16(resampler.flush());
  } finally {
    options.signal?.removeEventListener('abort', abort);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export const espeakSynthesizer: Synthesizer = {
  engine: 'espeak-ng',
  synthesize: espeakStream,
};
