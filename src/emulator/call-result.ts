/**
 * What an emulated call is asked to do and what it reports: the options of `placeCall`, the result
 * (answer, events, the websocket leg, what the caller heard) and the REST API's view of a leg.
 * Words only, and the one mapping from a leg to Vonage's REST record.
 */
import type { FrameClock } from '../audio/frame-clock.js';
import type { Ncco } from '../protocol/ncco.js';
import type { CallerAudioSpec } from './caller-audio.js';
import type { Leg } from './event-payloads.js';
import type { EmulatorSwitches } from './switches.js';
import type { TimelineEntry } from './timeline.js';
import type { Signing } from './webhook-client.js';
import type { DtmfPress, LegResult } from './websocket-leg.js';
import type { WEBHOOK_TIMEOUTS } from './ncco-fetch.js';

export interface PlaceCallOptions {
  /** Where the NCCO comes from; or give `ncco` directly (a REST-created call). */
  answerUrl?: string;
  ncco?: Ncco;
  /**
   * Actions run before the answer fetch: a REST-created call reaches its `to` endpoint first, then
   * Vonage fetches `answer_url` for the NCCO to run on it.
   */
  prelude?: Ncco;
  answerMethod?: 'GET' | 'POST';
  eventUrl?: string;
  eventMethod?: 'GET' | 'POST';
  fallbackUrl?: string;
  from?: string;
  to?: string;
  /** What the caller says on the socket (default: silence, tagged for round-trip measurement). */
  audio?: CallerAudioSpec;
  /** How long the caller stays on the socket before hanging up, ms (default 10 s). */
  durationMs?: number;
  dtmf?: DtmfPress[];
  /** Extra text messages on the socket at given times. */
  inject?: Array<{ atMs: number; text: string }>;
  binaryFirst?: boolean;
  /** Connect wss:// endpoints as ws:// (testing an app on this machine; see WebsocketLegOptions.plainWs). */
  plainWs?: boolean;
  /** Digits the caller enters at each `input` action, in order. */
  inputDigits?: string[];
  /** `talk` in real time with speech (default), or skipped (load tests). */
  talk?: 'realtime' | 'skip';
  record?: boolean;
  /**
   * Transcribe what the caller heard (implies `record`), after the call, with the offline engine:
   * `true` for free-form, or `{ choices }` for the phrases the test expects (far more reliable).
   */
  transcribeHeard?: boolean | { choices?: string[] };
  /** Round trips in the first `warmupMs` of the socket are not counted. */
  warmupMs?: number;
  signing?: Signing;
  switches?: Partial<EmulatorSwitches>;
  timeouts?: Partial<typeof WEBHOOK_TIMEOUTS>;
  clock?: FrameClock;
  onTimeline?: (entry: TimelineEntry) => void;
}

export interface PostedEvent {
  url: string;
  body: Record<string, unknown>;
  status?: number;
  error?: string;
}

export interface AnswerOutcome {
  ok: boolean;
  attempts: number;
  usedFallback: boolean;
  latencyMs?: number;
  status?: number;
  error?: string;
}

export interface CallResult {
  uuid: string;
  conversationUuid: string;
  answer: AnswerOutcome;
  ncco?: unknown;
  nccoWarnings: string[];
  nccoIssues: string[];
  leg?: LegResult;
  websocketLegUuid?: string;
  events: PostedEvent[];
  timeline: TimelineEntry[];
  /** With `record`: everything the caller heard, in order — talk actions, then the websocket leg — at the leg's rate. */
  heard?: { pcm: Buffer; sampleRate: number };
  /** With `transcribeHeard`: what the caller heard, in ms of the recording (`heard`). */
  heardTranscript?: HeardUtterance[];
  /** With `transcribeHeard`: why it could not be transcribed (the engine failed). */
  heardTranscriptError?: string;
  /** Everything Vonage would not have accepted. Empty means the call was accepted. */
  problems: string[];
  accepted: boolean;
  durationMs: number;
}

export interface HeardUtterance {
  text: string;
  startMs: number;
  endMs: number;
}

export type { InjectRequest } from './injected-audio.js';

/** One leg as `GET /v1/calls` lists it. */
export interface LegRecord {
  uuid: string;
  conversation_uuid: string;
  status: string;
  direction: 'inbound' | 'outbound';
  from: { type: string; number?: string; uri?: string };
  to: { type: string; number?: string; uri?: string };
  rate: string;
  price: string;
  duration: string;
  start_time: string;
  end_time?: string;
  network: string;
}

function endpointOf(address: string): { type: string; number?: string; uri?: string } {
  return /^wss?:\/\//.test(address) ? { type: 'websocket', uri: address } : { type: 'phone', number: address };
}

export function legRecord(leg: Leg, endedAt: number | undefined, status: string): LegRecord {
  return {
    uuid: leg.uuid,
    conversation_uuid: leg.conversationUuid,
    status,
    direction: leg.direction,
    from: endpointOf(leg.from),
    to: endpointOf(leg.to),
    rate: '0.00',
    price: '0.00',
    duration: String(Math.round(((endedAt ?? Date.now()) - leg.startedAt) / 1000)),
    start_time: new Date(leg.startedAt).toISOString(),
    ...(endedAt ? { end_time: new Date(endedAt).toISOString() } : {}),
    network: 'emulator',
  };
}
