/** A call's story as the emulator saw it: webhooks, NCCO actions, socket events, problems. */
export type TimelineSource = 'answer' | 'event' | 'ncco' | 'socket' | 'app' | 'check';

export interface TimelineEntry {
  /** Milliseconds since the call started. */
  atMs: number;
  source: TimelineSource;
  text: string;
  /** True for anything Vonage would not have accepted. */
  problem?: boolean;
}

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  private readonly origin = performance.now();
  constructor(private readonly listener?: (entry: TimelineEntry) => void) {}

  add(source: TimelineSource, text: string, problem = false): void {
    const entry: TimelineEntry = { atMs: Math.round(performance.now() - this.origin), source, text, ...(problem ? { problem } : {}) };
    this.entries.push(entry);
    this.listener?.(entry);
  }

  get problems(): TimelineEntry[] {
    return this.entries.filter((entry) => entry.problem);
  }
}
