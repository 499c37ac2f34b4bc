/**
 * Where a dial's record waits for its socket: the call is placed by one instance, and Vonage opens the
 * socket wherever its URL leads (another instance behind a load balancer). The record — who was
 * called, the context, the phone leg's uuid — is kept in memory here, and with `--redis` in Redis too
 * (src/scale/dial-records.ts), for as long as the call can last.
 */
import type { MachineDetectionMode } from './machine-detection.js';

/** What the socket of a dialled call learns of its dial. */
export interface DialRecord {
  dialId: string;
  to: string;
  from: string;
  context: unknown;
  /** The phone leg, once Vonage answered the request. */
  uuid?: string;
  conversationUuid?: string;
  machineDetection?: MachineDetectionMode;
  /** The instance that placed the call. */
  instance: string;
  /** A warm transfer's call to the person: its socket briefs them instead of running the app. */
  briefing?: { transferId: string; text: string; acceptWindowMs: number };
}

export interface DialStore {
  /** Keeps the record for `ttlS` (the longest the call can still be waiting and lasting). */
  put(record: DialRecord, ttlS: number): Promise<void>;
  get(dialId: string): Promise<DialRecord | undefined>;
}

/** Dials remembered at most in memory: far more than a server has ringing and running at once. */
export const MAX_REMEMBERED_DIALS = 20_000;

export class MemoryDialStore implements DialStore {
  readonly #records = new Map<string, { record: DialRecord; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async put(record: DialRecord, ttlS: number): Promise<void> {
    this.putNow(record, ttlS);
  }

  /** The synchronous put (the dialling instance's own copy). */
  putNow(record: DialRecord, ttlS: number): void {
    this.#records.delete(record.dialId);
    this.#records.set(record.dialId, { record, expires: this.now() + ttlS * 1000 });
    // Oldest first: a Map keeps insertion order, and a re-put moves a record to the end.
    for (const [id, entry] of this.#records) {
      if (this.#records.size <= MAX_REMEMBERED_DIALS && entry.expires > this.now()) break;
      this.#records.delete(id);
    }
  }

  async get(dialId: string): Promise<DialRecord | undefined> {
    return this.getNow(dialId);
  }

  getNow(dialId: string): DialRecord | undefined {
    const entry = this.#records.get(dialId);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.#records.delete(dialId);
      return undefined;
    }
    return entry.record;
  }
}
