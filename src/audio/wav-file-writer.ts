/**
 * A 16-bit PCM WAV written to disk as audio arrives. The header's sizes are rewritten every second
 * and at close, so the file is valid at any moment: a recording survives a dropped socket, and a
 * killed process loses at most the last second's header update, never the file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { wavHeader } from './wav.js';

/** How often the header sizes are brought up to date. */
const HEADER_REFRESH_MS = 1000;

export class WavFileWriter {
  private dataBytes = 0;
  private position = 44;
  private lastHeaderAt = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly file: FileHandle,
    private readonly sampleRate: number,
    private readonly channels: number,
  ) {}

  static async create(path: string, sampleRate: number, channels = 1): Promise<WavFileWriter> {
    const file = await open(path, 'w');
    await file.write(wavHeader(sampleRate, channels, 0), 0, 44, 0);
    return new WavFileWriter(file, sampleRate, channels);
  }

  get bytesWritten(): number {
    return this.dataBytes;
  }

  /** Appends PCM; writes are queued in order, so callers need not await. */
  write(pcm: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    const at = this.position;
    this.position += pcm.length;
    this.dataBytes += pcm.length;
    const now = Date.now();
    const refresh = now - this.lastHeaderAt >= HEADER_REFRESH_MS;
    if (refresh) this.lastHeaderAt = now;
    const size = this.dataBytes;
    this.chain = this.chain.then(async () => {
      await this.file.write(pcm, 0, pcm.length, at);
      if (refresh) await this.writeHeader(size);
    });
    return this.chain.then(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.writeHeader(this.dataBytes);
    await this.file.close();
  }

  private async writeHeader(dataBytes: number): Promise<void> {
    await this.file.write(wavHeader(this.sampleRate, this.channels, dataBytes), 0, 44, 0);
  }
}
