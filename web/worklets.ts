/**
 * AudioWorklet processors for the softphone (a separate bundle: worklets run in their own scope).
 * - `capture`: hands the microphone's samples to the page in chunks of 1024.
 * - `player`: a small jitter buffer: starts after 60 ms are queued, re-buffers after running dry,
 *   empties on `clear`, and reports how much is queued.
 */
declare const sampleRate: number;
declare function registerProcessor(name: string, processor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

const CHUNK = 1024;

class CaptureProcessor extends AudioWorkletProcessor {
  private buffer = new Float32Array(CHUNK);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      this.buffer[this.filled++] = channel[i]!;
      if (this.filled === CHUNK) {
        this.port.postMessage(this.buffer, [this.buffer.buffer]);
        this.buffer = new Float32Array(CHUNK);
        this.filled = 0;
      }
    }
    return true;
  }
}

class PlayerProcessor extends AudioWorkletProcessor {
  private readonly queue: Float32Array[] = [];
  private offset = 0;
  private queued = 0;
  private playing = false;
  private readonly startAt = Math.round(sampleRate * 0.06);
  private sinceReport = 0;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<Float32Array | { type: 'clear' }>) => {
      if (event.data instanceof Float32Array) {
        this.queue.push(event.data);
        this.queued += event.data.length;
      } else if (event.data.type === 'clear') {
        this.queue.length = 0;
        this.offset = 0;
        this.queued = 0;
        this.playing = false;
      }
    };
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]?.[0];
    if (!out) return true;
    if (!this.playing && this.queued >= this.startAt) this.playing = true;
    for (let i = 0; i < out.length; i++) {
      const head = this.playing ? this.queue[0] : undefined;
      if (!head) {
        out[i] = 0;
        this.playing = false;
        continue;
      }
      out[i] = head[this.offset++]!;
      this.queued--;
      if (this.offset >= head.length) {
        this.queue.shift();
        this.offset = 0;
      }
    }
    for (let c = 1; c < (outputs[0]?.length ?? 0); c++) outputs[0]![c]!.set(out);
    this.sinceReport += out.length;
    if (this.sinceReport >= sampleRate / 10) {
      this.sinceReport = 0;
      this.port.postMessage({ queuedMs: (this.queued / sampleRate) * 1000 });
    }
    return true;
  }
}

registerProcessor('capture', CaptureProcessor);
registerProcessor('player', PlayerProcessor);
