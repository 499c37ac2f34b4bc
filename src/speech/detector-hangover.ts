/**
 * The silence that ends speech by default, per detector configuration (docs/turn-taking.md,
 * "Settings"). The 500 ms hangover was set for WebRTC's detector, which loses the quiet tails of
 * words; Silero, and RNNoise in front of either detector, hear those tails, so the same 500 ms of
 * silence starts later and every utterance ends later. A configuration's hangover is the longest
 * with which it meets the turn-taking targets in noise — turns ended no later than by WebRTC at 500 ms
 * (p50), false barge-ins at most half of WebRTC's cutting at the speech start, at most 1 missed
 * interruption in 100 — on the turns bench's tuning split (`npm run bench -- --suites turns --split
 * tune --sweep`, bench/turns-sweep.ts; docs/turn-taking.md): 320 ms with RNNoise in front of either
 * detector. Silero alone meets them at no hangover and keeps 500 ms (a shorter one would only cut more
 * callers mid-turn). An app's `endSilenceMs` wins.
 */
import type { VadName } from './speech-detector.js';

export const END_SILENCE_MS: Record<VadName, { plain: number; suppressed: number }> = {
  webrtc: { plain: 500, suppressed: 320 },
  silero: { plain: 500, suppressed: 320 },
};

export function defaultEndSilenceMs(vad: VadName = 'webrtc', suppressNoise = false): number {
  const row = END_SILENCE_MS[vad];
  return suppressNoise ? row.suppressed : row.plain;
}
