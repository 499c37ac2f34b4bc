/**
 * A call's trace, read from its record: the spans and their attributes, before any tracing SDK is
 * involved (call-tracing.ts hands them to OpenTelemetry). Pure, so the shape of a trace is tested
 * without a collector.
 *
 * One trace per call, its root the call; a span per turn; under an agent's turn what it was made of:
 * the caller's words to text (`stt`), the chat model (`chat <provider>`, OpenTelemetry's GenAI
 * operation `chat`), text to speech (`tts`), a voice model's round trip (`provider_round_trip`), and
 * the tools it ran (`execute_tool <name>`, GenAI's `execute_tool`). What was said goes into spans
 * only when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true (the GenAI conventions' switch):
 * traces often go where transcripts should not.
 */
import type { CallRecord, RecordTurn } from './call-record.js';

export type SpanAttributes = Record<string, string | number | boolean>;

export interface SpanSpec {
  name: string;
  /** Index of the parent span in the list; -1 for the root. */
  parent: number;
  kind: 'server' | 'internal' | 'client';
  /** Ms since the call's socket opened, as everywhere in the record. */
  startMs: number;
  endMs: number;
  attributes: SpanAttributes;
  /** Set when the span failed: its status is an error with this message. */
  error?: string;
}

function defined(attributes: Record<string, string | number | boolean | undefined | null>): SpanAttributes {
  return Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined && value !== null)) as SpanAttributes;
}

/** The caller's turn a reply answers: the last one that ended before the reply was asked for. */
function answered(turns: RecordTurn[], reply: RecordTurn): RecordTurn | undefined {
  const asked = reply.timings?.requestedMs ?? reply.startMs;
  let found: RecordTurn | undefined;
  for (const turn of turns) if (turn.speaker === 'caller' && turn.endMs !== null && turn.endMs <= asked) found = turn;
  return found;
}

export function spansOf(record: CallRecord, captureContent = false): SpanSpec[] {
  const spans: SpanSpec[] = [
    {
      name: 'call',
      parent: -1,
      kind: 'server',
      startMs: 0,
      endMs: record.durationMs,
      attributes: defined({
        'voicesocket.call.id': record.call.id,
        'voicesocket.record.id': record.id,
        'voicesocket.app': record.call.app,
        'voicesocket.call.direction': record.call.direction,
        'voicesocket.call.outcome': record.outcome.result,
        'voicesocket.call.close_code': record.outcome.closeCode,
        'vonage.call.uuid': record.call.uuid,
        'vonage.conversation.uuid': record.call.conversationUuid,
        'gen_ai.conversation.id': record.call.id,
        'voicesocket.interruptions': record.interruptions.length,
      }),
      ...(record.outcome.result === 'normal' ? {} : { error: `${record.outcome.result} (${record.outcome.closeCode} ${record.outcome.closeReason})` }),
    },
  ];
  const add = (span: SpanSpec) => spans.push({ ...span, endMs: Math.max(span.startMs, span.endMs) }) - 1;
  const agentTurns: Array<{ index: number; turn: RecordTurn }> = [];
  for (const turn of record.turns) {
    const endMs = turn.endMs ?? record.durationMs;
    if (turn.speaker === 'caller') {
      const index = add({
        name: 'caller_turn',
        parent: 0,
        kind: 'internal',
        startMs: turn.startMs,
        endMs,
        attributes: defined({ 'voicesocket.turn.speaker': 'caller', 'voicesocket.turn.text': captureContent ? turn.text : undefined }),
      });
      if (turn.transcribedMs !== undefined && turn.by)
        add({ name: 'stt', parent: index, kind: 'client', startMs: endMs, endMs: turn.transcribedMs, attributes: { 'voicesocket.stt.engine': turn.by } });
      continue;
    }
    const timings = turn.timings;
    const caller = answered(record.turns, turn);
    const index = add({
      name: 'agent_turn',
      parent: 0,
      kind: 'internal',
      startMs: Math.min(turn.startMs, timings?.requestedMs ?? turn.startMs),
      endMs,
      attributes: defined({
        'voicesocket.turn.speaker': 'agent',
        'voicesocket.reply.id': turn.replyId,
        'gen_ai.provider.name': turn.by === 'say' ? undefined : turn.by,
        'voicesocket.turn.cut': turn.cut,
        'voicesocket.turn.heard_ms': turn.heardMs,
        'voicesocket.turn.sent_ms': turn.sentMs,
        'voicesocket.latency.total_ms': turn.latency?.totalMs,
        'voicesocket.latency.provider_ms': turn.latency?.providerMs,
        'voicesocket.latency.ours_ms': turn.latency?.oursMs,
        'voicesocket.turn.text': captureContent ? turn.text : undefined,
        'voicesocket.turn.heard': captureContent ? turn.heard : undefined,
      }),
    });
    agentTurns.push({ index, turn });
    if (!timings || timings.firstAudioMs === undefined) continue;
    const { requestedMs, firstTextMs, firstAudioMs } = timings;
    if (turn.by === 'say') {
      add({ name: 'tts', parent: index, kind: 'client', startMs: requestedMs, endMs: firstAudioMs, attributes: { 'voicesocket.tts.reply': 'say' } });
    } else if (firstTextMs !== undefined && firstTextMs < firstAudioMs && turn.by === 'cascade') {
      // The cascade: the chat model until its first sentence, then the speech of it.
      add({
        name: `chat ${turn.by}`,
        parent: index,
        kind: 'client',
        startMs: requestedMs,
        endMs: firstTextMs,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': turn.by },
      });
      add({ name: 'tts', parent: index, kind: 'client', startMs: firstTextMs, endMs: firstAudioMs, attributes: {} });
    } else {
      // A voice model hears and speaks itself: from the caller's end of speech to its first audio.
      const from = turn.latency?.providerMs !== undefined ? firstAudioMs - turn.latency.providerMs : (caller?.endMs ?? requestedMs);
      add({
        name: 'provider_round_trip',
        parent: index,
        kind: 'client',
        startMs: from,
        endMs: firstAudioMs,
        attributes: defined({ 'gen_ai.provider.name': turn.by }),
      });
    }
  }
  for (const tool of record.toolCalls) {
    const owner = agentTurns.findLast(({ turn }) => (turn.timings?.requestedMs ?? turn.startMs) <= tool.atMs);
    add({
      name: `execute_tool ${tool.name}`,
      parent: owner?.index ?? 0,
      kind: 'internal',
      startMs: tool.atMs,
      endMs: tool.endMs ?? tool.atMs,
      attributes: defined({
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': tool.name,
        'gen_ai.tool.call.id': tool.callId,
        'gen_ai.tool.call.arguments': captureContent ? JSON.stringify(tool.arguments) : undefined,
        'gen_ai.tool.call.result': captureContent && tool.result !== null ? tool.result : undefined,
      }),
      ...(tool.failed ? { error: 'the tool failed' } : {}),
    });
  }
  return spans;
}
