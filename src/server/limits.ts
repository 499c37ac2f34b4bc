/**
 * Every protective limit of the server, named, with why that number. `createServer({ limits })`
 * overrides them (tests use small values to reach them quickly).
 */
export interface Limits {
  /** Largest WebSocket message. Audio frames are ≤ 960 B and Vonage's text is small; a 1 MiB frame is refused with 1009. */
  maxMessageBytes: number;
  /** Largest text message. Vonage's largest is websocket:connected with ≤ 512 B of headers. */
  maxTextBytes: number;
  /** Text messages per second per socket (token bucket). Vonage sends a handful (DTMF at most ~10/s). */
  textRatePerS: number;
  /** Text burst allowance of the bucket. */
  textBurst: number;
  /** Dropped text messages after which the socket is closed: a flood, not a burst. */
  textDropClose: number;
  /** Bytes queued in a socket's user-space buffer before outbound audio is dropped: ~8 s of 16 kHz audio. */
  maxBufferedBytes: number;
  /** Outbound frames dropped for a slow reader before the call is closed: 5 s of audio. */
  slowConsumerDropClose: number;
  /** Ping interval; a socket that has not answered the previous ping is cut. */
  pingIntervalMs: number;
  /** Time to send complete HTTP headers (slowloris guard), ms. */
  headersTimeoutMs: number;
  /** Time for a whole HTTP request, body included, ms. Webhooks are small. */
  requestTimeoutMs: number;
  /** Time an answer hook gets before the default NCCO goes out: Vonage waits 5 s for the whole answer. */
  answerHookTimeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 64 * 1024,
  maxTextBytes: 8 * 1024,
  textRatePerS: 50,
  textBurst: 100,
  textDropClose: 1000,
  maxBufferedBytes: 256 * 1024,
  slowConsumerDropClose: 250,
  pingIntervalMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  answerHookTimeoutMs: 3000,
};

/** A token bucket for text messages on one socket; `take` is false when the message must be dropped. */
export class TextRateLimiter {
  private tokens: number;
  private last = performance.now();
  dropped = 0;

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerS);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.dropped++;
    return false;
  }
}
