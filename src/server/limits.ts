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
  /**
   * Pings per second per socket (token bucket). A keepalive pings seconds apart; every ping owes a
   * pong (RFC 6455 §5.5.2), so a flood would have us write as fast as the peer sends.
   */
  pingRatePerS: number;
  /** Ping burst allowance of the bucket. */
  pingBurst: number;
  /** Pings left unanswered over the rate after which the socket is closed (PING_RATE): a flood, not a burst. */
  pingDropClose: number;
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

  // ---- byte budgets: every queue and buffer an outsider can fill has one ----

  /**
   * Inbound audio a socket may send, as a multiple of real time. A real stream is never ahead of real
   * time since its socket opened (Vonage sends 50 frames a second); 1 % over covers any real clock
   * (they agree within 0.01 %). Bunching needs no margin here: what arrives late was owed (below).
   */
  inboundAudioRealtimeFactor: number;
  /** Audio a socket may send ahead of real time, ms: what a peer held before the socket was up. */
  inboundAudioBurstMs: number;
  /**
   * Audio a late stream may still owe and send at once, ms: a sender that started late, a network
   * stall (TCP's retransmission back-off waits 1, 2, then 4 s), our own reading late. Judged by the
   * time since the socket opened, not by when we read, so what a stream owes is kept, up to this;
   * a stream silent longer is not caught up on.
   */
  inboundAudioOwedMs: number;
  /** Inbound audio messages dropped over the rate before the call is closed (AUDIO_RATE): 5 s of frames is a flood, not jitter. */
  inboundAudioDropClose: number;
  /** Paced audio queued per call before further writes are dropped (an app that ignores write()'s backpressure): twice the pacer's 10 s. */
  maxCallQueueMs: number;
  /** Paced audio queued by all calls together, bytes: 2 000 calls × 10 s of 16 kHz audio would be 640 MB; this keeps the process far below. */
  maxProcessQueueBytes: number;
  /** Largest event kept as received: Vonage's events are under 2 KiB; bigger ones keep their fields, trimmed. */
  maxEventBytes: number;
  /** All stored webhook events together: ~10 000 legs of normal calls. */
  maxEventStoreBytes: number;
  /**
   * Snapshots in a row a dashboard stream client leaves unread before it is cut: 30 s at one a second.
   * A client whose socket is still full is skipped, not written to, so our side holds at most one
   * snapshot per client; the kernel's send buffer (a few MB at most per socket) is the rest.
   */
  sseUnreadCut: number;
  /** Dashboard stream clients at once: a few people watch a dashboard, not hundreds (and each may pin a kernel send buffer). */
  maxSseClients: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: 64 * 1024,
  maxTextBytes: 8 * 1024,
  textRatePerS: 50,
  textBurst: 100,
  textDropClose: 1000,
  pingRatePerS: 5,
  pingBurst: 20,
  pingDropClose: 100,
  maxBufferedBytes: 256 * 1024,
  slowConsumerDropClose: 250,
  pingIntervalMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  answerHookTimeoutMs: 3000,
  inboundAudioRealtimeFactor: 1.01,
  inboundAudioBurstMs: 2000,
  inboundAudioOwedMs: 10_000,
  inboundAudioDropClose: 250,
  maxCallQueueMs: 20_000,
  maxProcessQueueBytes: 128 * 1024 * 1024,
  maxEventBytes: 4096,
  maxEventStoreBytes: 32 * 1024 * 1024,
  sseUnreadCut: 30,
  maxSseClients: 20,
};

/**
 * The inbound audio bucket at a call's rate, bytes: it refills at real time (and the margin), starts
 * with what may come ahead of real time, and holds what a late stream owes on top of that. A stall of
 * our event loop is credited at real time: what a real call sent while we could not read.
 */
export function inboundAudioAllowance(
  limits: Pick<Limits, 'inboundAudioRealtimeFactor' | 'inboundAudioBurstMs' | 'inboundAudioOwedMs'>,
  bytesPerS: number,
): { ratePerS: number; burst: number; initial: number; creditPerS: number } {
  const ahead = (bytesPerS * limits.inboundAudioBurstMs) / 1000;
  return {
    ratePerS: bytesPerS * limits.inboundAudioRealtimeFactor,
    burst: ahead + (bytesPerS * limits.inboundAudioOwedMs) / 1000,
    initial: ahead,
    creditPerS: bytesPerS,
  };
}

/** A token bucket: `take(cost)` is false when the message must be dropped (and counts it). */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private stalledSeen: number;
  private readonly now: () => number;
  dropped = 0;

  constructor(
    private ratePerS: number,
    private burst: number,
    private readonly options: {
      now?: () => number;
      /**
       * The process's total event-loop stall (LoopStall.stalledMs): what a peer sent while we could not
       * read arrives at once afterwards, and is credited at `creditPerS` instead of counted as a flood.
       */
      stalledMs?: () => number;
      creditPerS?: number;
      /** Tokens at the start (default: the burst). */
      initial?: number;
    } = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.last = this.now();
    this.tokens = options.initial ?? burst;
    this.stalledSeen = options.stalledMs?.() ?? 0;
  }

  /**
   * Changes the rate (the call's audio rate is known only once websocket:connected arrived). The
   * tokens keep their worth in time: what the stream may still send is as many seconds as before.
   */
  setRate(ratePerS: number, burst: number, creditPerS?: number): void {
    this.tokens = Math.min((this.tokens * ratePerS) / this.ratePerS, burst);
    this.ratePerS = ratePerS;
    this.burst = burst;
    if (creditPerS !== undefined) this.options.creditPerS = creditPerS;
  }

  take(cost = 1): boolean {
    const now = this.now();
    // Above the burst only by a stall's credit, which the refill never takes away.
    this.tokens = Math.max(this.tokens, Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerS));
    this.last = now;
    if (this.options.stalledMs) {
      const stalled = this.options.stalledMs();
      if (stalled > this.stalledSeen) this.tokens += ((stalled - this.stalledSeen) / 1000) * (this.options.creditPerS ?? this.ratePerS);
      this.stalledSeen = stalled;
    }
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return true;
    }
    this.dropped++;
    return false;
  }
}
