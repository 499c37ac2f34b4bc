/**
 * Audio Vonage plays into a call on a REST request (`PUT /v1/calls/:uuid/talk|stream|dtmf`), mixed
 * into a stream of frames: what the caller hears, and (a switch) what the websocket receives. One
 * source per kind, as Vonage has one talk, one stream and one DTMF playback per call.
 */
import { floatToPcm16 } from '../audio/pcm.js';
import { dtmfTone } from '../audio/tone.js';
import { synthesizeSpeech } from './caller-audio.js';

export type InjectedKind = 'talk' | 'stream' | 'dtmf';

/** What REST audio to play (`PUT /v1/calls/:uuid/talk|stream|dtmf`): synthesized talk, DTMF digits, or decoded stream audio at a given rate. */
export type InjectRequest =
  | { kind: 'talk'; text: string; loop: number; level: number }
  | { kind: 'dtmf'; digits: string }
  | { kind: 'stream'; pcm: (rate: number) => Buffer; loop: number; level: number };

/** The audio of a REST request at the leg's rate: the talk spoken, the stream's audio, or the DTMF tones. */
export async function restAudioPcm(request: InjectRequest, rate: number): Promise<Buffer> {
  if (request.kind === 'talk') return (await synthesizeSpeech(request.text, rate)).pcm;
  if (request.kind === 'stream') return request.pcm(rate);
  // Vonage's DTMF timing is not documented: 100 ms tones, 50 ms gaps, 500 ms for "p" (UNCONFIRMED).
  return floatToPcm16(
    Float32Array.from(
      [...request.digits].flatMap((digit) =>
        digit === 'p' ? [...new Float32Array(rate / 2)] : [...dtmfTone(digit, 100, rate), ...new Float32Array(rate / 20)],
      ),
    ),
  );
}

interface Source {
  pcm: Buffer;
  offset: number;
  /** Plays left after this one; Infinity for `loop: 0`. */
  loopsLeft: number;
  gain: number;
  /** Told when the source ends: played out (false), or stopped or replaced (true). */
  onEnd: ((stopped: boolean) => void) | undefined;
}

export class InjectedAudio {
  private readonly sources = new Map<InjectedKind, Source>();

  /**
   * Starts `pcm` (s16le at the stream's rate), replacing the same kind. `loop` 0 repeats until
   * stopped. `level` is Vonage's -1..1 volume, 0 being as recorded; the mapping to gain (level + 1)
   * is ours: Vonage documents the range, not the curve (UNCONFIRMED, docs/protocol.md §10).
   */
  start(kind: InjectedKind, pcm: Buffer, loop: number, level: number, onEnd?: (stopped: boolean) => void): void {
    this.stop(kind);
    if (pcm.length < 2) return void onEnd?.(false);
    this.sources.set(kind, { pcm, offset: 0, loopsLeft: loop === 0 ? Infinity : Math.max(1, loop) - 1, gain: Math.min(2, Math.max(0, level + 1)), onEnd });
  }

  /** Stops a kind; false when it was not playing. */
  stop(kind: InjectedKind): boolean {
    const source = this.sources.get(kind);
    if (!source) return false;
    this.sources.delete(kind);
    source.onEnd?.(true);
    return true;
  }

  /** Stops everything (the leg ended). */
  stopAll(): void {
    for (const kind of [...this.sources.keys()]) this.stop(kind);
  }

  get active(): boolean {
    return this.sources.size > 0;
  }

  /** Adds the next frame of every playing source into `frame` (s16le), in place, clipped. */
  mixInto(frame: Buffer): void {
    for (const [kind, source] of this.sources) {
      for (let i = 0; i + 1 < frame.length; i += 2) {
        if (source.offset + 1 >= source.pcm.length) {
          if (source.loopsLeft <= 0) {
            this.sources.delete(kind);
            source.onEnd?.(false);
            break;
          }
          source.loopsLeft--;
          source.offset = 0;
        }
        const mixed = frame.readInt16LE(i) + Math.round(source.pcm.readInt16LE(source.offset) * source.gain);
        frame.writeInt16LE(Math.max(-32768, Math.min(32767, mixed)), i);
        source.offset += 2;
      }
    }
  }
}
