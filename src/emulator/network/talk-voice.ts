/**
 * The voice of Vonage's text-to-speech on the phone network (NCCO `talk`, REST talk): flite's `slt`,
 * a recorded woman's voice, clearer than espeak-ng's (PocketSphinx hears it with about a seventh of
 * the word errors, docs/speech.md), so a test can transcribe what a phone was told. Without flite,
 * espeak-ng (or the tone that stands for speech without either).
 */
import { fliteSynthesizer } from '../../speech/flite.js';
import { SpeechEngineError } from '../../speech/speech-events.js';
import { synthesizeSpeech } from '../caller-audio.js';
import { MIX_RATE } from './conversation.js';

let fliteMissing = false;

/** `text` spoken at the mixer's rate. */
export async function talkPcm(text: string): Promise<Buffer> {
  if (!fliteMissing) {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of fliteSynthesizer.synthesize(text, { sampleRate: MIX_RATE })) chunks.push(chunk);
      return Buffer.concat(chunks);
    } catch (error) {
      if (!(error instanceof SpeechEngineError) || error.kind !== 'missing') throw error;
      fliteMissing = true;
    }
  }
  return (await synthesizeSpeech(text, MIX_RATE)).pcm;
}
