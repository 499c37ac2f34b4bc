/**
 * The words of the call layer, with no behaviour: what a session needs of its socket, who is calling,
 * the counters, how a call ended, what playback takes and gives. A leaf that every room of call/ (and
 * the layers above) may import without importing the session itself.
 */
import type { SpeechErrorEvent } from '../speech/speech-events.js';

/** What a session needs from a socket. `ws` and any future transport adapt to this. */
export interface CallTransport {
  /** Sends one frame; false when the transport dropped it (a reader too slow to keep up). */
  sendBinary(frame: Buffer): boolean;
  sendText(text: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued in the socket but not yet written to the network. */
  readonly bufferedAmount: number;
}

/**
 * Sees an outbound frame: ms until it starts playing at Vonage (paced audio goes out up to the lead
 * ahead), and whether the pacer sent it (its time is the pacer's model) or the app sent it unpaced.
 */
export type OutboundTap = (frame: Buffer, playsInMs: number, paced: boolean) => void;

export interface CallIdentity {
  uuid: string | undefined;
  conversationUuid: string | undefined;
  from: string | undefined;
  to: string | undefined;
  /** Every header from websocket:connected, as sent. */
  headers: Record<string, unknown>;
}

export type CallState = 'connecting' | 'active' | 'ended';

export interface CallStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  dtmfIn: number;
  textIn: number;
  /** Text messages that could not be understood (logged, ignored). */
  textRejected: number;
  /** Binary messages that arrived before websocket:connected. */
  audioBeforeConnected: number;
  /** Inbound binary messages that were not exactly one frame. */
  offSizeFramesIn: number;
  /** Outbound frames the transport dropped because the peer did not read them. */
  framesDropped: number;
}

/** Every counter at zero: a new call's, and the start of the registry's running totals. */
export function emptyCallStats(): CallStats {
  return {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    dtmfIn: 0,
    textIn: 0,
    textRejected: 0,
    audioBeforeConnected: 0,
    offSizeFramesIn: 0,
    framesDropped: 0,
  };
}

/** One line of a call's socket timeline (for people: the dashboard). */
export interface SocketEvent {
  at: number;
  text: string;
}

export interface CallEnd {
  code: number;
  reason: string;
  durationMs: number;
}

export interface DtmfEvent {
  digit: string;
  duration: number | undefined;
}

/** What `play` accepts: PCM (s16le mono at the call rate), a WAV file path (any format, converted), or a stream of PCM chunks. */
export type PlaySource = Buffer | string | { wav: Buffer } | AsyncIterable<Buffer>;

export interface PlayResult {
  /** True when the caller heard it all; false when it was cleared or the call ended first. */
  completed: boolean;
  /** True when Vonage confirmed the end of playout (websocket:notify), not only our playout model. */
  confirmed: boolean;
  /** What the caller has heard of this call's paced audio so far, ms. */
  playedMs: number;
}

export interface SayResult extends PlayResult {
  text: string;
  /** Milliseconds of this reply the caller heard (all of it when completed). */
  heardMs: number;
  /** Set when the engine failed before the whole reply was made. */
  error?: SpeechErrorEvent;
}

/** One exchange with a voice agent (src/agents/): what each side said, an interruption, and the latency. */
export interface AgentTurnSnapshot {
  /** Call time the caller stopped speaking (by the model's VAD); absent for a turn the agent began (a greeting). */
  callerEndMs?: number;
  /** What the caller said, when the model transcribes. */
  caller?: string;
  /** What the agent said (its audio's transcript). */
  agent?: string;
  /** The caller talked over the reply: how much of it they heard, of how much was sent, ms. */
  interrupted?: { heardMs: number; sentMs: number };
  /**
   * Caller's end of speech → first agent audio sent to Vonage, ms: the model's share and ours. A
   * cascade (our speech-to-text → a chat model → our text-to-speech) also has its recognition (end of
   * speech → the final words) and synthesis (the first sentence → its first audio) apart from the model's.
   */
  latency?: { totalMs: number; modelMs: number; oursMs: number; recognitionMs?: number; synthesisMs?: number };
}
