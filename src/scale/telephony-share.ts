/**
 * Telephony across instances over Redis (`--redis`; src/telephony/relay.ts says why): dial records
 * under their own keys, and one pub/sub channel on which every instance relays the status events of
 * outbound legs and the verdicts of warm-transfer briefings. Everything read back is checked (a
 * record or message that does not fit is skipped and logged by sample); nothing runs per frame.
 *
 * Keys and channel (all under `voicesocket:telephony:`):
 *   dial:<id>   a DialRecord, at most MAX_DIAL_RECORD_BYTES, expiring with the call's timers
 *   relay       pub/sub: { from, message } — a message of instance `from` (its own are ignored)
 *
 * Records and messages are signed with the instances' control key (control-signing.ts): a Redis
 * client without the secret can read a record (a call's context) but cannot forge one, nor an event
 * or a briefing's verdict. Without a key nothing is shared (server.ts says so at start).
 */
import { z } from 'zod';
import type { Logger } from '../call/logger.js';
import { SampledLog } from '../call/logger.js';
import { errorCode } from '../errors.js';
import type { DialRecord, DialStore } from '../telephony/dial-store.js';
import type { RelayMessage, TelephonyRelay } from '../telephony/relay.js';
import type { RedisLink } from './redis-link.js';
import { openControl, signControl, type ControlKey } from './control-signing.js';

export const TELEPHONY_PREFIX = 'voicesocket:telephony:';
const dialKey = (id: string) => `${TELEPHONY_PREFIX}dial:${id}`;
const RELAY_CHANNEL = `${TELEPHONY_PREFIX}relay`;

/** A record holds a 16 KiB context and a briefing of a few sentences: more is not ours. */
export const MAX_DIAL_RECORD_BYTES = 64 * 1024;
/** A relayed event travels without its raw body: a few hundred bytes. */
export const MAX_RELAY_MESSAGE_BYTES = 64 * 1024;

const text = z.string().max(10_000);
const optionalText = text.optional();

const dialRecordSchema = z.object({
  dialId: text,
  to: text,
  from: text,
  context: z.unknown(),
  uuid: optionalText,
  conversationUuid: optionalText,
  machineDetection: z.enum(['detect', 'detect-beep', 'async']).optional(),
  instance: text,
  briefing: z.object({ transferId: text, text: z.string().max(20_000), acceptWindowMs: z.number().int().min(0).max(600_000) }).optional(),
});

const relayedEventSchema = z.object({
  kind: z.literal('status'),
  status: optionalText,
  legUuid: text,
  conversationUuid: optionalText,
  direction: z.enum(['inbound', 'outbound']).optional(),
  from: optionalText,
  to: optionalText,
  timestamp: optionalText,
  detail: optionalText,
  duration: z.number().finite().optional(),
  reason: optionalText,
  subState: optionalText,
  raw: z.record(z.string(), z.unknown()),
});

const relaySchema = z.object({
  from: text,
  message: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('event'), event: relayedEventSchema }),
    z.object({ kind: z.literal('briefed'), transferId: text, accepted: z.boolean(), detail: text }),
  ]),
});

/** A signed value's JSON, checked against the schema; undefined for anything forged, oversized or malformed. */
function parse<T>(key: ControlKey, schema: z.ZodType<T>, raw: string, maxBytes: number): T | undefined {
  if (raw.length > maxBytes) return undefined;
  const opened = openControl(key, raw);
  if (!opened.ok) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(opened.json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export class RedisDialStore implements DialStore {
  readonly #junk: SampledLog;

  constructor(
    private readonly link: RedisLink,
    private readonly key: ControlKey,
    log: Logger,
  ) {
    this.#junk = new SampledLog(log);
  }

  async put(record: DialRecord, ttlS: number): Promise<void> {
    const json = signControl(this.key, JSON.stringify(record));
    const written = await this.link.run((redis) => redis.set(dialKey(record.dialId), json, { EX: ttlS }));
    if (written === undefined) throw new Error('redis is unavailable');
  }

  async get(dialId: string): Promise<DialRecord | undefined> {
    const raw = await this.link.run((redis) => redis.get(dialKey(dialId)));
    if (raw === undefined || raw === null) return undefined;
    const record = parse(this.key, dialRecordSchema, raw, MAX_DIAL_RECORD_BYTES);
    if (!record)
      this.#junk.warn(errorCode('REDIS_DATA_INVALID'), { key: dialKey(dialId) }, 'redis: a dial record under our prefix is not one we signed; skipped');
    return record as DialRecord | undefined;
  }
}

export class RedisTelephonyRelay implements TelephonyRelay {
  readonly #junk: SampledLog;

  constructor(
    private readonly link: RedisLink,
    private readonly instance: string,
    private readonly key: ControlKey,
    log: Logger,
  ) {
    this.#junk = new SampledLog(log);
  }

  publish(message: RelayMessage): void {
    const json = signControl(this.key, JSON.stringify({ from: this.instance, message }));
    void this.link.run((redis) => redis.publish(RELAY_CHANNEL, json));
  }

  subscribe(handler: (message: RelayMessage) => void): void {
    this.link.subscribe(RELAY_CHANNEL, (raw) => {
      const relayed = parse(this.key, relaySchema, raw, MAX_RELAY_MESSAGE_BYTES);
      if (!relayed)
        return this.#junk.warn(errorCode('REDIS_DATA_INVALID'), { channel: RELAY_CHANNEL }, 'redis: a telephony message is not one we signed; skipped');
      if (relayed.from === this.instance) return;
      handler(relayed.message as RelayMessage);
    });
  }
}
