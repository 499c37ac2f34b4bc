/**
 * Signed call reports: HMAC-SHA256 of `<unix seconds>.<body>` with the shared secret
 * (`--call-report-secret`), in a `Voicesocket-Signature: t=<seconds>,v1=<hex>` header — the scheme
 * Stripe and others use, checkable in any language in a few lines (docs/records.md shows one). The
 * time bounds a replay; the report id (`Voicesocket-Report-Id`, and `id` in the body) lets a receiver
 * drop a repeat, since a report that was delivered but not acknowledged is sent again. Pure.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'voicesocket-signature';
export const REPORT_ID_HEADER = 'voicesocket-report-id';
/** A receiver's default allowance for the signature's age and for clock skew, s. */
export const SIGNATURE_TOLERANCE_S = 300;

function digest(secret: string, seconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${seconds}.${body}`).digest('hex');
}

/** The signature header's value for `body` sent at `atMs` (epoch ms). */
export function signReport(body: string, secret: string, atMs = Date.now()): string {
  const seconds = Math.floor(atMs / 1000);
  return `t=${seconds},v1=${digest(secret, seconds, body)}`;
}

/**
 * Whether `header` signs `body` with `secret`, made within `toleranceS` of `nowMs` (for receivers,
 * and the tests). The comparison takes the same time whatever the guess.
 */
export function verifyReportSignature(
  body: string,
  header: string | undefined,
  secret: string,
  nowMs = Date.now(),
  toleranceS = SIGNATURE_TOLERANCE_S,
): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const seconds = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(seconds) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(nowMs / 1000 - seconds) > toleranceS) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(digest(secret, seconds, body), 'hex'));
}
