/**
 * A conversation as Vonage runs one (docs/protocol.md §16): the legs in it hear each other. Every
 * 20 ms the mixer takes what each party says and what is played into each leg (talk, stream, DTMF
 * tones, hold music) and gives every party the mix of the others: mix-minus, as a conference bridge
 * does. A muted leg is heard by nobody; an earmuffed leg hears none of the others. Whether audio
 * played into one leg is heard by the other legs too is a switch (`restAudioToSocket`), and so is
 * whether an earmuffed leg still hears what is played into itself (`earmuffBlocksOwnAudio`).
 *
 * The mix runs at 16 kHz on the shared frame clock; a party at another rate converts at its edge.
 */
import { randomUUID } from 'node:crypto';
import { FrameSchedule, type FrameClock } from '../../audio/frame-clock.js';
import { FRAME_MS, frameBytes } from '../../protocol/audio-format.js';
import type { EmulatorSwitches } from '../switches.js';

/** The conversation's own rate: phones speak and hear at it; sockets at 8 or 24 kHz convert. */
export const MIX_RATE = 16000;
export const MIX_FRAME_BYTES = frameBytes(MIX_RATE);

/** A leg as the mixer sees it. Frames are s16le at MIX_RATE, exactly one frame long. */
export interface Participant {
  readonly uuid: string;
  /** Heard by nobody (REST `mute`). */
  muted: boolean;
  /** Hears nobody else (REST `earmuff`). */
  earmuffed: boolean;
  /** What the party says this tick; undefined is silence. */
  say(): Buffer | undefined;
  /** Audio played into this leg this tick (talk, stream, DTMF, hold music); undefined when none. */
  played(): Buffer | undefined;
  /** What the party hears this tick. */
  hear(frame: Buffer): void;
  /** A key another party pressed (a websocket gets `websocket:dtmf`). */
  dtmfFrom?(digit: string): void;
}

export interface ConversationOptions {
  clock: FrameClock;
  switches: Pick<EmulatorSwitches, 'restAudioToSocket' | 'earmuffBlocksOwnAudio'>;
  /** A named conversation (the NCCO `conversation` action's `name`). */
  name?: string;
  /** A tap on the whole conversation, once per tick: every party's voice and all played audio (NCCO `record`). */
  onMix?: (mix: Buffer) => void;
}

const SAMPLES = MIX_FRAME_BYTES / 2;

export class Conversation {
  readonly uuid = `CON-${randomUUID()}`;
  readonly name: string | undefined;
  private readonly participants = new Map<string, Participant>();
  private removeTask: (() => void) | undefined;
  private schedule: FrameSchedule | undefined;
  private readonly taps = new Set<(mix: Buffer) => void>();
  private isStarted = true;
  private readonly startListeners = new Set<() => void>();

  constructor(private readonly options: ConversationOptions) {
    this.name = options.name;
    if (options.onMix) this.taps.add(options.onMix);
  }

  /** False until a party that starts it joins (NCCO `conversation` with `startOnEnter`, the default). */
  get started(): boolean {
    return this.isStarted;
  }

  set started(value: boolean) {
    const starting = value && !this.isStarted;
    this.isStarted = value;
    if (starting) for (const listener of [...this.startListeners]) listener();
  }

  /** Resolves when the conversation starts (at once if it has), or when `signal` aborts. */
  whenStarted(signal: AbortSignal): Promise<void> {
    if (this.isStarted || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.startListeners.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.startListeners.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  get size(): number {
    return this.participants.size;
  }

  has(uuid: string): boolean {
    return this.participants.has(uuid);
  }

  members(): Participant[] {
    return [...this.participants.values()];
  }

  join(participant: Participant): void {
    this.participants.set(participant.uuid, participant);
    if (this.removeTask) return;
    const { clock } = this.options;
    this.schedule = new FrameSchedule(clock.now(), FRAME_MS);
    const schedule = this.schedule;
    this.removeTask = clock.add({ nextDueAt: () => schedule.nextDueAt(), run: (now) => schedule.runDue(now, () => this.mix()) });
  }

  leave(uuid: string): void {
    this.participants.delete(uuid);
    if (this.participants.size === 0) this.stop();
  }

  /** Listens to the whole conversation (every voice and all played audio), frame by frame; returns the removal. */
  tap(listener: (mix: Buffer) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  /** A key pressed by `from`: every other party is told (Vonage sends DTMF from any party to a socket, docs/protocol.md §5.1). */
  dtmf(from: string, digit: string): void {
    for (const participant of this.participants.values()) if (participant.uuid !== from) participant.dtmfFrom?.(digit);
  }

  stop(): void {
    this.removeTask?.();
    this.removeTask = undefined;
  }

  /** One tick: every party hears the others (mix-minus), with mute, earmuff and played audio applied. */
  private mix(): void {
    const everyone = [...this.participants.values()];
    const shared = this.options.switches.restAudioToSocket;
    const said = everyone.map((participant) => {
      const frame = participant.say();
      return participant.muted ? undefined : frame;
    });
    const played = everyone.map((participant) => participant.played());
    const total = new Int32Array(SAMPLES);
    const add = (into: Int32Array, frame: Buffer | undefined, sign = 1) => {
      if (!frame) return;
      for (let i = 0; i < SAMPLES; i++) into[i]! += sign * frame.readInt16LE(i * 2);
    };
    everyone.forEach((_, index) => {
      add(total, said[index]);
      if (shared) add(total, played[index]);
    });
    if (this.taps.size > 0) {
      const mix = clip(total);
      for (const listener of this.taps) listener(mix);
    }
    everyone.forEach((participant, index) => {
      const heard = new Int32Array(SAMPLES);
      if (!participant.earmuffed) {
        heard.set(total);
        add(heard, said[index], -1);
        if (shared) add(heard, played[index], -1);
      }
      if (!participant.earmuffed || !this.options.switches.earmuffBlocksOwnAudio) add(heard, played[index]);
      participant.hear(clip(heard));
    });
  }
}

function clip(samples: Int32Array): Buffer {
  const frame = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) frame.writeInt16LE(Math.max(-32768, Math.min(32767, samples[i]!)), i * 2);
  return frame;
}
