/**
 * WAV (RIFF/WAVE) read and write. Reads any PCM WAV a user is likely to have — 8/16/24/32-bit
 * integer, 32/64-bit float, WAVE_FORMAT_EXTENSIBLE, any channel count — and converts it to what a
 * call needs: mono s16le at the call's rate.
 */
import { floatToPcm16, downmix } from './pcm.js';
import { Resampler, resample } from './resampler.js';

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

export interface WavAudio {
  sampleRate: number;
  /** One Float32Array per channel, samples in [-1, 1). */
  channels: Float32Array[];
}

export class WavError extends Error {}

/** WAV rates we convert: telephone-grade 4 kHz up to studio 192 kHz. */
export const MIN_WAV_RATE = 4000;
export const MAX_WAV_RATE = 192_000;
export const MAX_WAV_CHANNELS = 32;

/** What a WAV file holds, read from its header without decoding a sample. */
export interface WavInfo {
  sampleRate: number;
  channels: number;
  /** Sample frames (one sample per channel). */
  frames: number;
  durationMs: number;
  /** The data chunk. */
  data: Buffer;
  /** Reads one sample at a byte offset of `data`, in [-1, 1). */
  read: (data: Buffer, offset: number) => number;
  bytesPerSample: number;
}

/**
 * Checks a WAV file and says what it holds, without decoding it: the cost is the header's, whatever
 * the length (a caller can refuse a file by its duration before paying for it).
 */
export function inspectWav(file: Buffer): WavInfo {
  if (file.length < 12 || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavError('not a RIFF/WAVE file');
  }
  let offset = 12;
  let format: { code: number; channels: number; rate: number; bits: number } | undefined;
  let data: Buffer | undefined;
  while (offset + 8 <= file.length) {
    const id = file.toString('ascii', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const body = file.subarray(offset + 8, Math.min(file.length, offset + 8 + size));
    if (id === 'fmt ') {
      if (body.length < 16) throw new WavError('fmt chunk too short');
      let code = body.readUInt16LE(0);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (code === FORMAT_EXTENSIBLE && body.length >= 26) code = body.readUInt16LE(24);
      format = { code, channels: body.readUInt16LE(2), rate: body.readUInt32LE(4), bits: body.readUInt16LE(14) };
    } else if (id === 'data') {
      data = body;
    }
    offset += 8 + size + (size % 2); // chunks are word-aligned
  }
  if (!format) throw new WavError('no fmt chunk');
  if (!data) throw new WavError('no data chunk');
  const { code, channels, rate, bits } = format;
  // Outside these, a "valid" file is a trap: 1 Hz resampled to a call rate is 16 000× the samples
  // (seconds of CPU, then out of memory), and hundreds of channels are no recording anyone plays.
  if (rate < MIN_WAV_RATE || rate > MAX_WAV_RATE) throw new WavError(`unplayable rate ${rate} Hz (expected ${MIN_WAV_RATE} to ${MAX_WAV_RATE} Hz)`);
  if (channels < 1 || channels > MAX_WAV_CHANNELS) throw new WavError(`unplayable channel count ${channels} (expected 1 to ${MAX_WAV_CHANNELS})`);
  const read = sampleReader(code, bits);
  if (data.length === 0) throw new WavError('no audio in the data chunk');
  const bytesPerSample = bits / 8;
  const frames = Math.floor(data.length / (bytesPerSample * channels));
  return { sampleRate: rate, channels, frames, durationMs: (frames / rate) * 1000, data, read, bytesPerSample };
}

/** Decodes frames [from, to) of a WAV into one Float32Array per channel. */
function decodeFrames(info: WavInfo, from: number, to: number): Float32Array[] {
  const { channels: channelCount, bytesPerSample, data, read } = info;
  const channels = Array.from({ length: channelCount }, () => new Float32Array(to - from));
  for (let frame = from; frame < to; frame++) {
    for (let channel = 0; channel < channelCount; channel++) {
      channels[channel]![frame - from] = read(data, (frame * channelCount + channel) * bytesPerSample);
    }
  }
  return channels;
}

export function readWav(file: Buffer): WavAudio {
  const info = inspectWav(file);
  return { sampleRate: info.sampleRate, channels: decodeFrames(info, 0, info.frames) };
}

/**
 * Any WAV → mono s16le at `rate`, a slice of `sliceMs` of the source at a time, through one streaming
 * resampler (the same samples as `wavToCallPcm`): a long file costs a slice's work per step, so a
 * caller can yield between slices and the event loop never stalls on a conversion.
 */
export function* wavToCallPcmSlices(file: Buffer, rate: number, sliceMs = 1000): Generator<Buffer> {
  const info = inspectWav(file);
  const resampler = info.sampleRate === rate ? undefined : new Resampler(info.sampleRate, rate);
  const sliceFrames = Math.max(1, Math.round((info.sampleRate * sliceMs) / 1000));
  for (let from = 0; from < info.frames; from += sliceFrames) {
    const mono = downmix(decodeFrames(info, from, Math.min(info.frames, from + sliceFrames)));
    const out = resampler ? resampler.process(mono) : mono;
    if (out.length > 0) yield floatToPcm16(out);
  }
  const tail = resampler?.flush();
  if (tail && tail.length > 0) yield floatToPcm16(tail);
}

function sampleReader(code: number, bits: number): (data: Buffer, offset: number) => number {
  if (code === FORMAT_PCM) {
    if (bits === 8) return (data, offset) => (data[offset]! - 128) / 128;
    if (bits === 16) return (data, offset) => data.readInt16LE(offset) / 32768;
    if (bits === 24) return (data, offset) => data.readIntLE(offset, 3) / 8388608;
    if (bits === 32) return (data, offset) => data.readInt32LE(offset) / 2147483648;
  }
  if (code === FORMAT_FLOAT) {
    if (bits === 32) return (data, offset) => data.readFloatLE(offset);
    if (bits === 64) return (data, offset) => data.readDoubleLE(offset);
  }
  throw new WavError(`unsupported WAV encoding: format ${code}, ${bits} bits`);
}

/** Any WAV → mono s16le at `rate`: channels averaged, rate converted with the anti-aliasing resampler. */
export function wavToCallPcm(file: Buffer, rate: number): Buffer {
  return wavAudioToCallPcm(readWav(file), rate);
}

/** Decoded WAV audio → mono s16le at `rate`. */
export function wavAudioToCallPcm(wav: WavAudio, rate: number): Buffer {
  return floatToPcm16(resample(downmix(wav.channels), wav.sampleRate, rate));
}

export function wavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(FORMAT_PCM, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** A 16-bit PCM WAV file in memory; `pcm` is interleaved s16le. */
export function writeWav(pcm: Buffer, sampleRate: number, channels = 1): Buffer {
  return Buffer.concat([wavHeader(sampleRate, channels, pcm.length), pcm]);
}
