/**
 * The audio of the turn-taking benchmark (bench/turns.ts): callers on recorded human speech (the
 * speech-dev set: LibriSpeech, FLEURS, LJ Speech, AMI, VOiCES; its README gives each file's licence),
 * backchannels and a cough between their sentences, all under noise at a chosen SNR:
 *
 * - babble: five recorded voices of the other split summed (none of them is a caller of the run);
 * - pink and brown noise: seeded white noise through Paul Kellet's pink filter / a leaky integrator;
 * - music: synthesized (a I–V–vi–IV progression of piano-like chords, a bass line and a melody in
 *   eighth notes: onsets and harmonics, what fools a detector), no clip to license.
 *
 * The backchannels are synthesized ("uh-huh", "yeah", "okay", "mm-hmm" by espeak-ng and flite: no
 * recording of them is in the set) and so is the cough (a noise burst through a vocal-tract-like
 * band, two bursts 180 ms apart). Speech is levelled to −26 dBFS active (ITU-T P.56's usual level);
 * the SNR is its active level over the noise's RMS. Everything is made at 16 kHz; an 8 kHz line is
 * the mix downsampled by our resampler, as a narrowband call carries it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWav } from '../src/audio/wav.js';
import { floatToPcm16, pcm16ToFloat } from '../src/audio/pcm.js';
import { synthesizeSpeech } from '../src/emulator/caller-audio.js';
import { fliteSynthesizer } from '../src/speech/flite.js';

export const RATE = 16000;
const FRAME = RATE / 50;
/** Active speech level, dBFS. */
const SPEECH_DB = -26;

export interface Recording {
  name: string;
  speaker: string;
  reference: string;
  samples: Float32Array;
  /** Where the voice is (frames within 35 dB of the loudest), ms from the file's start. */
  startMs: number;
  endMs: number;
}

/**
 * The split: tune on LibriSpeech's dev speakers and LJ Speech, measure on everything else (LibriSpeech
 * test/train speakers, FLEURS, AMI, VOiCES). No speaker is in both.
 */
export const isTuning = (name: string) => name.startsWith('librispeech-dev-') || name.startsWith('ljspeech-');

export function frameDb(x: Float32Array, from: number): number {
  let sum = 0;
  const end = Math.min(x.length, from + FRAME);
  for (let i = from; i < end; i++) sum += x[i]! * x[i]!;
  return 10 * Math.log10(sum / Math.max(1, end - from) + 1e-12);
}

/** RMS over the frames within 35 dB of the loudest: the active level (P.56 in spirit). */
export function active(x: Float32Array): { rms: number; first: number; last: number } {
  const levels: number[] = [];
  for (let i = 0; i + FRAME <= x.length; i += FRAME) levels.push(frameDb(x, i));
  const gate = Math.max(...levels) - 35;
  let sum = 0;
  let count = 0;
  let first = -1;
  let last = -1;
  levels.forEach((level, i) => {
    if (level < gate) return;
    sum += 10 ** (level / 10);
    count++;
    if (first < 0) first = i;
    last = i;
  });
  return { rms: Math.sqrt(sum / Math.max(1, count)), first, last };
}

export function levelled(x: Float32Array, db = SPEECH_DB): Float32Array {
  const gain = 10 ** (db / 20) / active(x).rms;
  return x.map((v) => v * gain);
}

export function loadRecordings(dir: string): Recording[] {
  const [, ...rows] = readFileSync(join(dir, 'manifest.tsv'), 'utf8').trim().split('\n');
  return rows.map((row) => {
    const cells = row.split('\t');
    const wav = readWav(readFileSync(join(dir, cells[0]!)));
    if (wav.sampleRate !== RATE) throw new Error(`${cells[0]}: expected 16 kHz, got ${wav.sampleRate}`);
    const samples = levelled(wav.channels[0]!);
    const { first, last } = active(samples);
    return {
      name: cells[0]!.replace(/^audio\//, '').replace(/\.wav$/, ''),
      speaker: cells[1]!,
      reference: cells[9]!,
      samples,
      startMs: first * 20,
      endMs: (last + 1) * 20,
    };
  });
}

/** xorshift32 in [-1, 1): seeded, so every run mixes the same noise. */
function white(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 31 - 1;
  };
}

export function pinkNoise(length: number, seed = 1): Float32Array {
  const next = white(seed);
  const out = new Float32Array(length);
  let [b0, b1, b2, b3, b4, b5, b6] = [0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < length; i++) {
    const w = next();
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return out;
}

export function brownNoise(length: number, seed = 2): Float32Array {
  const next = white(seed);
  const out = new Float32Array(length);
  let y = 0;
  // Leaky, so it cannot wander off: -6 dB/octave above ~8 Hz.
  for (let i = 0; i < length; i++) out[i] = y = 0.997 * y + 0.05 * next();
  return out;
}

const midi = (note: number) => 440 * 2 ** ((note - 69) / 12);

/** A struck note: harmonics decaying, higher ones faster. */
function strike(out: Float32Array, atSample: number, frequency: number, seconds: number, gain: number): void {
  const length = Math.min(out.length - atSample, Math.round(seconds * RATE));
  for (let h = 1; h <= 6; h++) {
    if (frequency * h > RATE / 2 - 500) break;
    const w = (2 * Math.PI * frequency * h) / RATE;
    const decay = (3 + h) / seconds / RATE;
    for (let i = 0; i < length; i++) out[atSample + i]! += (gain / h) * Math.sin(w * i) * Math.exp(-decay * i * 2) * Math.min(1, i / 80);
  }
}

export function music(length: number): Float32Array {
  const out = new Float32Array(length);
  // C – G – Am – F, one chord a second; bass on the beat; a melody in eighth notes.
  const chords = [
    [60, 64, 67],
    [59, 62, 67],
    [57, 60, 64],
    [57, 60, 65],
  ];
  const melody = [72, 74, 76, 79, 76, 74, 72, 71, 69, 71, 72, 76, 77, 76, 74, 72];
  for (let second = 0; second * RATE < length; second++) {
    const chord = chords[second % 4]!;
    for (const note of chord) strike(out, second * RATE, midi(note), 1.2, 0.25);
    strike(out, second * RATE, midi(chord[0]! - 24), 1, 0.4);
    for (let eighth = 0; eighth < 4; eighth++) {
      const at = second * RATE + (eighth * RATE) / 4;
      if (at < length) strike(out, at, midi(melody[(second * 4 + eighth) % melody.length]!), 0.3, 0.2);
    }
  }
  return out;
}

/** Five voices of `voices` (another split's recordings), each looped from its own offset, summed. */
export function babble(voices: Recording[], length: number): Float32Array {
  const out = new Float32Array(length);
  const speakers = [...new Map(voices.map((v) => [v.speaker, v])).values()].slice(0, 5);
  speakers.forEach((voice, k) => {
    const x = voice.samples;
    const offset = Math.floor((k * x.length) / speakers.length);
    for (let i = 0; i < length; i++) out[i]! += x[(offset + i) % x.length]!;
  });
  return out;
}

export const NOISES = ['babble', 'pink', 'brown', 'music'] as const;
export type NoiseKind = (typeof NOISES)[number];

export function noise(kind: NoiseKind, length: number, others: Recording[]): Float32Array {
  if (kind === 'babble') return babble(others, length);
  if (kind === 'pink') return pinkNoise(length);
  if (kind === 'brown') return brownNoise(length);
  return music(length);
}

/** A cough: two bursts of noise through a 300–2500 Hz band, each 10 ms up and ~120 ms down. */
export function cough(seed = 3): Float32Array {
  const next = white(seed);
  const out = new Float32Array(Math.round(0.45 * RATE));
  let low = 0;
  let lower = 0;
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    const burst = (at: number, gain: number) => (t < at ? 0 : gain * Math.min(1, (t - at) / 0.01) * Math.exp(-(t - at) / 0.06));
    const w = next();
    low += 0.35 * (w - low); // below ~2.5 kHz
    lower += 0.1 * (low - lower); // below ~300 Hz, taken away
    out[i] = (low - lower) * (burst(0, 1) + burst(0.18, 0.6));
  }
  return levelled(out);
}

export interface Backchannel {
  label: string;
  source: string;
  samples: Float32Array;
}

/** "uh-huh", "yeah", "okay", "mm-hmm" by espeak-ng and by flite, and the cough. */
export async function backchannels(): Promise<Backchannel[]> {
  const out: Backchannel[] = [];
  for (const text of ['uh-huh', 'yeah', 'okay', 'mm-hmm']) {
    const espeak = await synthesizeSpeech(text, RATE);
    out.push({ label: text, source: espeak.engine, samples: levelled(pcm16ToFloat(espeak.pcm)) });
    const chunks: Buffer[] = [];
    for await (const chunk of fliteSynthesizer.synthesize(text, { sampleRate: RATE })) chunks.push(chunk);
    out.push({ label: text, source: 'flite', samples: levelled(pcm16ToFloat(Buffer.concat(chunks))) });
  }
  out.push({ label: 'cough', source: 'synthesized', samples: cough() });
  return out;
}

export interface TurnEvent {
  kind: 'interruption' | 'backchannel';
  label: string;
  /** Where the voice is, ms of the stream. */
  startMs: number;
  endMs: number;
}

export interface CallerStream {
  /** The caller's voice alone (speech and backchannels), 16 kHz. */
  voice: Float32Array;
  events: TurnEvent[];
}

/** Voice kept of a recording: up to ~5 s, cut at its quietest frame 4–5.5 s in (a pause, not a word). */
function shortened(recording: Recording): Recording {
  const from = ((recording.startMs + 4000) / 1000) * RATE;
  const to = Math.min(recording.samples.length - FRAME, ((recording.startMs + 5500) / 1000) * RATE);
  if (recording.endMs - recording.startMs <= 5500 || to <= from) return recording;
  let cut = from;
  for (let i = from; i <= to; i += FRAME) if (frameDb(recording.samples, i) < frameDb(recording.samples, cut)) cut = i;
  const samples = recording.samples.slice(0, cut);
  const { last } = active(samples);
  return { ...recording, samples, endMs: (last + 1) * 20 };
}

/** 3 s of line, then each recording (an interruption, its first ~5 s) and a backchannel, 1.5 s of line after each. */
export function callerStream(recordings: Recording[], sounds: Backchannel[]): CallerStream {
  const gap = 1.5 * RATE;
  recordings = recordings.map(shortened);
  const pieces: Array<{ at: number; samples: Float32Array }> = [];
  const events: TurnEvent[] = [];
  let at = 3 * RATE;
  recordings.forEach((recording, i) => {
    pieces.push({ at, samples: recording.samples });
    const ms = (at / RATE) * 1000;
    events.push({ kind: 'interruption', label: recording.name, startMs: ms + recording.startMs, endMs: ms + recording.endMs });
    at += recording.samples.length + gap;
    const sound = sounds[i % sounds.length]!;
    const bounds = active(sound.samples);
    pieces.push({ at, samples: sound.samples });
    const soundMs = (at / RATE) * 1000;
    events.push({
      kind: 'backchannel',
      label: `${sound.label} (${sound.source})`,
      startMs: soundMs + bounds.first * 20,
      endMs: soundMs + (bounds.last + 1) * 20,
    });
    at += sound.samples.length + gap;
  });
  const voice = new Float32Array(at);
  for (const piece of pieces) voice.set(piece.samples, piece.at);
  return { voice, events };
}

/** The voice with `noise` under it at `snrDb` (speech at its active level over the noise's RMS), as s16le. */
export function mixAt(voice: Float32Array, noiseTrack: Float32Array, snrDb: number | undefined): Float32Array {
  if (snrDb === undefined) return voice;
  let sum = 0;
  for (let i = 0; i < noiseTrack.length; i++) sum += noiseTrack[i]! * noiseTrack[i]!;
  const gain = 10 ** ((SPEECH_DB - snrDb) / 20) / Math.sqrt(sum / noiseTrack.length);
  return voice.map((v, i) => v + gain * noiseTrack[i % noiseTrack.length]!);
}

export { floatToPcm16 };
