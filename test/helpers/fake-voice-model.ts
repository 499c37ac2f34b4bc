/**
 * What every fake speech-to-speech model shares, whatever its wire protocol: it hears the caller
 * with a level gate (a turn ends after 500 ms below it), speaks with espeak-ng (leading silence
 * trimmed, made once per text and rate) and sends its speech in bursts four times faster than real
 * time, as real models do. The protocol files (fake-gemini-live.ts, ...) only translate.
 */
import { levelDb } from '../../src/speech/voice-activity.js';
import { synthesizeSpeech } from '../../src/emulator/caller-audio.js';

const VOICED_DB = -35;
const SILENCE_TO_STOP_MS = 500;

const spoken = new Map<string, Promise<Buffer>>();

/** espeak-ng speech of `text` at `rate` without its leading silence. */
export function spokenAudio(text: string, rate: number): Promise<Buffer> {
  const key = `${rate}:${text}`;
  let made = spoken.get(key);
  if (!made) {
    made = synthesizeSpeech(text, rate).then(({ pcm }) => {
      const window = (rate / 100) * 2;
      for (let offset = 0; offset + window <= pcm.length; offset += window) {
        if (levelDb(pcm.subarray(offset, offset + window)) > -40) return pcm.subarray(offset);
      }
      return pcm;
    });
    spoken.set(key, made);
  }
  return made;
}

/** The caller's turns by level: `started` at the first voiced 20 ms, `ended` after 500 ms of quiet (ms of audio heard). */
export class LevelTurns {
  heardMs = 0;
  speaking = false;
  #lastVoiced = 0;
  #carry = Buffer.alloc(0);

  constructor(
    private readonly rate: number,
    private readonly on: { started(atMs: number): void; ended(atMs: number): void },
  ) {}

  push(pcm: Buffer): void {
    this.#carry = Buffer.concat([this.#carry, pcm]);
    const frameBytes = (this.rate / 50) * 2;
    while (this.#carry.length >= frameBytes) {
      const frame = this.#carry.subarray(0, frameBytes);
      this.#carry = this.#carry.subarray(frameBytes);
      const voiced = levelDb(frame) > VOICED_DB;
      if (voiced && !this.speaking) {
        this.speaking = true;
        this.on.started(this.heardMs);
      }
      this.heardMs += 20;
      if (voiced) this.#lastVoiced = this.heardMs;
      if (this.speaking && this.heardMs - this.#lastVoiced >= SILENCE_TO_STOP_MS) {
        this.speaking = false;
        this.on.ended(this.#lastVoiced);
      }
    }
  }
}

/**
 * Sends `pcm` in `chunkMs` pieces four times faster than real time; stops when `stopped()` says so.
 * Resolves true when it all went out.
 */
export async function burst(pcm: Buffer, rate: number, send: (chunk: Buffer, index: number) => void, stopped: () => boolean, chunkMs = 100): Promise<boolean> {
  const step = (rate * 2 * chunkMs) / 1000;
  // Paced by the clock: a timer per chunk runs late on a loaded event loop, and summed over a reply
  // the lateness made a burst take seconds longer than a quarter of its audio.
  const began = performance.now();
  for (let offset = 0, index = 0; offset < pcm.length; offset += step, index++) {
    if (stopped()) return false;
    send(pcm.subarray(offset, offset + step), index);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, began + ((index + 1) * chunkMs) / 4 - performance.now())));
  }
  return !stopped();
}

/**
 * A model that never stops talking, as fast as its socket takes it: four-second chunks of a tone (big
 * ones, so that this fake and the SDK reading it, both in the test's own process, spend little time
 * per second of audio: under 20 s, a chunk a real model could send), while the socket's own buffer
 * holds under 1 MB, until `stopped()`. (An endless reply at the wire's speed: Deepgram's agent was seen
 * at about 40 MB/s.) Resolves with the bytes of audio sent.
 */
export async function flood(socket: { bufferedAmount: number }, rate: number, send: (chunk: Buffer) => void, stopped: () => boolean): Promise<number> {
  const chunk = Buffer.alloc(rate * 2 * 4);
  for (let i = 0; i < chunk.length / 2; i++) chunk.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  let sent = 0;
  while (!stopped()) {
    while (!stopped() && socket.bufferedAmount < 1024 * 1024) {
      send(chunk);
      sent += chunk.length;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return sent;
}
