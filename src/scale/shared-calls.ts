/**
 * The cluster-wide call registry on Redis (`--redis`). Every instance writes, once a second, one key
 * holding the snapshots of the calls it serves (it expires when the instance stops writing), and adds
 * every event webhook it receives to its leg's list (bounded, expiring). Any instance lists every
 * call by reading those keys, and merges each call with the events of its leg wherever they arrived:
 * Vonage may post a leg's events to one instance while its socket is on another. Nothing here runs
 * per frame. docs/deploy.md "Many instances".
 *
 * Keys (all under `voicesocket:`):
 *   instances        sorted set: instance id → when its key expires (ms); stale members pruned on read
 *   instance:<id>    JSON { instance, at, keyId, calls, recent }, expires INSTANCE_TTL_MS after its last write
 *   leg:<uuid>       list of the leg's events (JSON, without the raw body), the last MAX_EVENTS_PER_LEG,
 *                    expires LEG_TTL_S after its last event
 */
import { MAX_EVENTS_PER_LEG } from '../call/call-registry.js';
import { withLegEvents, type CallList, type CallSnapshot } from '../call/call-snapshot.js';
import type { CallEvent } from '../protocol/webhooks.js';
import type { RedisLink } from './redis-link.js';
import type { Logger } from '../call/logger.js';
import { SampledLog } from '../call/logger.js';
import { errorCode } from '../errors.js';
import {
  MAX_INSTANCES,
  MAX_LISTING_EVENT_BYTES,
  MAX_LISTING_RECORD_BYTES,
  MAX_RECORD_BYTES,
  MAX_SHARED_EVENT_BYTES,
  instanceRecordSchema,
  parseShared,
  sharedEventSchema,
  type InstanceRecord,
} from './shared-records.js';

export const KEY_PREFIX = 'voicesocket:';
const INSTANCES = `${KEY_PREFIX}instances`;
const instanceKey = (id: string) => `${KEY_PREFIX}instance:${id}`;
const legKey = (uuid: string) => `${KEY_PREFIX}leg:${uuid}`;

/** How often an instance writes its calls: the dashboard's refresh period, and not per frame. */
export const PUBLISH_INTERVAL_MS = 1000;
/** An instance that missed this many writes is gone (killed, cut off): its calls leave the list. */
export const INSTANCE_TTL_MS = 5 * PUBLISH_INTERVAL_MS;
/** A leg's events outlive any ordinary call; a leg silent this long is forgotten. */
export const LEG_TTL_S = 2 * 60 * 60;
/** Legs whose events one listing reads at most: the dashboard shows calls, not an archive. */
const MAX_LEGS_PER_LISTING = 2000;

/**
 * Reads instance records, each only if it is a string no longer than the cap (ARGV[1]), smallest first
 * until all of them together would pass the listing's budget (ARGV[2]): sizes and types are checked in
 * Redis, so an oversized, wrongly typed or surplus key never crosses the network or reaches our memory.
 * Each key's answer: its text, false (absent, of another type, over the cap) or 0 (over the budget).
 */
const READ_RECORDS = `local sizes = {}
local order = {}
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = false
  if redis.call('TYPE', key).ok == 'string' then
    local size = redis.call('STRLEN', key)
    if size <= tonumber(ARGV[1]) then
      sizes[i] = size
      order[#order + 1] = i
    end
  end
end
table.sort(order, function(a, b) return sizes[a] < sizes[b] end)
local total = 0
for _, i in ipairs(order) do
  if total + sizes[i] <= tonumber(ARGV[2]) then
    total = total + sizes[i]
    out[i] = redis.call('GET', KEYS[i])
  else
    out[i] = 0
  end
end
return out`;

/**
 * Reads the last ARGV[1] events of each leg list, each no longer than ARGV[2], skipping keys of other
 * types, until the events read together would pass the budget (ARGV[3]); legs past it get 0.
 */
const READ_LEGS = `local out = {}
local total = 0
for i, key in ipairs(KEYS) do
  local kept = {}
  if redis.call('TYPE', key).ok == 'list' then
    for _, item in ipairs(redis.call('LRANGE', key, -tonumber(ARGV[1]), -1)) do
      if #item <= tonumber(ARGV[2]) then kept[#kept + 1] = item end
    end
  end
  local size = 0
  for _, item in ipairs(kept) do size = size + #item end
  if total + size <= tonumber(ARGV[3]) then
    total = total + size
    out[i] = kept
  else
    out[i] = 0
  end
end
return out`;

/** What of an event travels: everything the views use, not the raw body (up to kilobytes). */
function sharedEvent(event: CallEvent): CallEvent {
  const { raw: _raw, ...fields } = event;
  return { ...fields, raw: {} };
}

export class SharedCalls {
  private timer: NodeJS.Timeout | undefined;
  /** Junk found in Redis, logged by sample: a listing a second must not log a line a second. */
  private readonly junk: SampledLog;
  /** The read in flight: listings and control asked for at once share it (each reads up to the budget). */
  private reading: Promise<InstanceRecord[] | undefined> | undefined;
  private listing: Promise<CallList | undefined> | undefined;

  constructor(
    private readonly link: RedisLink,
    /** This instance's id: host name and pid, unique across machines and workers. */
    readonly instance: string,
    /** This instance's own calls, as the local views show them. */
    private readonly local: () => CallList,
    log: Logger,
    /** The fingerprint of this instance's call control key, published in its record (control-signing.ts). */
    private readonly keyId?: string,
  ) {
    this.junk = new SampledLog(log);
  }

  private skipped(what: string, key: string): void {
    this.junk.warn(errorCode('REDIS_DATA_INVALID'), { key }, `redis: ${what} under our prefix is not one of ours; skipped`);
  }

  start(): void {
    this.timer = setInterval(() => void this.publish(), PUBLISH_INTERVAL_MS);
    this.timer.unref();
    void this.publish();
  }

  /** Writes this instance's calls; skipped while Redis is away. */
  async publish(): Promise<void> {
    const own = this.local();
    const record = {
      instance: this.instance,
      at: Date.now(),
      ...(this.keyId ? { keyId: this.keyId } : {}),
      calls: this.mark(own.calls),
      recent: this.mark(own.recent),
    };
    let json = JSON.stringify(record);
    // Within what every reader accepts: the recently ended calls go first, then the oldest calls.
    while (json.length > MAX_RECORD_BYTES && record.recent.length + record.calls.length > 0) {
      if (record.recent.length > 0) record.recent = record.recent.slice(0, record.recent.length >> 1);
      else record.calls = record.calls.slice(0, record.calls.length >> 1);
      json = JSON.stringify(record);
    }
    await this.link.run((redis) =>
      redis
        .multi()
        .set(instanceKey(this.instance), json, { PX: INSTANCE_TTL_MS })
        .zAdd(INSTANCES, { score: record.at + INSTANCE_TTL_MS, value: this.instance })
        .exec(),
    );
  }

  private mark(calls: CallSnapshot[]): CallSnapshot[] {
    return calls.map((call) => ({ ...call, instance: this.instance }));
  }

  /** Adds an event webhook to its leg's shared list. Not awaited by the webhook: Redis never delays Vonage. */
  recordEvent(event: CallEvent): void {
    const uuid = event.legUuid;
    if (!uuid) return;
    const key = legKey(uuid);
    void this.link.run((redis) =>
      redis
        .multi()
        .rPush(key, JSON.stringify(sharedEvent(event)))
        .lTrim(key, -MAX_EVENTS_PER_LEG, -1)
        .expire(key, LEG_TTL_S)
        .exec(),
    );
  }

  /** Every instance's record, this one's fresh from memory; undefined while Redis is away. Reads at once share one. */
  private records(): Promise<InstanceRecord[] | undefined> {
    this.reading ??= this.readRecords().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readRecords(): Promise<InstanceRecord[] | undefined> {
    const now = Date.now();
    const found = await this.link.run(async (redis) => {
      await redis.zRemRangeByScore(INSTANCES, '-inf', now);
      const ids = (await redis.zRangeByScore(INSTANCES, now, '+inf', { LIMIT: { offset: 0, count: MAX_INSTANCES } })).filter((id) => id !== this.instance);
      if (ids.length === 0) return { ids, texts: [] as unknown[] };
      const texts = (await redis.eval(READ_RECORDS, {
        keys: ids.map(instanceKey),
        arguments: [String(MAX_RECORD_BYTES), String(MAX_LISTING_RECORD_BYTES)],
      })) as unknown[];
      return { ids, texts };
    });
    if (found === undefined) return undefined;
    const own = this.local();
    const records: InstanceRecord[] = [
      { instance: this.instance, at: now, ...(this.keyId ? { keyId: this.keyId } : {}), calls: this.mark(own.calls), recent: this.mark(own.recent) },
    ];
    const leftOut: string[] = [];
    found.ids.forEach((id, index) => {
      const text = found.texts[index];
      if (text === null || text === undefined || text === false) return; // expired between the two reads, or too big or of another type
      if (text === 0) return void leftOut.push(id);
      const record = typeof text === 'string' ? parseShared(instanceRecordSchema, text, MAX_RECORD_BYTES) : undefined;
      if (!record) return this.skipped('an instance record', instanceKey(id));
      records.push(record);
      if (this.keyId && record.keyId !== undefined && record.keyId !== this.keyId)
        this.junk.warn(
          errorCode('REDIS_SECRET_MISMATCH'),
          { instance: record.instance, theirs: record.keyId, ours: this.keyId },
          'redis: another instance signs call control with another secret; control between the two fails: set the same REDIS_SECRET (or VONAGE_SIGNATURE_SECRET) on every instance',
        );
    });
    if (leftOut.length > 0)
      this.junk.warn(
        errorCode('REDIS_LISTING_PARTIAL'),
        { instances: leftOut.length, first: leftOut[0], budgetBytes: MAX_LISTING_RECORD_BYTES },
        "redis: the largest instance records would pass the listing's byte budget; their calls are left out",
      );
    return records;
  }

  /** Every call of every instance, each merged with its leg's events; undefined while Redis is away. Listings at once share one. */
  list(): Promise<CallList | undefined> {
    this.listing ??= this.readList().finally(() => (this.listing = undefined));
    return this.listing;
  }

  private async readList(): Promise<CallList | undefined> {
    const records = await this.records();
    if (!records) return undefined;
    const calls = records.flatMap((record) => record.calls) as CallSnapshot[];
    const recent = (records.flatMap((record) => record.recent) as CallSnapshot[]).sort((a, b) => b.startedAt - a.startedAt);
    const uuids = [...new Set([...calls, ...recent].map((call) => call.uuid).filter((uuid): uuid is string => uuid !== undefined))].slice(
      0,
      MAX_LEGS_PER_LISTING,
    );
    const lists =
      uuids.length === 0
        ? []
        : await this.link.run(
            async (redis) =>
              (await redis.eval(READ_LEGS, {
                keys: uuids.map(legKey),
                arguments: [String(MAX_EVENTS_PER_LEG), String(MAX_SHARED_EVENT_BYTES), String(MAX_LISTING_EVENT_BYTES)],
              })) as unknown[],
          );
    const eventsOf = new Map<string, CallEvent[]>();
    const legsLeftOut = lists?.filter((texts) => texts === 0).length ?? 0;
    if (legsLeftOut > 0)
      this.junk.warn(
        errorCode('REDIS_LISTING_PARTIAL'),
        { legs: legsLeftOut, budgetBytes: MAX_LISTING_EVENT_BYTES },
        "redis: leg events past the listing's byte budget were not read; those calls are listed without them",
      );
    uuids.forEach((uuid, index) => {
      const texts = lists?.[index];
      if (!Array.isArray(texts) || texts.length === 0) return;
      const events: CallEvent[] = [];
      for (const text of texts) {
        const event = typeof text === 'string' ? parseShared(sharedEventSchema, text, MAX_SHARED_EVENT_BYTES) : undefined;
        if (event) events.push(event as CallEvent);
        else this.skipped('a leg event', legKey(uuid));
      }
      if (events.length > 0) eventsOf.set(uuid, events);
    });
    const merge = (call: CallSnapshot) => {
      const events = call.uuid ? eventsOf.get(call.uuid) : undefined;
      return events ? withLegEvents(call, events) : call;
    };
    return { calls: calls.map(merge), recent: recent.map(merge) };
  }

  /**
   * The instance serving a call (by id or leg uuid), with the key id its record gives: undefined if
   * none does, null while Redis is away.
   */
  async ownerOf(call: string): Promise<{ instance: string; keyId: string | undefined } | undefined | null> {
    const records = await this.records();
    if (!records) return null;
    const record = records.find((candidate) => candidate.calls.some((snapshot) => snapshot.id === call || snapshot.uuid === call));
    return record ? { instance: record.instance, keyId: record.keyId } : undefined;
  }

  /** Stops writing and removes this instance's record: its calls have ended or moved. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.link.run((redis) => redis.multi().del(instanceKey(this.instance)).zRem(INSTANCES, this.instance).exec());
  }
}
