/**
 * WebRTC's voice activity detector (libfvad, the standalone build of the detector in WebRTC),
 * compiled to WebAssembly by the Echogarden project (`@echogarden/fvad-wasm`). It scores each 10, 20
 * or 30 ms frame at 8, 16, 32 or 48 kHz with Gaussian mixture models of speech and noise whose noise
 * model adapts to the line as the call goes. Loaded once per process; each call gets its own instance.
 */
import loadFvad, { type FvadModule } from '@echogarden/fvad-wasm';

/** libfvad's aggressiveness: 0 (quality) … 3 (very aggressive, fewest false positives). */
export type VadMode = 0 | 1 | 2 | 3;

export interface FrameClassifier {
  /** True when the frame (s16le at the detector's rate) holds speech. */
  isSpeech(frame: Buffer): boolean;
  close(): void;
}

let loading: Promise<FvadModule> | undefined;

/** One detector for 20 ms frames at 8 or 16 kHz. */
export async function createWebRtcVad(sampleRate: 8000 | 16000, mode: VadMode = 2): Promise<FrameClassifier> {
  loading ??= loadFvad();
  const fvad = await loading;
  const instance = fvad._fvad_new();
  if (instance === 0) throw new Error('fvad_new failed');
  if (fvad._fvad_set_sample_rate(instance, sampleRate) !== 0 || fvad._fvad_set_mode(instance, mode) !== 0) {
    fvad._fvad_free(instance);
    throw new Error(`fvad refused rate ${sampleRate} or mode ${mode}`);
  }
  const frameBytes = (sampleRate / 50) * 2;
  const buffer = fvad._malloc(frameBytes);
  let closed = false;
  return {
    isSpeech(frame) {
      if (closed || frame.length !== frameBytes) return false;
      fvad.HEAPU8.set(frame, buffer);
      return fvad._fvad_process(instance, buffer, frameBytes / 2) === 1;
    },
    close() {
      if (closed) return;
      closed = true;
      fvad._free(buffer);
      fvad._fvad_free(instance);
    },
  };
}
