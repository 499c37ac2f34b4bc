/**
 * The DTMF digits in a recording, as a phone's keypad decoder hears them: in each 40 ms window, the
 * strongest of the four row and of the four column frequencies (Goertzel), when both stand well above
 * the others; a digit counts once per run of windows.
 */
import { DTMF_FREQUENCIES } from '../../src/audio/tone.js';
import { toneLevel } from '../helpers/audio.js';

const ROWS = [697, 770, 852, 941];
const COLUMNS = [1209, 1336, 1477, 1633];
const WINDOW_MS = 40;
/** A tone this much above the next strongest of its group (10 dB) is a key, not speech or noise. */
const DOMINANCE = 10;
/** And at least this loud (mean square of a -40 dBFS tone). */
const FLOOR = 1e-4 ** 2;

function strongest(window: Buffer, group: number[], rate: number): number | undefined {
  const levels = group.map((frequency) => toneLevel(window, frequency, rate));
  const sorted = [...levels].sort((a, b) => b - a);
  if (sorted[0]! < FLOOR || sorted[0]! < DOMINANCE * sorted[1]!) return undefined;
  return group[levels.indexOf(sorted[0]!)];
}

export function decodeDtmf(pcm: Buffer, rate: number): string {
  const windowBytes = Math.round((rate * WINDOW_MS) / 1000) * 2;
  let digits = '';
  let previous: string | undefined;
  for (let offset = 0; offset + windowBytes <= pcm.length; offset += windowBytes) {
    const window = pcm.subarray(offset, offset + windowBytes);
    const row = strongest(window, ROWS, rate);
    const column = strongest(window, COLUMNS, rate);
    const digit = row && column ? Object.entries(DTMF_FREQUENCIES).find(([, pair]) => pair[0] === row && pair[1] === column)?.[0] : undefined;
    if (digit && digit !== previous) digits += digit;
    previous = digit;
  }
  return digits;
}
