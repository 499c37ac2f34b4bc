/**
 * What instances read back from Redis, checked before it is used: Redis is shared, and anything under
 * our prefix may have been written by a broken or hostile program, an old version, or by hand. A
 * record that does not fit is skipped (and logged by sample), never trusted: one junk key must not
 * hide every instance's calls, nor fail call control, nor cost more memory than its cap.
 */
import { z } from 'zod';

/**
 * Largest instance record read: a full instance (2000 calls of about 2 KB, their socket timelines and
 * transcripts) stays well under 8 MiB; a larger value under our key is not ours.
 */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;
/**
 * All instance records one listing reads, bytes: an ordinary call's snapshot is 1 to 2 KB, so this is
 * about 10 000 calls, five full instances. The smallest records are read first (an ordinary instance's
 * is a few KB); what would pass the budget is left out with a coded line. Before, twelve 8 MB records
 * were all read on every listing: /api/calls took a second and the process grew by a gigabyte.
 */
export const MAX_LISTING_RECORD_BYTES = 16 * 1024 * 1024;
/**
 * All leg events one listing reads, bytes: an event travels in about 400 bytes and a call has a
 * handful, so this is the events of some 2 000 calls; 2 000 legs of 32 events of 16 KB (the caps
 * below) would otherwise be a gigabyte. Legs past it are listed without their events.
 */
export const MAX_LISTING_EVENT_BYTES = 8 * 1024 * 1024;
/** Largest leg event read: events travel without their raw body, a few hundred bytes. */
export const MAX_SHARED_EVENT_BYTES = 16 * 1024;
/** Instances one listing reads at most: a deployment of hundreds, with room to spare. */
export const MAX_INSTANCES = 1000;
/** Largest pub/sub message handled: a play command carries at most a 4 MiB WAV, 5.6 MB in base64. */
export const MAX_CONTROL_MESSAGE_BYTES = 6 * 1024 * 1024;

const text = z.string().max(10_000);
const optionalText = text.optional();
const count = z.number().finite();

const transcriptEntry = z.object({
  kind: z.enum(['interim', 'final']),
  text: z.string().max(100_000),
  startMs: count,
  endMs: count,
  engine: text,
  sentiment: z.object({ label: text, score: count, comparative: count }).optional(),
});

const agentTurn = z.object({
  callerEndMs: count.optional(),
  caller: z.string().max(100_000).optional(),
  agent: z.string().max(100_000).optional(),
  interrupted: z.object({ heardMs: count, sentMs: count }).optional(),
  latency: z.object({ totalMs: count, modelMs: count, oursMs: count, recognitionMs: count.optional(), synthesisMs: count.optional() }).optional(),
});

/** A call snapshot as call/call-snapshot.ts makes it (JSON drops the undefined fields). */
export const callSnapshotSchema = z.object({
  pid: count,
  instance: optionalText,
  id: text,
  uuid: optionalText,
  conversationUuid: optionalText,
  from: optionalText,
  to: optionalText,
  state: text,
  status: optionalText,
  startedAt: count,
  durationMs: count,
  rate: count,
  framesIn: count,
  framesOut: count,
  framesDropped: count,
  dtmf: count,
  playedMs: count,
  levelInDb: count.nullable(),
  levelOutDb: count.nullable(),
  closeCode: count.optional(),
  speech: z.object({ callerSpeaking: z.boolean(), appSpeaking: z.boolean(), transcript: z.array(transcriptEntry) }).optional(),
  agent: z.object({ turns: z.array(agentTurn) }).optional(),
  timeline: z.array(z.object({ at: count, source: z.enum(['webhook', 'socket']), text })),
});

export const instanceRecordSchema = z.object({
  instance: text,
  at: count,
  /** The fingerprint of the key it signs call control with (control-signing.ts), when it has one. */
  keyId: optionalText,
  calls: z.array(callSnapshotSchema),
  recent: z.array(callSnapshotSchema),
});

/** A leg's event as an instance shares it (protocol/webhooks.ts's CallEvent, without its raw body). */
export const sharedEventSchema = z.object({
  kind: z.enum(['status', 'input', 'record', 'transcription', 'transfer', 'notify', 'error', 'unknown']),
  status: optionalText,
  legUuid: optionalText,
  conversationUuid: optionalText,
  direction: z.enum(['inbound', 'outbound']).optional(),
  from: optionalText,
  to: optionalText,
  timestamp: optionalText,
  detail: optionalText,
  duration: count.optional(),
  rate: count.optional(),
  price: count.optional(),
  headers: z.record(z.string(), z.unknown()).optional(),
  reason: optionalText,
  raw: z.record(z.string(), z.unknown()),
});

const wireCommand = z.discriminatedUnion('action', [
  z.object({ action: z.literal('hangup') }),
  z.object({ action: z.literal('clear') }),
  z.object({ action: z.literal('play'), wav: z.string() }),
  z.object({ action: z.literal('transfer'), to: z.string().max(200), briefing: z.string().max(2000).optional() }),
  z.object({ action: z.literal('dtmf'), digits: z.string().max(100) }),
]);

/** A request names the instance it is for and when it was made: it cannot be sent elsewhere, or later (control-signing.ts). */
export const controlRequestSchema = z.object({ id: text, from: text, to: text, at: count, call: text, command: wireCommand });
export const controlReplySchema = z.object({ id: text, from: text, to: text, at: count, found: z.boolean() });

export type InstanceRecord = z.infer<typeof instanceRecordSchema>;
export type ControlRequest = z.infer<typeof controlRequestSchema>;
export type ControlReply = z.infer<typeof controlReplySchema>;

/** Parses JSON of at most `maxBytes` against a schema; undefined for anything else. */
export function parseShared<T>(schema: z.ZodType<T>, raw: string, maxBytes: number): T | undefined {
  if (raw.length > maxBytes) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
