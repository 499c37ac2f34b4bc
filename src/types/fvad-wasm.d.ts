// The Emscripten module of @echogarden/fvad-wasm, which ships no types: the libfvad C API.
declare module '@echogarden/fvad-wasm' {
  export interface FvadModule {
    HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    _fvad_new(): number;
    _fvad_free(instance: number): void;
    _fvad_set_mode(instance: number, mode: number): number;
    _fvad_set_sample_rate(instance: number, rate: number): number;
    _fvad_process(instance: number, frame: number, samples: number): number;
  }
  export default function loadFvad(): Promise<FvadModule>;
}
