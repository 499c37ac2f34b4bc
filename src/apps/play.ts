/**
 * `play --file prompt.wav [--loop]`: plays a prompt through the pacer (any WAV, converted to the call
 * rate). Any DTMF key barges in: `clear`, the prompt stops at once, and the app echoes the caller.
 * The prompt is read and checked when the app is created: an unplayable file stops the server at start.
 */
import { readFileSync } from 'node:fs';
import { readWav, wavAudioToCallPcm, type WavAudio } from '../audio/wav.js';
import type { AppDefinition, CallApp } from './app.js';
import { choiceOption, wavOption } from './options.js';
import { BARGE_IN_MODES, bargeIn, type BargeIn } from './barge-in.js';

/** `prompt`: decoded audio, or a WAV file's path (read and checked now, not on the first call). */
export function playPrompt(prompt: WavAudio | string, loop: boolean, barge: BargeIn = 'dtmf'): CallApp {
  const audio = typeof prompt === 'string' ? readWav(readFileSync(prompt)) : prompt;
  const cache = new Map<number, Buffer>();
  const promptAt = (rate: number) => {
    let pcm = cache.get(rate);
    if (!pcm) {
      pcm = wavAudioToCallPcm(audio, rate);
      cache.set(rate, pcm);
    }
    return pcm;
  };
  return (session) => {
    let echoing = false;
    session.on('audio', (frame) => {
      if (echoing) session.sendAudio(frame);
    });
    bargeIn(session, barge, () => (echoing = true));
    session.once('connected', async () => {
      const pcm = promptAt(session.sampleRate);
      do {
        const result = await session.play(pcm);
        if (!result.completed) return;
      } while (loop && !echoing);
      echoing = true;
    });
  };
}

export const playApp: AppDefinition = {
  name: 'play',
  description: 'plays --file (any WAV) [--loop]; a DTMF key (--barge-in dtmf, the default), speech or both barge in, then echo',
  create: async (options) =>
    playPrompt((await wavOption(options, 'file', 'play')).wav, options.loop === true, choiceOption(options, 'bargeIn', 'barge-in', BARGE_IN_MODES, 'dtmf')),
};
