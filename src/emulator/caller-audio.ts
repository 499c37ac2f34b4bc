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
  | { kind: 'speech'; text: string };

export interface CallerAudio {
  /** Fills `frame` (exactly one frame) with the audio of frame number `n`. */
  fill(frame: Buffer, n: number): void;
  readonly description: string;
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
export async function synthesizeSpeech(text: string, rate: number): Promise<{ pcm: Buffer; engine: 'espeak-ng' | 'tone' }> {
  if (await hasEspeak()) {
    const { stdout } = await run('espeak-ng', ['--stdout', '-s', '170', text], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
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
      const { pcm, engine } = await synthesizeSpeech(spec.text, rate);
      return new PcmSource(pcm, false, `speech (${engine})`);
    }
  }
}
