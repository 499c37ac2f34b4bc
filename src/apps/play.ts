/**
 * `play --file prompt.wav [--loop]`: plays a prompt through the pacer (any WAV, converted to the call
 * rate). Any DTMF key barges in: `clear`, the prompt stops at once, and the app echoes the caller.
 */
import { readFile } from 'node:fs/promises';
import { wavToCallPcm } from '../audio/wav.js';
import type { AppDefinition, CallApp } from './app.js';
import { fileOption } from './options.js';

export function playPrompt(path: string, loop: boolean): CallApp {
  const cache = new Map<number, Promise<Buffer>>();
  const promptAt = (rate: number) => {
    let pcm = cache.get(rate);
    if (!pcm) {
      pcm = readFile(path).then((file) => wavToCallPcm(file, rate));
      cache.set(rate, pcm);
    }
    return pcm;
  };
  return (session) => {
    let echoing = false;
    session.on('audio', (frame) => {
      if (echoing) session.sendAudio(frame);
    });
    session.once('dtmf', () => {
      echoing = true;
      void session.clear();
    });
    session.once('connected', async () => {
      const pcm = await promptAt(session.sampleRate);
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
  description: 'plays --file (any WAV) [--loop]; a DTMF key barges in, then echo',
  create: (options) => playPrompt(fileOption(options, 'file', 'play'), options.loop === true),
};
