/**
 * What one websocket leg reports when it ends: how it ended, what the app sent and did wrong, the
 * round trips, the playback buffer's story and what the caller heard. Words only; the leg
 * (websocket-leg.ts) fills it in, the checks, load and the CLI read it.
 */
import type { SampleRate } from '../protocol/audio-format.js';
import type { Underrun } from './playback-buffer.js';
import type { Distribution } from './stats.js';

export type LegEnd = 'caller-hangup' | 'platform-hangup' | 'app-closed' | 'frame-violation' | 'buffer-overflow' | 'connect-failed' | 'aborted';

export interface FrameViolation {
  atMs: number;
  bytes: number;
  message: string;
}

export interface LegResult {
  sampleRate: SampleRate;
  connected: boolean;
  /** Why the socket could not be opened (status code, refusal, timeout). */
  connectError?: string;
  /** A WebSocket protocol error the app caused after the socket was up (e.g. a malformed close frame). */
  protocolError?: string;
  /** When each scripted text message (DTMF, injected events) was sent, ms since the socket opened; absent if the socket was gone by then. */
  scriptSentAtMs: Record<string, number>;
  connectStatus?: number;
  end: LegEnd;
  closeCode?: number;
  closeReason?: string;
  durationMs: number;
  framesSent: number;
  framesReceived: number;
  /** Round trip of tagged caller frames that came back (echo apps only). */
  rtt?: Distribution;
  /** Every round-trip sample, ms, for aggregating across calls. */
  rttSamples: number[];
  jitterMs?: number;
  /** Tagged frames that came back at least once. */
  echoed: number;
  /** Caller frames an echoing app failed to return (see notReturned): 0 for an app that does not echo. */
  lost: number;
  duplicated: number;
  violations: FrameViolation[];
  /** Text the app sent that is not a command Vonage knows (ignored by Vonage, but a sign of a bug). */
  unexpectedText: string[];
  clears: number;
  /** With `record`: where in `heard` (ms) each clear took effect. */
  clearsAtHeardMs: number[];
  marksSent: number;
  marksReported: number;
  underruns: Underrun[];
  overflowDropped: number;
  maxBufferedFrames: number;
  /** Time from the socket opening to the first app audio frame. */
  timeToFirstAudioMs?: number;
  /** What the caller heard, s16le mono at `sampleRate`, when recording. */
  heard?: Buffer;
  /** Time from the caller's close frame to the app's answering close frame; undefined if the app never answered in time. */
  hangupCloseMs?: number;
  /** Largest gap between consecutive caller frame sends (how well the emulator kept its own schedule). */
  maxSendLatenessMs: number;
}

/** Vonage's log line for a wrong-size frame, sizes in samples (docs/protocol.md §4). */
