/**
 * The call record builder: timed events of one call in, a version 1 record out (call-record.ts).
 * Pure: the journal (call-journal.ts) turns a session's events into these with their times, and a
 * test feeds an hour of them in milliseconds. Every list is bounded (RECORD_LIMITS), so a call of
 * any length costs the same few hundred kilobytes at most; what was left out is listed in `truncated`.
 */
import type { CallActivity } from '../call/call-activity.js';
import type { CallIdentity } from '../call/call-types.js';
import { heardWords } from '../agents/heard-text.js';
import { BoundedList } from './bounded-list.js';
import {
  CALL_RECORD_TYPE,
  CALL_RECORD_VERSION,
  RECORD_LIMITS,
  type CallRecord,
  type RecordAnalysis,
  type RecordError,
  type RecordInterruption,
  type RecordRecording,
  type RecordToolCall,
  type RecordTurn,
} from './call-record.js';

/** What the journal tells the builder, each at a time in ms since the socket opened. */
export type JournalEvent =
  | { type: 'connected'; identity: CallIdentity; rate: number }
  | { type: 'speech-start' }
  | { type: 'speech-end' }
  | { type: 'transcript'; startMs: number; endMs: number; text: string; engine: string }
  | { type: 'dtmf'; digit: string; durationMs?: number }
  /** `playsUntilMs`: when the audio queued so far will have played (a reply's end, if nothing cut it). */
  | { type: 'activity'; activity: CallActivity; playsUntilMs?: number };

/** What only the call's end knows. */
export interface CallFacts {
  id: string;
  callId: string;
  app: string;
  instance: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  closeCode: number;
  closeReason: string;
  result: string;
  legStatus?: string | undefined;
  /** The caller's leg's direction from the event webhooks. */
  direction?: 'inbound' | 'outbound' | undefined;
  /** Vonage's own events of the call's legs, for machine detection, transfers and its recordings. */
  legEvents?: Array<{ status?: string | undefined; kind: string; timestamp?: string | undefined; raw: Record<string, unknown> }>;
  stats: CallRecord['stats'];
  recording: RecordRecording | null;
  analysis: RecordAnalysis;
}

/** Replies still matched by id to their turns: a late cut or text comes for one of the last few. */
const OPEN_REPLIES = 16;
/** Caller turns a late final transcript is matched against. */
const RECENT_CALLER_TURNS = 8;
/** A final whose span starts this close after a turn's end still belongs to it (the engine's own end-pointing differs). */
const SAME_UTTERANCE_MS = 300;
/** A `say` answers the caller's last utterance only if it began this soon after it (else it is no reply). */
const SAY_REPLY_WINDOW_MS = 10_000;
/** Identity headers that are already fields of the record. */
const IDENTITY_HEADERS = new Set(['uuid', 'conversation_uuid', 'from', 'to']);

function cutText(text: string, max: number): { text: string; cut: boolean } {
  return text.length <= max ? { text, cut: false } : { text: `${text.slice(0, max - 1)}…`, cut: true };
}

/** A tool's arguments as given, or their JSON cut to size (a string ending in …). */
function boundedValue(value: unknown, max: number): unknown {
  const json = JSON.stringify(value) ?? 'null';
  return json.length <= max ? (value ?? null) : cutText(json, max).text;
}

export class CallRecordBuilder {
  private identity: CallIdentity | undefined;
  private rate = 0;
  private connectedMs: number | null = null;
  private readonly turns = new BoundedList<RecordTurn>(RECORD_LIMITS.turns);
  private readonly replies = new Map<string, RecordTurn>();
  private openCaller: RecordTurn | undefined;
  private readonly interruptions = new BoundedList<RecordInterruption>(RECORD_LIMITS.interruptions);
  private readonly toolCalls = new BoundedList<RecordToolCall>(RECORD_LIMITS.toolCalls);
  private readonly tools = new Map<string, RecordToolCall>();
  private readonly dtmf = new BoundedList<CallRecord['dtmf'][number]>(RECORD_LIMITS.dtmf);
  private readonly errors = new BoundedList<RecordError>(RECORD_LIMITS.errors);
  private readonly errorCounts: Record<string, number> = {};
  private machineDetection: CallRecord['machineDetection'] = null;
  private readonly transfers = new BoundedList<CallRecord['transfers'][number]>(RECORD_LIMITS.transfers);
  private direction: 'inbound' | 'outbound' | undefined;
  private lastClearMs: number | undefined;
  private textsCut = 0;
  private toolValuesCut = 0;

  add(atMs: number, event: JournalEvent): void {
    const at = Math.round(atMs);
    switch (event.type) {
      case 'connected':
        this.identity = event.identity;
        this.rate = event.rate;
        this.connectedMs ??= at;
        return;
      case 'speech-start':
        this.openCaller = this.newTurn({ speaker: 'caller', startMs: at, endMs: null, text: '' });
        return;
      case 'speech-end':
        if (this.openCaller) this.openCaller.endMs = Math.max(this.openCaller.startMs, at);
        this.openCaller = undefined;
        return;
      case 'transcript':
        return this.callerWords(at, Math.round(event.startMs), Math.round(event.endMs), event.text, event.engine);
      case 'dtmf':
        this.dtmf.push({ atMs: at, digit: event.digit, direction: 'in', ...(event.durationMs !== undefined ? { durationMs: event.durationMs } : {}) });
        return;
      case 'activity':
        return this.activity(at, event.activity, event.playsUntilMs);
    }
  }

  private activity(at: number, activity: CallActivity, playsUntilMs: number | undefined): void {
    switch (activity.kind) {
      case 'reply-started': {
        if (this.replies.has(activity.replyId)) return;
        const turn = this.newTurn({
          speaker: 'agent',
          startMs: at,
          endMs: null,
          text: '',
          by: activity.by,
          replyId: activity.replyId,
          timings: { requestedMs: at },
        });
        this.replies.set(activity.replyId, turn);
        if (this.replies.size > OPEN_REPLIES) this.replies.delete(this.replies.keys().next().value!);
        return;
      }
      case 'reply-text': {
        const turn = this.replies.get(activity.replyId);
        if (!turn) return;
        if (turn.timings && turn.timings.firstTextMs === undefined && activity.text) turn.timings.firstTextMs = at;
        this.setText(turn, activity.text);
        return;
      }
      case 'reply-audio': {
        const turn = this.replies.get(activity.replyId);
        if (!turn || turn.timings?.firstAudioMs !== undefined) return;
        turn.timings = { ...turn.timings!, firstAudioMs: at };
        // The caller starts hearing a reply as its first audio comes: the pacer sends it at once.
        turn.startMs = at;
        if (turn.by === 'say' && !turn.latency) this.sayLatency(turn, at);
        return;
      }
      case 'reply-latency': {
        const turn = this.replies.get(activity.replyId);
        if (turn) turn.latency = { totalMs: activity.totalMs, providerMs: activity.providerMs, oursMs: activity.oursMs };
        return;
      }
      case 'interrupted': {
        const turn = this.replies.get(activity.replyId);
        this.interruptions.push({ atMs: at, replyId: activity.replyId, heardMs: activity.heardMs, sentMs: activity.sentMs, by: activity.by });
        if (!turn) return;
        turn.cut = 'barge-in';
        turn.heardMs = activity.heardMs;
        turn.sentMs = activity.sentMs;
        turn.endMs = at;
        if (activity.heardText !== undefined) turn.heard = activity.heardText;
        return;
      }
      case 'reply-done':
        return this.replyDone(at, activity, playsUntilMs);
      case 'caller-text': {
        const last = this.lastCaller();
        // The cascade hears the caller with our own engine: its text is the final already kept.
        if (last && last.text === activity.text) return;
        if (last && !last.text && last.endMs !== null) this.setText(last, activity.text);
        else this.newTurn({ speaker: 'caller', startMs: at, endMs: at, text: '' }, activity.text);
        return;
      }
      case 'tool-call': {
        const call: RecordToolCall = {
          atMs: at,
          endMs: null,
          callId: activity.callId,
          name: activity.name,
          arguments: this.toolValue(activity.arguments),
          result: null,
        };
        this.toolCalls.push(call);
        this.tools.set(activity.callId, call);
        if (this.tools.size > OPEN_REPLIES) this.tools.delete(this.tools.keys().next().value!);
        return;
      }
      case 'tool-result': {
        const call = this.tools.get(activity.callId);
        if (!call) return;
        this.tools.delete(activity.callId);
        call.endMs = at;
        call.result = this.toolValue(activity.result) as string;
        if (activity.failed) call.failed = true;
        return;
      }
      case 'clear':
        this.lastClearMs = at;
        return;
      case 'error': {
        this.errorCounts[activity.code] = (this.errorCounts[activity.code] ?? 0) + 1;
        const detail = activity.detail === undefined ? undefined : cutText(activity.detail, 300).text;
        this.errors.push({ atMs: at, code: activity.code, message: cutText(activity.message, 300).text, ...(detail !== undefined ? { detail } : {}) });
        return;
      }
      case 'machine-detection':
        this.machineDetection = { atMs: at, result: activity.result, ...(activity.detail ? { detail: activity.detail } : {}) };
        return;
      case 'transfer':
        this.transfers.push({
          atMs: at,
          to: activity.to,
          ...(activity.mode ? { mode: activity.mode } : {}),
          ...(activity.detail ? { detail: activity.detail } : {}),
        });
        return;
      case 'dtmf-sent':
        for (const digit of activity.digits) this.dtmf.push({ atMs: at, digit, direction: 'out' });
        return;
      case 'direction':
        this.direction = activity.direction;
        return;
    }
  }

  private replyDone(at: number, done: Extract<CallActivity, { kind: 'reply-done' }>, playsUntilMs: number | undefined): void {
    const turn = this.replies.get(done.replyId);
    if (!turn) return;
    if (done.sentMs !== undefined) turn.sentMs = done.sentMs;
    if (done.heardMs !== undefined) turn.heardMs = done.heardMs;
    if (turn.cut) return;
    if (done.cut) {
      turn.cut = done.cut;
      // A `say` is cut by the app's clear (its barge-in), which came a moment before the play ended.
      const cutAt = done.cut === 'barge-in' && this.lastClearMs !== undefined && this.lastClearMs >= turn.startMs ? this.lastClearMs : at;
      turn.endMs = cutAt;
      if (done.cut === 'barge-in')
        this.interruptions.push({ atMs: cutAt, replyId: done.replyId, heardMs: done.heardMs ?? 0, sentMs: done.sentMs ?? 0, by: 'app' });
      return;
    }
    turn.endMs = Math.max(at, Math.round(playsUntilMs ?? at));
  }

  /** A `say` reply's latency: from the end of the caller's utterance it answers to its first audio. */
  private sayLatency(turn: RecordTurn, audioAt: number): void {
    const caller = this.lastCaller();
    const requested = turn.timings?.requestedMs ?? audioAt;
    if (!caller || caller.endMs === null || caller.endMs > requested || requested - caller.endMs > SAY_REPLY_WINDOW_MS) return;
    turn.latency = { totalMs: audioAt - caller.endMs };
  }

  /** A final transcript: the words of the caller's utterance it overlaps, or an utterance of its own. */
  private callerWords(at: number, startMs: number, endMs: number, text: string, engine: string): void {
    if (!text.trim()) return;
    for (const turn of this.turns.recent(RECENT_CALLER_TURNS * 2)) {
      if (turn.speaker !== 'caller') continue;
      const ends = turn.endMs ?? Infinity;
      if (turn.startMs <= endMs && ends + SAME_UTTERANCE_MS >= startMs) {
        turn.by ??= engine;
        turn.transcribedMs = at;
        this.setText(turn, turn.text ? `${turn.text} ${text}` : text);
        return;
      }
      if (ends < startMs) break;
    }
    this.newTurn({ speaker: 'caller', startMs, endMs, text: '', by: engine, transcribedMs: at }, text);
  }

  private lastCaller(): RecordTurn | undefined {
    for (const turn of this.turns.recent(RECENT_CALLER_TURNS * 2)) if (turn.speaker === 'caller') return turn;
    return undefined;
  }

  private newTurn(turn: RecordTurn, text?: string): RecordTurn {
    this.turns.push(turn);
    if (text !== undefined) this.setText(turn, text);
    return turn;
  }

  private setText(turn: RecordTurn, text: string): void {
    const bounded = cutText(text, RECORD_LIMITS.textChars);
    if (bounded.cut && !turn.textCut) {
      turn.textCut = true;
      this.textsCut++;
    }
    turn.text = bounded.text;
  }

  private toolValue(value: unknown): unknown {
    const bounded = boundedValue(value, RECORD_LIMITS.toolChars);
    if (bounded !== value && bounded !== null) this.toolValuesCut++;
    return bounded;
  }

  /** The record, as of the call's end. */
  build(facts: CallFacts): CallRecord {
    const identity = this.identity;
    const atOf = (timestamp: string | undefined) => {
      const wall = timestamp ? Date.parse(timestamp) : NaN;
      return Number.isFinite(wall) ? Math.max(0, Math.round(wall - facts.startedAt)) : facts.durationMs;
    };
    const transfers = this.transfers.toArray();
    const vonageRecordings: CallRecord['vonageRecordings'] = [];
    let machineDetection = this.machineDetection;
    for (const event of facts.legEvents ?? []) {
      if (!machineDetection && (event.status === 'human' || event.status === 'machine'))
        machineDetection = { atMs: atOf(event.timestamp), result: event.status, detail: 'vonage machine_detection' };
      if (event.kind === 'transfer' && transfers.length < RECORD_LIMITS.transfers)
        transfers.push({ atMs: atOf(event.timestamp), to: String(event.raw.conversation_uuid_to ?? event.raw.to ?? ''), detail: 'vonage transfer event' });
      if (event.kind === 'record' && typeof event.raw.recording_url === 'string' && vonageRecordings.length < RECORD_LIMITS.vonageRecordings)
        vonageRecordings.push({ atMs: atOf(event.timestamp), url: event.raw.recording_url });
    }
    const turns = this.turns.toArray().map((turn) => this.finished(turn, facts.durationMs));
    turns.sort((a, b) => a.startMs - b.startMs);
    const latencies = turns.flatMap((turn) => (turn.latency ? [turn.latency.totalMs] : [])).sort((a, b) => a - b);
    const headers = this.customHeaders();
    return {
      type: CALL_RECORD_TYPE,
      version: CALL_RECORD_VERSION,
      id: facts.id,
      call: {
        id: facts.callId,
        uuid: identity?.uuid ?? null,
        conversationUuid: identity?.conversationUuid ?? null,
        from: identity?.from ?? null,
        to: identity?.to ?? null,
        direction: this.direction ?? facts.direction ?? 'unknown',
        ...(headers ? { headers } : {}),
        rate: this.rate,
        app: facts.app,
        instance: facts.instance,
      },
      startedAt: new Date(facts.startedAt).toISOString(),
      endedAt: new Date(facts.endedAt).toISOString(),
      connectedMs: this.connectedMs,
      durationMs: Math.round(facts.durationMs),
      outcome: {
        result: facts.result,
        closeCode: facts.closeCode,
        closeReason: facts.closeReason,
        legStatus: facts.legStatus ?? null,
        ...(facts.analysis.outcome ? { label: facts.analysis.outcome } : {}),
      },
      turns,
      interruptions: this.interruptions.toArray(),
      toolCalls: this.toolCalls.toArray(),
      dtmf: this.dtmf.toArray(),
      machineDetection,
      transfers,
      latency: {
        replies: latencies.length,
        medianMs: latencies.length > 0 ? latencies[Math.floor((latencies.length - 1) / 2)]! : null,
        maxMs: latencies.at(-1) ?? null,
      },
      errors: this.errors.toArray(),
      errorCounts: { ...this.errorCounts },
      recording: facts.recording,
      vonageRecordings,
      stats: facts.stats,
      truncated: this.truncated(),
      analysis: facts.analysis,
    };
  }

  /** A turn as it is written: an open one ends with the call, a cut reply says what was heard. */
  private finished(turn: RecordTurn, durationMs: number): RecordTurn {
    const done: RecordTurn = { ...turn, ...(turn.timings ? { timings: { ...turn.timings } } : {}) };
    if (done.endMs === null) {
      done.endMs = Math.max(done.startMs, Math.round(durationMs));
      // A reply still playing when the call ended was cut by the hang-up.
      if (done.speaker === 'agent') done.cut ??= 'hangup';
    }
    if (done.cut && done.heard === undefined && done.heardMs !== undefined && done.sentMs) done.heard = heardWords(done.text, done.heardMs, done.sentMs);
    return done;
  }

  /** The custom headers the call came with (the identity is in `call` already), bounded. */
  private customHeaders(): Record<string, unknown> | undefined {
    const headers = Object.entries(this.identity?.headers ?? {}).filter(([name]) => !IDENTITY_HEADERS.has(name));
    if (headers.length === 0) return undefined;
    const kept = Object.fromEntries(headers);
    const json = JSON.stringify(kept);
    return json.length <= RECORD_LIMITS.headerChars ? kept : { voicesocket_cut: cutText(json, RECORD_LIMITS.headerChars).text };
  }

  private truncated(): CallRecord['truncated'] {
    const notes: CallRecord['truncated'] = [];
    const list = (field: string, items: BoundedList<unknown>, what: string) => {
      if (items.dropped > 0)
        notes.push({
          field,
          kept: items.length,
          dropped: items.dropped,
          reason: `more than ${items.limit} ${what}: the first and last ${items.limit / 2} are kept`,
        });
    };
    list('turns', this.turns, 'turns');
    list('interruptions', this.interruptions, 'interruptions');
    list('toolCalls', this.toolCalls, 'tool calls');
    list('dtmf', this.dtmf, 'digits');
    list('errors', this.errors, 'coded faults (errorCounts has them all)');
    list('transfers', this.transfers, 'transfers');
    if (this.textsCut > 0)
      notes.push({
        field: 'turns[].text',
        kept: this.turns.length,
        dropped: this.textsCut,
        reason: `texts over ${RECORD_LIMITS.textChars} characters were cut there (textCut)`,
      });
    if (this.toolValuesCut > 0)
      notes.push({
        field: 'toolCalls[].arguments,result',
        kept: this.toolCalls.length,
        dropped: this.toolValuesCut,
        reason: `values over ${RECORD_LIMITS.toolChars} characters of JSON were cut there (a string ending in …)`,
      });
    return notes;
  }
}
