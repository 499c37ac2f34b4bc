/**
 * bench/data/speech-dev: 32 recordings of human English speech (LibriSpeech, FLEURS, LJ Speech, AMI,
 * VOiCES; 616 words, at least 14 speakers) with reference transcripts — its README gives the sources,
 * the licences and how the references are normalised.
 *
 * It is split in two parts by speaker, so that a setting chosen on one can be reported on the other:
 * **choose** (LibriSpeech dev-clean, LJ Speech, FLEURS 000–004: 308 words) and **held-out** (LibriSpeech
 * test-clean and train, FLEURS 005–009, AMI, VOiCES: 308 words). The driver's PocketSphinx settings
 * were chosen on the first part only (docs/speech.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { floatToPcm16 } from '../src/audio/pcm.js';
import { readWav } from '../src/audio/wav.js';

export const SPEECH_DEV = join(import.meta.dirname, 'data', 'speech-dev');

export interface SpeechDevRecording {
  name: string;
  part: 'choose' | 'held-out';
  reference: string;
  /** s16le mono at 16 kHz. */
  pcm: Buffer;
}

/** The part a file belongs to, by its name (speakers do not cross parts). */
export function partOf(name: string): SpeechDevRecording['part'] {
  return /^librispeech-dev-|^ljspeech-|^fleurs-en-us-test-00[0-4]$/.test(name) ? 'choose' : 'held-out';
}

/** Peak level of every recording: −6 dBFS. */
const PEAK = 0.5;

/**
 * The recording at a call's level. The set keeps its sources' levels, and seven FLEURS files peak at
 * −50 to −30 dBFS: at or under a quiet line's noise floor (onLine, about −70 dBFS RMS), where no
 * caller's speech reaches us (a phone's gain control sees to it) and no detector hears it.
 */
function atLineLevel(samples: Float32Array): Float32Array {
  const peak = samples.reduce((max, sample) => Math.max(max, Math.abs(sample)), 0);
  return peak > 0 ? samples.map((sample) => (sample * PEAK) / peak) : samples;
}

export function speechDev(): SpeechDevRecording[] {
  const [header, ...rows] = readFileSync(join(SPEECH_DEV, 'manifest.tsv'), 'utf8').trim().split('\n');
  const columns = header!.split('\t');
  const file = columns.indexOf('file');
  const reference = columns.indexOf('reference');
  return rows.map((row) => {
    const cells = row.split('\t');
    const wav = readWav(readFileSync(join(SPEECH_DEV, cells[file]!)));
    if (wav.sampleRate !== 16000 || wav.channels.length !== 1) throw new Error(`${cells[file]}: expected 16 kHz mono`);
    const name = cells[file]!.replace(/^audio\//, '').replace(/\.wav$/, '');
    return { name, part: partOf(name), reference: cells[reference]!, pcm: floatToPcm16(atLineLevel(wav.channels[0]!)) };
  });
}
