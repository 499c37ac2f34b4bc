/**
 * The call record, version 1: one JSON document per call (docs/records.md; its JSON Schema is
 * docs/call-record.schema.json, checked against these types by test/records/record-schema.test.ts).
 * Times inside a record are milliseconds since the call's socket opened (`startedAt`), on the server's
 * audio clock; the caller's speech is placed by the caller's audio (frame n at n × 20 ms after the
 * first frame). Words only.
 */

export const CALL_RECORD_TYPE = 'voicesocket.call-record';
/** Bumped when a field changes meaning or goes away; new optional fields keep the version. */
export const CALL_RECORD_VERSION = 1;

/**
 * What is kept of a long call, and why these numbers: an hour of brisk conversation is about 700
 * turns; the record must stay small enough to POST in one request and open in a page (under
 * MAX_RECORD_BYTES, tested with an hour of the largest turns). Lists keep their first and last
 * halves (how a call began and how it ended say the most), and `truncated` says what was left out.
 */
export const RECORD_LIMITS = {
  turns: 400,
  /** Characters of one turn's text (about two and a half minutes of speech). */
  textChars: 2000,
  toolCalls: 100,
  /** Characters of a tool call's arguments (as JSON) and of its result. */
  toolChars: 2000,
  interruptions: 200,
  dtmf: 200,
  errors: 50,
  transfers: 20,
  vonageRecordings: 20,
  /** Characters of the custom headers the call arrived with (as JSON). */
  headerChars: 2000,
} as const;

/** The largest a record can be with every list and text at its limit (the hour-long test checks it). */
export const MAX_RECORD_BYTES = 3 * 1024 * 1024;

export type Speaker = 'caller' | 'agent';

export interface RecordTurn {
  speaker: Speaker;
  startMs: number;
  /** Null while unknown (a call that ended mid-sentence). */
  endMs: number | null;
  /** What was said: the caller's words as transcribed, the agent's whole reply. Empty when only voice activity is known. */
  text: string;
  /** The engine that transcribed the caller, or who made the reply (a provider, or `say`). */
  by?: string;
  replyId?: string;
  /** Agent: the reply was cut (the caller talked over it, or the call ended). */
  cut?: 'barge-in' | 'hangup';
  /** Agent, when cut: the words the caller heard (the pacer's played position, by the reply's text; an estimate). */
  heard?: string;
  /** Agent: ms of the reply the caller heard, of the ms that were sent. */
  heardMs?: number;
  sentMs?: number;
  /** Agent: caller's end of speech → first reply audio sent; the provider's share and ours when the agent layer measured them. */
  latency?: { totalMs: number; providerMs?: number; oursMs?: number };
  /** Caller: when the last final transcript of it arrived (its speech-to-text time, from its end). */
  transcribedMs?: number;
  /** Agent: when the reply was asked for, its first text, its first audio from whoever makes it (tracing spans). */
  timings?: { requestedMs: number; firstTextMs?: number; firstAudioMs?: number };
  /** The text was longer than RECORD_LIMITS.textChars and was cut there. */
  textCut?: true;
}

export interface RecordInterruption {
  atMs: number;
  replyId: string;
  heardMs: number;
  sentMs: number;
  by: string;
}

export interface RecordToolCall {
  atMs: number;
  endMs: number | null;
  callId: string;
  name: string;
  /** The arguments as the model gave them; a string ending in … when cut at RECORD_LIMITS.toolChars. */
  arguments: unknown;
  result: string | null;
  failed?: true;
}

export interface RecordError {
  atMs: number;
  code: string;
  message: string;
  detail?: string;
}

export interface RecordRecording {
  /** The stereo WAV: the caller on the left, what the app sent on the right. */
  path: string;
  file: string;
  sampleRate: number;
  channels: ['caller', 'app'];
  /** Where the recording's first sample is, in the record's time (the call's rate became known). */
  startMs: number;
  durationMs: number;
  /** The recording stopped before the call did (a full disk): when, and the coded reason. */
  stopped?: { atMs: number; code: string; detail: string };
}

export interface RecordAnalysis {
  status: 'done' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  reason?: string;
  model?: string;
  summary?: string;
  /** The outcome label the model chose. */
  outcome?: string;
  /** The fields of the user's schema (`--analysis-schema`). */
  fields?: Record<string, unknown>;
  durationMs?: number;
}

export interface CallRecord {
  type: typeof CALL_RECORD_TYPE;
  version: typeof CALL_RECORD_VERSION;
  /** Unique per record and the same in every delivery of it: a receiver drops a repeat by it. */
  id: string;
  call: {
    id: string;
    uuid: string | null;
    conversationUuid: string | null;
    from: string | null;
    to: string | null;
    direction: 'inbound' | 'outbound' | 'unknown';
    /** Custom headers of websocket:connected beyond the identity (JSON cut at RECORD_LIMITS.headerChars). */
    headers?: Record<string, unknown>;
    rate: number;
    app: string;
    instance: string;
  };
  startedAt: string;
  endedAt: string;
  /** websocket:connected (the rate known), ms after the socket opened. */
  connectedMs: number | null;
  durationMs: number;
  outcome: {
    /** From the close code: normal, dropped, app_error, refused, other. */
    result: string;
    closeCode: number;
    closeReason: string;
    /** The caller's leg's last status from the event webhooks (completed, busy, ...), when they reached this server. */
    legStatus: string | null;
    /** The analysis's outcome label, when there is one. */
    label?: string;
  };
  turns: RecordTurn[];
  interruptions: RecordInterruption[];
  toolCalls: RecordToolCall[];
  dtmf: Array<{ atMs: number; digit: string; direction: 'in' | 'out'; durationMs?: number }>;
  machineDetection: { atMs: number; result: 'human' | 'machine' | 'unknown'; detail?: string } | null;
  transfers: Array<{ atMs: number; to: string; mode?: 'cold' | 'warm'; detail?: string }>;
  /** Replies with a measured latency: how many, the median and the slowest. */
  latency: { replies: number; medianMs: number | null; maxMs: number | null };
  errors: RecordError[];
  /** Every coded fault of the call by code, the ones left out of `errors` included. */
  errorCounts: Record<string, number>;
  recording: RecordRecording | null;
  /** Recordings Vonage made itself (the NCCO `record` action), from the event webhooks. */
  vonageRecordings: Array<{ atMs: number; url: string }>;
  stats: { framesIn: number; framesOut: number; framesDropped: number; dtmfIn: number; textRejected: number; pacerUnderruns: number };
  /** What was left out to keep the record bounded: the list, how many were kept and left out, why. */
  truncated: Array<{ field: string; kept: number; dropped: number; reason: string }>;
  analysis: RecordAnalysis;
}

/** What the call history lists of a record (`GET /api/history`). */
export interface HistoryEntry {
  /** The record's file name without `.json`: the call's start time, then its id. */
  name: string;
  id: string;
  startedAt: string;
  durationMs: number;
  from: string | null;
  to: string | null;
  direction: string;
  app: string;
  outcome: string;
  label?: string;
  turns: number;
  interruptions: number;
  toolCalls: number;
  medianLatencyMs: number | null;
  recording: boolean;
}
