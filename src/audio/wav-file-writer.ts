/**
 * A 16-bit PCM WAV written to disk as audio arrives. The header's sizes are rewritten every second
 * and at close, so the file is valid at any moment: a recording survives a dropped socket, and a
 * killed process loses at most the last second's header update, never the file.
 *
 * An I/O error (a full disk, a vanished folder) never rejects a caller's write: the writer stops,
 * keeps what it wrote valid as far as it can, and reports the error once through `onError`.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { wavHeader } from './wav.js';

/** How often the header sizes are brought up to date. */
const HEADER_REFRESH_MS = 1000;

export class WavFileWriter {
  private dataBytes = 0;
  private position = 44;
  private lastHeaderAt = 0;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** The first I/O error; after it nothing more is written. */
  error: Error | undefined;
  /** Called once, with the first I/O error. */
  onError: ((error: Error) => void) | undefined;

  private constructor(
    private readonly file: FileHandle,
    private readonly sampleRate: number,
    private readonly channels: number,
  ) {}

  static async create(path: string, sampleRate: number, channels = 1): Promise<WavFileWriter> {
    const file = await open(path, 'w');
    try {
      await file.write(wavHeader(sampleRate, channels, 0), 0, 44, 0);
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
    return new WavFileWriter(file, sampleRate, channels);
  }

  get bytesWritten(): number {
    return this.dataBytes;
  }

  /** Appends PCM; writes are queued in order, so callers need not await. Never rejects. */
  write(pcm: Buffer): Promise<void> {
    if (this.closed || this.error) return Promise.resolve();
    const at = this.position;
    this.position += pcm.length;
    this.dataBytes += pcm.length;
    const now = Date.now();
    const refresh = now - this.lastHeaderAt >= HEADER_REFRESH_MS;
    if (refresh) this.lastHeaderAt = now;
    const size = this.dataBytes;
    this.chain = this.chain.then(async () => {
      if (this.error) return;
      try {
        const { bytesWritten } = await this.file.write(pcm, 0, pcm.length, at);
        // A disk that fills mid-write takes part of it and says so, without an error.
        if (bytesWritten < pcm.length) return this.failed(Object.assign(new Error('no space left on the device'), { code: 'ENOSPC' }), at - 44 + bytesWritten);
        if (refresh) await this.writeHeader(size);
      } catch (error) {
        this.failed(error as Error, at - 44);
      }
    });
    return this.chain;
  }

  /** Brings the header up to date and closes the file; never rejects (an error goes to `onError`). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    try {
      await this.writeHeader(this.dataBytes);
    } catch (error) {
      this.failed(error as Error, this.dataBytes);
    }
    await this.file.close().catch((error: unknown) => this.failed(error as Error, this.dataBytes));
  }

  private failed(error: Error, goodBytes: number): void {
    if (this.error) return;
    this.error = error;
    // The header then covers only what certainly reached the file.
    this.dataBytes = Math.max(0, goodBytes);
    this.onError?.(error);
  }

  private async writeHeader(dataBytes: number): Promise<void> {
    await this.file.write(wavHeader(this.sampleRate, this.channels, dataBytes), 0, 44, 0);
  }
}
