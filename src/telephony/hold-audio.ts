/**
 * What a caller hears while a warm transfer holds them: a soft two-note chime every two seconds, made
 * at the call's rate (or a WAV the operator gives), played through the call's own pacer until the
 * transfer is over. Meanwhile the call is `onHold`: an agent on it neither hears the caller nor
 * stops for their voice.
 */
import type { CallSession } from '../call/call-session.js';
import { sine } from '../audio/tone.js';
import { floatToPcm16 } from '../audio/pcm.js';
import { wavToCallPcm } from '../audio/wav.js';

/** Quiet enough to talk over, loud enough to tell the line is alive (-20 dBFS peaks). */
const CHIME_AMPLITUDE = 0.1;

/** One cycle of the chime at `rate`: 440 Hz, 554 Hz (a major third), then quiet. */
export function holdChime(rate: number): Buffer {
  const note = (frequency: number) => sine(frequency, 300, rate, CHIME_AMPLITUDE);
  const quiet = new Float32Array(Math.round((rate * 1400) / 1000));
  const cycle = new Float32Array(note(440).length * 2 + quiet.length);
  cycle.set(note(440), 0);
  cycle.set(note(554), note(440).length);
  return floatToPcm16(cycle);
}

export interface Hold {
  /** Stops the hold audio (what is queued is cleared) and lets the agent hear the caller again. */
  stop(): Promise<void>;
}

/** Puts the call on hold: the audio loops until `stop`. */
export function startHold(call: CallSession, wav?: Buffer): Hold {
  const cycle = wav ? wavToCallPcm(wav, call.sampleRate) : holdChime(call.sampleRate);
  let holding = true;
  call.onHold = true;
  const loop = async () => {
    while (holding && call.state !== 'ended') {
      const played = await call.play(cycle);
      if (!played.completed) return;
    }
  };
  const looping = loop().catch((error: unknown) => call.log.warn({ err: error }, 'hold audio stopped'));
  return {
    async stop() {
      if (!holding) return;
      holding = false;
      call.onHold = false;
      if (call.state !== 'ended') await call.clear();
      await looping;
    },
  };
}
