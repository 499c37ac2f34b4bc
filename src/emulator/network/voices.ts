/**
 * The voices of the phone network. Vonage's text-to-speech (NCCO `talk`, REST talk) speaks with
 * flite's `slt`, a recorded woman's voice; the scenario's people speak with flite's `rms` (a man) and
 * its machines with `awb`, unless a scenario names another voice: one of flite's (`slt`, `rms`,
 * `awb`, `kal`) or an espeak-ng voice (`en-us`, `en+f3`…). flite's voices are the default because a
 * test transcribes what a phone heard: PocketSphinx heard three test sentences in flite's `slt`,
 * `rms` and `awb` nearly word for word, and none of them in espeak-ng's (docs/speech.md has the
 * measured benchmark). Without flite, espeak-ng speaks (or the tone that stands for speech).
 */
import { fliteSynthesizer } from '../../speech/flite.js';
import { SpeechEngineError } from '../../speech/speech-events.js';
import { synthesizeSpeech } from '../caller-audio.js';
import { MIX_RATE } from './conversation.js';

export const TALK_VOICE = 'slt';
export const PERSON_VOICE = 'rms';
export const MACHINE_VOICE = 'awb';
const FLITE_VOICES = new Set(['slt', 'rms', 'awb', 'kal', 'kal16', 'awb_time']);

let fliteMissing = false;

/** `text` spoken at the mixer's rate by `voice` (flite's or espeak-ng's), at `wordsPerMinute` if given. */
export async function speak(text: string, voice: string, wordsPerMinute?: number): Promise<Buffer> {
  if (FLITE_VOICES.has(voice) && !fliteMissing) {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of fliteSynthesizer.synthesize(text, { sampleRate: MIX_RATE, voice, ...(wordsPerMinute ? { wordsPerMinute } : {}) }))
        chunks.push(chunk);
      return Buffer.concat(chunks);
    } catch (error) {
      if (!(error instanceof SpeechEngineError) || error.kind !== 'missing') throw error;
      fliteMissing = true;
    }
  }
  return (await synthesizeSpeech(text, MIX_RATE, { name: FLITE_VOICES.has(voice) ? undefined : voice, wordsPerMinute })).pcm;
}

/** Vonage's text-to-speech. */
export function talkPcm(text: string): Promise<Buffer> {
  return speak(text, TALK_VOICE);
}
