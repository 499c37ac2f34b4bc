/**
 * Where Vonage should open the call socket. Behind a tunnel or proxy the Host we see is not the one
 * Vonage used, so forwarding headers win over the socket; a configured public URL wins over both.
 */
export const SOCKET_PATH = '/socket';

export interface RequestOrigin {
  headers: Record<string, string | string[] | undefined>;
  /** True when the request arrived over TLS on our own socket. */
  encrypted: boolean;
}

function first(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const item = text?.split(',')[0]?.trim();
  return item ? item : undefined;
}

/** Reads `proto` and `host` out of an RFC 7239 `Forwarded` header (first hop only). */
function parseForwarded(value: string | undefined): { proto?: string; host?: string } {
  if (!value) return {};
  const result: { proto?: string; host?: string } = {};
  for (const pair of value.split(';')) {
    const [name, raw] = pair.split('=');
    const unquoted = raw?.trim().replace(/^"(.*)"$/, '$1');
    if (!name || !unquoted) continue;
    const key = name.trim().toLowerCase();
    if (key === 'proto') result.proto = unquoted.toLowerCase();
    if (key === 'host') result.host = unquoted;
  }
  return result;
}

/** The `ws://` or `wss://` URL of the call socket as the caller of this request sees the server. */
export function socketUrl(origin: RequestOrigin, publicUrl?: string): string {
  if (publicUrl) {
    const url = new URL(publicUrl);
    const secure = url.protocol === 'https:' || url.protocol === 'wss:';
    const base = url.pathname.replace(/\/+$/, '');
    return `${secure ? 'wss' : 'ws'}://${url.host}${base}${SOCKET_PATH}`;
  }
  const forwarded = parseForwarded(first(origin.headers.forwarded));
  const proto = (first(origin.headers['x-forwarded-proto']) ?? forwarded.proto)?.toLowerCase();
  const host = first(origin.headers['x-forwarded-host']) ?? forwarded.host ?? first(origin.headers.host) ?? 'localhost';
  const secure = proto ? proto === 'https' || proto === 'wss' : origin.encrypted;
  return `${secure ? 'wss' : 'ws'}://${host}${SOCKET_PATH}`;
}
