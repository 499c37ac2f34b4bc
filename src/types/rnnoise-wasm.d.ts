// The Emscripten module of @echogarden/rnnoise-wasm, which ships no types: RNNoise's C API.
declare module '@echogarden/rnnoise-wasm' {
  export interface RnnoiseModule {
    HEAPF32: Float32Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    /** Samples per frame: 480 (10 ms at 48 kHz). */
    _rnnoise_get_frame_size(): number;
    /** A denoiser; `model` 0 is the built-in model. */
    _rnnoise_create(model: number): number;
    _rnnoise_destroy(state: number): void;
    /** Denoises one frame (floats at 16-bit scale) from `input` into `output`; returns its speech probability. */
    _rnnoise_process_frame(state: number, output: number, input: number): number;
  }
  export default function loadRnnoise(): Promise<RnnoiseModule>;
}
