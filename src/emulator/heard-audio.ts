/**
 * What the caller heard, as the emulator records it: the talk actions' speech (kept at its synthesis
 * rate), then the websocket leg's audio, at the leg's rate; and, when asked, its transcript by
 * PocketSphinx through the same detector a live call uses (speech/transcribe-recording.ts).
 */
import { wavToCallPcm, writeWav } from '../audio/wav.js';
import { transcribeRecording } from '../speech/transcribe-recording.js';
import type { CallResult, PlaceCallOptions } from './call-result.js';
import type { LegResult } from './websocket-leg.js';

export interface HeardAudio {
  pcm: Buffer;
  sampleRate: number;
}

/** Talk audio converted to the leg's rate, followed by the leg's audio. */
export function heardBy(talk: Buffer[], talkRate: number, leg: LegResult | undefined): HeardAudio {
  const sampleRate = leg?.sampleRate ?? talkRate;
  const converted = talk.map((pcm) => (sampleRate === talkRate ? pcm : wavToCallPcm(writeWav(pcm, talkRate), sampleRate)));
  return { pcm: Buffer.concat([...converted, ...(leg?.heard ? [leg.heard] : [])]), sampleRate };
}

/** The finals PocketSphinx hears in it; with phrases, listening for those only (menu mode). */
export async function transcribeHeard(
  heard: HeardAudio,
  option: NonNullable<PlaceCallOptions['transcribeHeard']>,
): Promise<Pick<CallResult, 'heardTranscript' | 'heardTranscriptError'>> {
  const choices = typeof option === 'object' ? option.choices : undefined;
  try {
    const finals = await transcribeRecording(heard.pcm, heard.sampleRate, choices ? { choices } : {});
    return { heardTranscript: finals.map(({ text, startMs, endMs }) => ({ text, startMs, endMs })) };
  } catch (error) {
    return { heardTranscriptError: (error as Error).message };
  }
}
