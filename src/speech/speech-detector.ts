/**
 * One interface for the detectors that judge a call's frames speech or not (docs/turn-taking.md):
 * WebRTC's (libfvad in WebAssembly: Gaussian mixtures, tiny and always there) and Silero's (a small
 * neural network on ONNX Runtime, from an optional package). The utterance detector resamples the
 * call to the detector's rate, may clean it first (noise-suppressor.ts), and turns verdicts into
 * speech starts and ends (voice-activity.ts); nothing above it knows which detector judged.
 */
import { createWebRtcVad, type VadMode } from './webrtc-vad.js';

export const VAD_NAMES = ['webrtc', 'silero'] as const;
export type VadName = (typeof VAD_NAMES)[number];

export interface SpeechDetector {
  readonly name: VadName;
  /** The rate its frames must be at (the call's, resampled). */
  readonly sampleRate: 8000 | 16000;
  /**
   * Judges the next 20 ms frame, s16le at `sampleRate`, in stream order: true when it holds speech.
   * A promise when the verdict needs the engine (Silero's runtime answers asynchronously); the
   * caller judges the next frame only after it settles.
   */
  judge(frame: Buffer): boolean | Promise<boolean>;
  close(): void;
}

export interface DetectorOptions {
  /** WebRTC's aggressiveness, 0–3 (default 2). */
  aggressiveness?: VadMode;
  /** Silero: the speech probability at or above which a frame is speech (default in silero-vad.ts). */
  threshold?: number;
}

/** The detector rate for a call rate: 8 kHz calls stay narrowband, 16 and 24 kHz are judged at 16 kHz. */
export function detectorRate(callRate: number): 8000 | 16000 {
  return callRate === 8000 ? 8000 : 16000;
}

export async function createSpeechDetector(name: VadName, sampleRate: 8000 | 16000, options: DetectorOptions = {}): Promise<SpeechDetector> {
  if (name === 'silero') {
    const { createSileroVad } = await import('./silero-vad.js');
    return createSileroVad(sampleRate, options.threshold);
  }
  const classifier = await createWebRtcVad(sampleRate, options.aggressiveness ?? 2);
  return { name: 'webrtc', sampleRate, judge: (frame) => classifier.isSpeech(frame), close: () => classifier.close() };
}
