/**
 * WebSocket close codes as they occur on a Vonage call socket (RFC 6455 §7.4.1), with the words a
 * person reads on the dashboard and in logs.
 */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  /** Data of a type the endpoint cannot accept (RFC 6455 §7.4.1): an audio format we cannot speak. */
  unsupportedData: 1003,
  /** Not sent on the wire: the connection ended without a close frame. */
  abnormal: 1006,
  policyViolation: 1008,
  tooBig: 1009,
  internalError: 1011,
} as const;

const MEANINGS: Record<number, string> = {
  1000: 'normal',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no code given',
  1006: 'dropped, no close frame',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'app error',
};

/** "1000 normal", "1006 dropped, no close frame", or the bare number for a code without a name. */
export function describeCloseCode(code: number): string {
  const meaning = MEANINGS[code];
  return meaning ? `${code} ${meaning}` : String(code);
}
