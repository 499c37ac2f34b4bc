/**
 * The logging surface the call layer needs. pino loggers satisfy it; the call layer does not import
 * pino so it stays testable and transport-free.
 */
export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/**
 * Logs the first few occurrences of each code, then one in `every`, with the running count. A peer
 * that floods malformed messages cannot flood the log.
 */
export class SampledLog {
  private readonly counts = new Map<string, number>();
  constructor(
    private readonly log: Logger,
    private readonly first = 5,
    private readonly every = 100,
  ) {}

  warn(code: string, object: Record<string, unknown>, message: string): void {
    const count = (this.counts.get(code) ?? 0) + 1;
    this.counts.set(code, count);
    if (count <= this.first || count % this.every === 0) this.log.warn({ code, count, ...object }, message);
  }
}
