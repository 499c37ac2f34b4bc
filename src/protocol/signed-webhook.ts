/**
 * Signed webhooks (docs/protocol.md §9): `Authorization: Bearer <JWT>`, HS256 with the account signature
 * secret, claims `iat`, `jti`, `iss: "Vonage"`, `payload_hash`, `api_key`, `application_id`.
 * The same token authenticates the WebSocket upgrade when the endpoint asks for `{"type":"vonage"}`.
 * jose does the signature; the checks no SDK does (issuer, key, age, replay, body hash) are here.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import type { ErrorName } from '../errors.js';

export const WEBHOOK_ISSUER = 'Vonage';
/** Tokens older than this are refused (one production integrator's value, docs/protocol.md §9; Vonage states none). */
export const DEFAULT_MAX_AGE_S = 300;
/** Tolerated clock skew into the future. */
export const DEFAULT_FUTURE_SKEW_S = 30;

export interface WebhookClaims {
  iat: number;
  jti: string;
  iss: string;
  payload_hash?: string;
  api_key?: string;
  application_id?: string;
  [claim: string]: unknown;
}

const encoder = new TextEncoder();

export function sha256Hex(payload: Buffer | string): string {
  return createHash('sha256').update(payload).digest('hex');
}

/**
 * The bytes Vonage hashes for a GET webhook: the query parameters as a JSON object, in their original
 * order, without whitespace (docs/protocol.md §9).
 */
export function queryHashInput(search: string): string {
  const object: Record<string, string> = Object.create(null);
  for (const [key, value] of new URLSearchParams(search)) object[key] = value;
  return JSON.stringify(object);
}

/**
 * A query key that occurs twice (after percent-decoding), or undefined. The hash input keeps only the
 * last value of a key, so `?uuid=evil&uuid=signed` hashes like `?uuid=signed` while a reader that takes
 * the first value sees `evil`: a signed GET must not have duplicates.
 */
export function duplicateQueryKey(search: string): string | undefined {
  const seen = new Set<string>();
  for (const [key] of new URLSearchParams(search)) {
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

export interface SignOptions {
  secret: string;
  apiKey?: string;
  applicationId?: string;
  /** The exact bytes of the body (POST) or the query hash input (GET); omitted for a socket upgrade. */
  payload?: Buffer | string;
  /** Unix seconds; injected in tests. */
  now?: number;
  jti?: string;
}

export async function signWebhook(options: SignOptions): Promise<string> {
  const claims: Record<string, unknown> = { jti: options.jti ?? randomUUID() };
  if (options.payload !== undefined) claims.payload_hash = sha256Hex(options.payload);
  if (options.apiKey) claims.api_key = options.apiKey;
  if (options.applicationId) claims.application_id = options.applicationId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(WEBHOOK_ISSUER)
    .setIssuedAt(options.now ?? Math.floor(Date.now() / 1000))
    .sign(encoder.encode(options.secret));
}

/** Remembers token ids inside the age window so a captured request cannot be replayed. Bounded. */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly maxEntries = 100_000) {}

  /** True if `jti` was new (and is now remembered until `expiresAt`, Unix seconds). */
  remember(jti: string, expiresAt: number, now: number): boolean {
    this.prune(now);
    if (this.seen.has(jti)) return false;
    this.seen.set(jti, expiresAt);
    // Beyond the bound the oldest go first: a flood of valid tokens is already an attacker with the secret.
    while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    for (const [jti, expiresAt] of this.seen) {
      if (expiresAt > now) break; // insertion order ≈ expiry order
      this.seen.delete(jti);
    }
  }
}

export interface VerifyOptions {
  secret: string;
  apiKey?: string;
  applicationId?: string;
  /** Exact payload bytes to check `payload_hash` against; undefined skips the hash (socket upgrade). */
  payload?: Buffer | string;
  maxAgeS?: number;
  futureSkewS?: number;
  replay?: ReplayCache;
  now?: number;
}

export type VerifyResult = { ok: true; claims: WebhookClaims } | { ok: false; problem: ErrorName; detail: string };

function safeEqualHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Reads the token out of an `Authorization` header value. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

export async function verifySignedWebhook(token: string | undefined, options: VerifyOptions): Promise<VerifyResult> {
  if (!token) return { ok: false, problem: 'SIGNATURE_MISSING', detail: 'no Bearer token in Authorization' };
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    return { ok: false, problem: 'SIGNATURE_INVALID', detail: 'not a JWT' };
  }
  // HS256 only: `none`, RS256 with the secret as a "public key", and the rest are refused up front.
  if (alg !== 'HS256') return { ok: false, problem: 'SIGNATURE_ALGORITHM', detail: `alg ${JSON.stringify(alg)} is not HS256` };
  let claims: WebhookClaims;
  try {
    const verified = await jwtVerify(token, encoder.encode(options.secret), {
      algorithms: ['HS256'],
      currentDate: options.now !== undefined ? new Date(options.now * 1000) : undefined,
    });
    claims = verified.payload as WebhookClaims;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { ok: false, problem: 'SIGNATURE_STALE', detail: 'token expired (exp)' };
    return { ok: false, problem: 'SIGNATURE_INVALID', detail: error instanceof joseErrors.JOSEError ? error.code : 'verification failed' };
  }
  if (claims.iss !== WEBHOOK_ISSUER) return { ok: false, problem: 'SIGNATURE_ISSUER', detail: `iss ${JSON.stringify(claims.iss)}` };
  if (options.apiKey && claims.api_key !== options.apiKey) return { ok: false, problem: 'SIGNATURE_API_KEY', detail: 'api_key does not match' };
  if (options.applicationId && claims.application_id !== undefined && claims.application_id !== options.applicationId) {
    return { ok: false, problem: 'SIGNATURE_APPLICATION', detail: 'application_id does not match' };
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const maxAge = options.maxAgeS ?? DEFAULT_MAX_AGE_S;
  if (typeof claims.iat !== 'number') return { ok: false, problem: 'SIGNATURE_INVALID', detail: 'no iat' };
  // Strictly younger than maxAge: the replay cache forgets a token at iat + maxAge, so a token of
  // exactly that age must already be stale, or it could be replayed in that second.
  if (claims.iat <= now - maxAge) return { ok: false, problem: 'SIGNATURE_STALE', detail: `issued ${now - claims.iat} s ago (max ${maxAge})` };
  if (claims.iat > now + (options.futureSkewS ?? DEFAULT_FUTURE_SKEW_S))
    return { ok: false, problem: 'SIGNATURE_FUTURE', detail: `issued ${claims.iat - now} s in the future` };
  if (options.payload !== undefined) {
    if (typeof claims.payload_hash !== 'string') return { ok: false, problem: 'SIGNATURE_PAYLOAD', detail: 'no payload_hash' };
    if (!safeEqualHex(claims.payload_hash.toLowerCase(), sha256Hex(options.payload)))
      return { ok: false, problem: 'SIGNATURE_PAYLOAD', detail: 'payload_hash does not match the body' };
  }
  if (options.replay) {
    if (typeof claims.jti !== 'string' || claims.jti === '') return { ok: false, problem: 'SIGNATURE_INVALID', detail: 'no jti' };
    if (!options.replay.remember(claims.jti, claims.iat + maxAge, now)) return { ok: false, problem: 'SIGNATURE_REPLAY', detail: 'jti seen before' };
  }
  return { ok: true, claims };
}
