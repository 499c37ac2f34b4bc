/**
 * The audio format on a Vonage voice WebSocket (docs/protocol.md §3, §4): linear PCM, 16-bit signed
 * little-endian, mono, one binary message = exactly one 20 ms frame, in both directions.
 * This is the only place that knows the content-type strings and the frame sizes.
 */

/** Rates a `connect` websocket endpoint accepts. 8 and 16 kHz are documented; 24 kHz is newer (docs/protocol.md §3). */
export const SAMPLE_RATES = [8000, 16000, 24000] as const;
export type SampleRate = (typeof SAMPLE_RATES)[number];
export type L16ContentType = `audio/l16;rate=${SampleRate}`;

/** Vonage falls back to 16 kHz when the NCCO omits (or misspells) `content-type` (docs/protocol.md §2). */
export const DEFAULT_SAMPLE_RATE: SampleRate = 16000;
export const FRAME_MS = 20;
export const BYTES_PER_SAMPLE = 2;

export function isSampleRate(value: unknown): value is SampleRate {
  return typeof value === 'number' && (SAMPLE_RATES as readonly number[]).includes(value);
}

export function contentTypeFor(rate: SampleRate): L16ContentType {
  return `audio/l16;rate=${rate}`;
}

/** Samples in one 20 ms frame: 160 / 320 / 480. */
export function frameSamples(rate: number): number {
  return (rate * FRAME_MS) / 1000;
}

/** Bytes in one 20 ms frame: 320 / 640 / 960. */
export function frameBytes(rate: number): number {
  return frameSamples(rate) * BYTES_PER_SAMPLE;
}

const L16_PATTERN = /^\s*audio\/l16\s*;\s*rate\s*=\s*(\d+)\s*$/i;

/**
 * Reads the rate out of a content-type such as `audio/l16;rate=16000`. Tolerates case and spaces
 * (a peer is not wrong to write `audio/L16; rate=8000`); anything else, or a rate Vonage does not
 * offer, is `undefined` so the caller decides the fallback.
 */
export function parseContentType(value: unknown): SampleRate | undefined {
  if (typeof value !== 'string') return undefined;
  const match = L16_PATTERN.exec(value);
  if (!match) return undefined;
  const rate = Number(match[1]);
  return isSampleRate(rate) ? rate : undefined;
}
