/**
 * What the caller heard, as the emulator records it: the talk actions' speech (kept at its synthesis
 * rate), then the websocket leg's audio, at the leg's rate; and, when asked, its transcript by
 * PocketSphinx through the same detector a live call uses (speech/transcribe-recording.ts).
 *
 * With phrases (`--hear "you said sales,..."`) the recogniser listens through a grammar of those
 * phrases only, one phrase per utterance, and a grammar always has an answer: a menu's prompt came
 * out as "connecting you to support" 0.3 s into the call, words nobody had said there. Forced onto
 * speech that is not it, the phrase covers part of that speech and leaves the rest as silence; said,
 * it covers whole stretches of speech between pauses. So a phrase is reported only where it spans
 * whole stretches of speech the voice detector found (cut at pauses of a sentence's end), and
 * nothing is reported elsewhere: a heard transcript does not claim words that were not said. The
 * limit: a phrase forced onto one whole sentence of other words cannot be told from that sentence.
 * (Free-form recognition cannot be the judge: on synthetic voices it hears "to learn how to with a
 * you that any" for "hello, how can I help you today", and nothing at all after digital silence.)
 */
import { wavToCallPcm, writeWav } from '../audio/wav.js';
import { FRAME_MS, frameBytes } from '../protocol/audio-format.js';
import { transcribeRecording } from '../speech/transcribe-recording.js';
import { UtteranceDetector } from '../speech/utterance-detector.js';
import { levelDb, type VoiceActivityChange } from '../speech/voice-activity.js';
import type { CallResult, PlaceCallOptions } from './call-result.js';
import type { LegResult } from './websocket-leg.js';

export interface HeardAudio {
  pcm: Buffer;
  sampleRate: number;
}

type Heard = NonNullable<CallResult['heardTranscript']>[number];

/** Talk audio converted to the leg's rate, followed by the leg's audio. */
export function heardBy(talk: Buffer[], talkRate: number, leg: LegResult | undefined): HeardAudio {
  const sampleRate = leg?.sampleRate ?? talkRate;
  const converted = talk.map((pcm) => (sampleRate === talkRate ? pcm : wavToCallPcm(writeWav(pcm, talkRate), sampleRate)));
  return { pcm: Buffer.concat([...converted, ...(leg?.heard ? [leg.heard] : [])]), sampleRate };
}

/** The finals PocketSphinx hears in it; with phrases, those that span the speech they were heard in. */
export async function transcribeHeard(
  heard: HeardAudio,
  option: NonNullable<PlaceCallOptions['transcribeHeard']>,
): Promise<Pick<CallResult, 'heardTranscript' | 'heardTranscriptError'>> {
  const choices = typeof option === 'object' ? option.choices : undefined;
  try {
    const finals = await transcribeRecording(heard.pcm, heard.sampleRate, choices ? { choices } : {});
    const said = finals.map(({ text, startMs, endMs }) => ({ text, startMs, endMs }));
    return { heardTranscript: choices && said.length > 0 ? spanningSpeech(said, await speechIn(heard)) : said };
  } catch (error) {
    return { heardTranscriptError: (error as Error).message };
  }
}

/**
 * Inside what the detector takes for one utterance, a pause this long and this quiet ends a stretch
 * of speech (the detector bridges them: a synthetic voice's pauses are quiet, not silent). Measured
 * in calls: flite pauses 200–260 ms at a sentence's end (and after "Sorry,") at −50 to −55 dBFS, and
 * at most 180 ms at the commas of the voice menu's prompt; espeak-ng 340 ms at a sentence's end; the
 * speech itself above −45 dBFS. A shorter cut would let a phrase forced onto a prompt's first clause pass.
 */
const PAUSE_MS = 200;
const PAUSE_DB = -45;

/** Stretches of speech in what was heard (the detector a live call uses, cut at pauses; no recogniser). */
export async function speechIn(heard: HeardAudio): Promise<Stretch[]> {
  const detector = await UtteranceDetector.create(heard.sampleRate);
  const size = frameBytes(heard.sampleRate);
  const quiet: boolean[] = [];
  const utterances: Stretch[] = [];
  let startMs: number | undefined;
  const note = (change: VoiceActivityChange | undefined) => {
    if (change?.kind === 'speech-start') startMs = change.atMs;
    else if (change?.kind === 'speech-end' && startMs !== undefined) {
      utterances.push({ startMs, endMs: change.atMs });
      startMs = undefined;
    }
  };
  try {
    for (let offset = 0, atMs = 0; offset + size <= heard.pcm.length; offset += size, atMs += FRAME_MS) {
      const frame = heard.pcm.subarray(offset, offset + size);
      quiet.push(levelDb(frame) < PAUSE_DB);
      note(await detector.push(frame, atMs, []));
    }
    note(await detector.finish([]));
  } finally {
    detector.close();
  }
  return utterances.flatMap((utterance) => cutAtPauses(utterance, quiet));
}

/** An utterance cut where `quiet` has a run of PAUSE_MS or more; the pauses themselves belong to no stretch. */
function cutAtPauses(utterance: Stretch, quiet: boolean[]): Stretch[] {
  const stretches: Stretch[] = [];
  const first = Math.floor(utterance.startMs / FRAME_MS);
  const last = Math.ceil(utterance.endMs / FRAME_MS);
  let startMs = utterance.startMs;
  let run = 0;
  for (let frame = first; frame < last; frame++) {
    if (quiet[frame]) run++;
    else {
      if (run * FRAME_MS >= PAUSE_MS && frame - run > first) {
        stretches.push({ startMs, endMs: (frame - run) * FRAME_MS });
        startMs = frame * FRAME_MS;
      }
      run = 0;
    }
  }
  stretches.push({ startMs, endMs: utterance.endMs });
  return stretches;
}

interface Stretch {
  startMs: number;
  endMs: number;
}

/**
 * How much of the longer of a phrase and the speech it is heard over they must share. Measured: said
 * phrases 0.66–1.0 (a sentence whose pause to the next is too short to cut at, or whose grammar's
 * trailing "please" took the next sentence's first word, shares least); the voice menu's prompt, with
 * a phrase forced onto its first clause, 0.47.
 */
const SAME_SPEECH = 0.6;

/** The phrases that span a run of whole stretches of speech (one sentence, or several said in one breath). */
export function spanningSpeech(phrases: Heard[], speech: Stretch[]): Heard[] {
  return phrases.filter((phrase) => {
    for (let first = 0; first < speech.length; first++) {
      for (let last = first; last < speech.length; last++) {
        const run = { startMs: speech[first]!.startMs, endMs: speech[last]!.endMs };
        const longest = Math.max(phrase.endMs - phrase.startMs, run.endMs - run.startMs);
        if (overlapMs(phrase, run) >= SAME_SPEECH * longest) return true;
      }
    }
    return false;
  });
}

function overlapMs(a: Stretch, b: Stretch): number {
  return Math.max(0, Math.min(a.endMs, b.endMs) - Math.max(a.startMs, b.startMs));
}
