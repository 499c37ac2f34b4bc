/**
 * Speech start and end on the caller's audio, one 20 ms frame at a time. A frame counts as voiced
 * when WebRTC's detector says speech AND its level stands above the line's noise floor; the floor
 * follows the quietest recent frames (down at once, up slowly), so a line that gets noisier does not
 * read as one long utterance and a quiet line does not hide soft speech. Onset needs a short run of
 * voiced frames (a click is not speech); the end needs a stretch of silence (a pause between words
 * is not the end). Pure: frames in, events out, times in call time.
 */
import { FRAME_MS } from '../protocol/audio-format.js';

export interface VoiceActivityOptions {
  /** Voiced frames among the last `onsetWindow` that start speech (default 3 of 4: 60 ms). */
  onsetFrames?: number;
  onsetWindow?: number;
  /** Unvoiced time that ends speech, ms (default 500). */
  endSilenceMs?: number;
  /** A voiced frame stands this far above the noise floor, dB (default 9). */
  floorMarginDb?: number;
}

export interface VoiceActivityChange {
  kind: 'speech-start' | 'speech-end';
  /** speech-start: start of the first voiced frame of the onset; speech-end: end of the last voiced frame. */
  atMs: number;
}

/** The noise floor rises at most this fast (dB per frame): 2.5 dB/s. */
const FLOOR_RISE_DB = 0.05;
/** Below this a frame is silence whatever the detector says (dither, a muted line). */
const ABSOLUTE_FLOOR_DB = -60;

/** RMS level of s16le PCM in dB relative to full scale (read bytewise: a frame may sit at any offset). */
export function levelDb(pcm: Buffer): number {
  let sum = 0;
  const samples = pcm.length >> 1;
  for (let i = 0; i < samples; i++) {
    const value = pcm.readInt16LE(i * 2);
    sum += value * value;
  }
  const rms = Math.sqrt(sum / Math.max(1, samples)) / 32768;
  return rms > 0 ? 20 * Math.log10(rms) : -120;
}

export class VoiceActivity {
  speaking = false;
  /** The verdict on the latest frame: speech above the floor. */
  voiced = false;
  /** The current noise floor estimate, dBFS; the line's first frame sets it (the floor falls at once). */
  floorDb = Infinity;
  private readonly onsetFrames: number;
  private readonly onsetWindow: number;
  private readonly endSilenceFrames: number;
  private readonly marginDb: number;
  /** The last `onsetWindow` frames' verdicts, and how many of them are voiced (no count per frame). */
  private recent: boolean[] = [];
  private voicedInWindow = 0;
  private silentFrames = 0;
  private lastVoicedEndMs = 0;

  constructor(options: VoiceActivityOptions = {}) {
    this.onsetFrames = options.onsetFrames ?? 3;
    this.onsetWindow = Math.max(this.onsetFrames, options.onsetWindow ?? 4);
    this.endSilenceFrames = Math.max(1, Math.round((options.endSilenceMs ?? 500) / FRAME_MS));
    this.marginDb = options.floorMarginDb ?? 9;
  }

  /**
   * One frame: `detectorSaysSpeech` from the WebRTC detector, `level` its dBFS, `startMs` its call
   * time. Returns the change this frame makes, if any.
   */
  push(detectorSaysSpeech: boolean, level: number, startMs: number): VoiceActivityChange | undefined {
    // Down at once, up slowly (also while "speaking": noise the detector takes for speech must not
    // hold an utterance open forever).
    const voiced = detectorSaysSpeech && level > ABSOLUTE_FLOOR_DB && level > this.floorDb + this.marginDb;
    this.voiced = voiced;
    this.floorDb = level < this.floorDb ? level : Math.min(level, this.floorDb + FLOOR_RISE_DB);

    this.recent.push(voiced);
    if (voiced) this.voicedInWindow++;
    if (this.recent.length > this.onsetWindow && this.recent.shift()) this.voicedInWindow--;
    if (voiced) {
      this.lastVoicedEndMs = startMs + FRAME_MS;
      this.silentFrames = 0;
    } else this.silentFrames++;

    if (!this.speaking) {
      if (voiced && this.voicedInWindow >= this.onsetFrames) {
        this.speaking = true;
        const firstVoiced = this.recent.indexOf(true);
        return { kind: 'speech-start', atMs: startMs - (this.recent.length - 1 - firstVoiced) * FRAME_MS };
      }
      return undefined;
    }
    if (this.silentFrames >= this.endSilenceFrames) {
      this.speaking = false;
      this.recent = [];
      this.voicedInWindow = 0;
      return { kind: 'speech-end', atMs: this.lastVoicedEndMs };
    }
    return undefined;
  }
}
