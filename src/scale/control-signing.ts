/**
 * Call control messages on Redis are signed (HMAC-SHA256): any client of the Redis server can publish
 * on any channel, and an unsigned message that fitted the schema hung up or played into any call.
 * The key is derived from `REDIS_SECRET`, or from `VONAGE_SIGNATURE_SECRET` (which every instance of
 * one application shares already) when there is none; never from anything Redis holds. A message names
 * the instance it is for and when it was made, and is taken once: captured off a channel, it cannot be
 * replayed, sent to another instance, or kept for later. docs/security.md "Redis".
 *
 * Wire form: `v1.<key id>.<mac>.<json>`, the MAC over the JSON text exactly as sent. The key id is a
 * one-way fingerprint of the key: two instances with different secrets tell each other apart by it,
 * and say so with a coded line instead of timing out in silence.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 'v1';
/** What the key is derived for: a secret shared for another purpose gives an unrelated key here. */
const KEY_LABEL = 'voicesocket redis call control v1';

/**
 * How far a message's time may be from ours. Instances' clocks agree within NTP's milliseconds and a
 * control answer takes under 2 s; 30 s leaves room for a clock off by seconds, and bounds how long a
 * captured message could be replayed (it cannot: each is taken once, and remembered this long).
 */
export const CONTROL_MAX_AGE_MS = 30_000;
/** Message ids remembered against replay: far above the control requests of a minute; only verified ones are kept. */
const MAX_REMEMBERED = 100_000;

export interface ControlKey {
  /** The HMAC key itself. */
  readonly key: Buffer;
  /** Its fingerprint (16 hex digits), safe to show and to publish. */
  readonly id: string;
}

/** The control key from the settings; undefined when neither secret is set (control across instances is then off). */
export function controlKey(secrets: { redisSecret: string | undefined; signatureSecret: string | undefined }): ControlKey | undefined {
  const secret = secrets.redisSecret ?? secrets.signatureSecret;
  if (secret === undefined) return undefined;
  const key = createHmac('sha256', secret).update(KEY_LABEL).digest();
  return { key, id: createHmac('sha256', key).update('key id').digest('hex').slice(0, 16) };
}

export function signControl(key: ControlKey, json: string): string {
  return `${VERSION}.${key.id}.${mac(key, json)}.${json}`;
}

export type Opened = { ok: true; json: string } | { ok: false; problem: 'FORGED' | 'MISMATCH'; detail: string; keyId?: string };

/** Checks a signed message's form, key and MAC; the JSON inside is then the sender's, unaltered. */
export function openControl(key: ControlKey, wire: string): Opened {
  const parts = /^v1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})\.(.*)$/s.exec(wire);
  if (!parts) return { ok: false, problem: 'FORGED', detail: 'not a signed control message' };
  const [, keyId, given, json] = parts as unknown as [string, string, string, string];
  if (keyId !== key.id) return { ok: false, problem: 'MISMATCH', detail: `signed with key ${keyId}; this instance's is ${key.id}`, keyId };
  const expected = Buffer.from(mac(key, json));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return { ok: false, problem: 'FORGED', detail: 'the signature does not match' };
  return { ok: true, json };
}

function mac(key: ControlKey, json: string): string {
  return createHmac('sha256', key.key).update(json).digest('base64url');
}

/** Whether a verified message is fresh and seen for the first time; remembers it if so. */
export class ReplayGuard {
  /** Message id → when it may be forgotten (its time window has passed), oldest first. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Why a message may not be taken, or undefined when it may (and it is remembered). */
  check(id: string, at: number): string | undefined {
    const now = this.now();
    if (Math.abs(now - at) > CONTROL_MAX_AGE_MS) return `made ${Math.round((now - at) / 1000)} s from now (at most ${CONTROL_MAX_AGE_MS / 1000} s)`;
    for (const [old, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(old);
    }
    if (this.seen.has(id)) return 'replayed: this message was taken before';
    this.seen.set(id, now + 2 * CONTROL_MAX_AGE_MS);
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
    return undefined;
  }
}
