/**
 * What the emulated caller says: silence, a tone, a WAV file (any format, converted), or speech from
 * espeak-ng (a tone whose length follows the text when espeak-ng is not installed). Sources produce
 * whole frames on demand; after the content ends the caller is silent, as a real line is.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { floatToPcm16 } from '../audio/pcm.js';
import { sine } from '../audio/tone.js';
import { wavToCallPcm } from '../audio/wav.js';

const run = promisify(execFile);

export type CallerAudioSpec =
  | { kind: 'silence' }
  | { kind: 'tone'; frequency: number; amplitude?: number }
  | { kind: 'wav'; path: string; loop?: boolean }
  | { kind: 'pcm'; pcm: Buffer; loop?: boolean }
  | { kind: 'speech'; text: string; voice?: string; wordsPerMinute?: number }
  | { kind: 'script'; utterances: SpokenLine[]; voice?: string; wordsPerMinute?: number; noiseSnrDb?: number }
  /** A caller made elsewhere once the call's rate is known: one that listens and acts (src/eval/scripted-caller.ts). */
  | { kind: 'source'; create: (rate: number) => CallerAudio | Promise<CallerAudio> };

/** One thing a scripted caller says, `atMs` after the socket opens. */
export interface SpokenLine {
  text: string;
  atMs: number;
  /** espeak-ng voice (`en-us`, `en+f3`, `en-gb`…); the script's or espeak-ng's default when unset. */
  voice?: string;
  wordsPerMinute?: number;
}

export interface CallerAudio {
  /** Fills `frame` (exactly one frame) with the audio of frame number `n`. */
  fill(frame: Buffer, n: number): void;
  readonly description: string;
  /** A caller that listens: each mixer tick's frame the caller heard (undefined: silence). */
  hear?(frame: Buffer | undefined): void;
  /** A caller that acts: given, once the socket is up, its keys and its receiver. */
  attach?(controls: CallerControls): void;
}

/** What a listening caller can do on the line besides speaking. */
export interface CallerControls {
  /** Presses a key now (a `websocket:dtmf` message, as Vonage sends one). */
  dtmf(digit: string): void;
  /** Hangs up now. */
  hangup(): void;
}

class PcmSource implements CallerAudio {
  constructor(
    private readonly pcm: Buffer,
    private readonly loop: boolean,
    readonly description: string,
  ) {}

  fill(frame: Buffer, n: number): void {
    if (this.pcm.length === 0) return void frame.fill(0);
    let offset = n * frame.length;
    if (this.loop) offset %= this.pcm.length;
    frame.fill(0);
    if (offset < this.pcm.length) this.pcm.copy(frame, 0, offset, Math.min(this.pcm.length, offset + frame.length));
  }
}

class ToneSource implements CallerAudio {
  readonly description: string;
  constructor(
    private readonly frequency: number,
    private readonly amplitude: number,
    private readonly rate: number,
  ) {
    this.description = `tone ${frequency} Hz`;
  }

  fill(frame: Buffer, n: number): void {
    const samples = frame.length / 2;
    const wave = sine(this.frequency, (samples / this.rate) * 1000, this.rate, this.amplitude, n * samples);
    floatToPcm16(wave).copy(frame);
  }
}

export const silence: CallerAudio = { fill: (frame) => void frame.fill(0), description: 'silence' };

let espeakAvailable: boolean | undefined;

/** Whether espeak-ng can be run here (checked once). */
export async function hasEspeak(): Promise<boolean> {
  if (espeakAvailable === undefined) {
    try {
      await run('espeak-ng', ['--version']);
      espeakAvailable = true;
    } catch {
      espeakAvailable = false;
    }
  }
  return espeakAvailable;
}

/** Speech for `text` at `rate` as s16le: espeak-ng when installed, else a quiet tone ~60 ms per character. */
export async function synthesizeSpeech(
  text: string,
  rate: number,
  voice?: { name?: string | undefined; wordsPerMinute?: number | undefined },
): Promise<{ pcm: Buffer; engine: 'espeak-ng' | 'tone' }> {
  if (await hasEspeak()) {
    const args = ['--stdout', '-s', String(voice?.wordsPerMinute ?? 170), ...(voice?.name ? ['-v', voice.name] : []), '--', text];
    const { stdout } = await run('espeak-ng', args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    return { pcm: wavToCallPcm(stdout, rate), engine: 'espeak-ng' };
  }
  const durationMs = Math.min(60_000, Math.max(500, text.length * 60));
  return { pcm: floatToPcm16(sine(440, durationMs, rate, 0.1)), engine: 'tone' };
}

export async function createCallerAudio(spec: CallerAudioSpec, rate: number): Promise<CallerAudio> {
  switch (spec.kind) {
    case 'silence':
      return silence;
    case 'tone':
      return new ToneSource(spec.frequency, spec.amplitude ?? 0.3, rate);
    case 'pcm':
      return new PcmSource(spec.pcm, spec.loop ?? false, 'pcm');
    case 'wav':
      return new PcmSource(wavToCallPcm(await readFile(spec.path), rate), spec.loop ?? false, `wav ${spec.path}`);
    case 'speech': {
      const { pcm, engine } = await synthesizeSpeech(spec.text, rate, { name: spec.voice, wordsPerMinute: spec.wordsPerMinute });
      return new PcmSource(pcm, false, `speech (${engine})`);
    }
    case 'script':
      return scriptSource(spec, rate);
    case 'source':
      return spec.create(rate);
  }
}

/** RMS of s16le PCM over its non-silent samples (speech level, not diluted by pauses). */
function speechRms(pcm: Buffer): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i + 1 < pcm.length; i += 2) {
    const v = pcm.readInt16LE(i);
    if (Math.abs(v) > 64) {
      sum += v * v;
      count++;
    }
  }
  return count ? Math.sqrt(sum / count) : 0;
}

/**
 * A caller who speaks a script: each line synthesized (espeak-ng, its own voice and speed) and placed
 * at its time on an otherwise silent line; with `noiseSnrDb`, white noise under the whole call at that
 * many dB below the speech level (seeded: the same script sounds the same every run).
 */
async function scriptSource(spec: Extract<CallerAudioSpec, { kind: 'script' }>, rate: number): Promise<CallerAudio> {
  const lines = await Promise.all(
    spec.utterances.map(async (line) => ({
      line,
      ...(await synthesizeSpeech(line.text, rate, { name: line.voice ?? spec.voice, wordsPerMinute: line.wordsPerMinute ?? spec.wordsPerMinute })),
    })),
  );
  const endSample = Math.max(0, ...lines.map(({ line, pcm }) => Math.round((line.atMs / 1000) * rate) + pcm.length / 2));
  const track = Buffer.alloc(endSample * 2);
  let mixed = 0;
  for (const { line, pcm } of lines) {
    const start = Math.round((line.atMs / 1000) * rate) * 2;
    for (let i = 0; i + 1 < pcm.length; i += 2) {
      const value = track.readInt16LE(start + i) + pcm.readInt16LE(i);
      track.writeInt16LE(Math.max(-32768, Math.min(32767, value)), start + i);
      mixed++;
    }
  }
  const engine = lines[0]?.engine ?? 'espeak-ng';
  const speech = new PcmSource(track, false, 'script');
  const description = `script of ${lines.length} line(s) (${engine})${spec.noiseSnrDb !== undefined ? `, noise at ${spec.noiseSnrDb} dB SNR` : ''}`;
  if (spec.noiseSnrDb === undefined || mixed === 0) return { fill: (frame, n) => speech.fill(frame, n), description };
  // Uniform white noise of RMS `noise`: amplitude √3 × RMS.
  const noise = speechRms(track) / 10 ** (spec.noiseSnrDb / 20);
  const amplitude = noise * Math.sqrt(3);
  return {
    description,
    fill(frame, n) {
      speech.fill(frame, n);
      let seed = (n + 1) * 2654435761;
      for (let i = 0; i + 1 < frame.length; i += 2) {
        // xorshift32: deterministic per frame, so any frame can be made on demand.
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        const uniform = (seed >>> 0) / 4294967296 - 0.5;
        const value = frame.readInt16LE(i) + Math.round(uniform * 2 * amplitude);
        frame.writeInt16LE(Math.max(-32768, Math.min(32767, value)), i);
      }
    },
  };
}
