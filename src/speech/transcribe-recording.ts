/**
 * Transcribes a recording after the fact, through the same detector and engine as a live call, as
 * fast as the engine decodes: what an emulated caller heard (`placeCall({ transcribeHeard })`), and
 * the benchmarks' accuracy runs. Times are ms from the start of the recording.
 */
import { FRAME_MS, frameBytes } from '../protocol/audio-format.js';
import { pocketsphinxTranscriber } from './pocketsphinx.js';
import type { TranscriptEvent } from './speech-events.js';
import type { TranscriberFactory } from './transcriber.js';
import { UtteranceDetector, type ListenOptions } from './utterance-detector.js';

export interface TranscribeRecordingOptions {
  /** Menu mode: only these phrases can be heard. */
  choices?: string[];
  /** The engine (default PocketSphinx). */
  engine?: TranscriberFactory;
  listen?: ListenOptions;
}

/** Final results of s16le mono `pcm` at `sampleRate`; rejects with a SpeechEngineError when the engine fails. */
export async function transcribeRecording(pcm: Buffer, sampleRate: number, options: TranscribeRecordingOptions = {}): Promise<TranscriptEvent[]> {
  const transcriber = (options.engine ?? pocketsphinxTranscriber()).create(sampleRate, {
    interim: false,
    ...(options.choices ? { choices: options.choices } : {}),
  });
  const finals: TranscriptEvent[] = [];
  let failure: Error | undefined;
  transcriber.on('result', (result) => {
    if (result.kind === 'final') finals.push(result);
  });
  transcriber.on('error', (error) => (failure ??= error));
  const detector = await UtteranceDetector.create(sampleRate, options.listen);
  try {
    await transcriber.ready();
    const size = frameBytes(sampleRate);
    for (let offset = 0, atMs = 0; offset + size <= pcm.length; offset += size, atMs += FRAME_MS) {
      const judged = detector.push(pcm.subarray(offset, offset + size), atMs, [transcriber]);
      if (judged instanceof Promise) await judged; // an asynchronous detector (Silero): frame by frame
    }
    await detector.finish([transcriber]);
  } finally {
    detector.close();
    await transcriber.close();
  }
  if (failure) throw failure;
  return finals;
}
