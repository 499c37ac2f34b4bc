/**
 * An error as one line a person can act on. Network clients wrap the reason several layers deep: the
 * OpenAI SDK says "Connection error.", its cause says "fetch failed", and only the cause of that says
 * "connect ECONNREFUSED 127.0.0.1:8080" or "getaddrinfo ENOTFOUND api.example.com". Alone, the first
 * words name neither where nor why. `errorDetail` follows the chain of causes (and an AggregateError's
 * errors: Node tries every address of a host, and reports them together with an empty message) and
 * adds the URL the caller was reaching, without its credentials or query. Every line that reports a
 * failed request uses it. A leaf: any layer may import it.
 */

/** How deep a chain of causes is followed: a cycle or a pathological chain ends here. */
const MAX_DEPTH = 6;

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
}

/** A URL as it may be printed: no user name, password, query or fragment (an API key can ride in any of them). */
export function printableUrl(url: string | URL): string {
  try {
    const parsed = new URL(String(url));
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/** One error's own words: its message, or its code and where when the message is empty (AggregateError, some socket errors). */
function ownWords(error: ErrorLike): string {
  const message = typeof error.message === 'string' ? error.message.trim().replace(/\.$/, '') : '';
  if (message) return message;
  const code = typeof error.code === 'string' ? error.code : '';
  const where =
    typeof error.address === 'string'
      ? `${error.address}${error.port !== undefined ? `:${String(error.port)}` : ''}`
      : typeof error.hostname === 'string'
        ? error.hostname
        : '';
  return [code, where].filter(Boolean).join(' ');
}

/** The reasons under `error`, outermost first, each once. */
function reasons(error: unknown, depth = 0, seen = new Set<unknown>()): string[] {
  if (error === null || error === undefined || seen.has(error) || depth > MAX_DEPTH) return [];
  seen.add(error);
  if (typeof error !== 'object') return [String(error)];
  const like = error as ErrorLike;
  const words = ownWords(like);
  const inner = Array.isArray(like.errors)
    ? // Each address tried: "connect ECONNREFUSED ::1:8080, connect ECONNREFUSED 127.0.0.1:8080".
      [
        like.errors
          .map((each) => reasons(each, depth + 1, seen).join(': '))
          .filter(Boolean)
          .join(', '),
      ]
    : reasons(like.cause, depth + 1, seen);
  return [words, ...inner].filter(Boolean);
}

/**
 * `error` as one line: its message and every cause's that says something new, then the URL it was
 * reaching when given ("Connection error: fetch failed: connect ECONNREFUSED 127.0.0.1:8080 (reaching
 * http://127.0.0.1:8080/v1)").
 */
export function errorDetail(error: unknown, url?: string | URL): string {
  const all = reasons(error);
  // Words another reason already says ("fetch failed" twice, a bare code above its own message) go once.
  const parts = all.filter((reason, i) => !all.some((other, j) => j !== i && other.includes(reason) && (other !== reason || j < i)));
  const text = (parts.join(': ') || 'unknown error').replace(/\s*\n\s*/g, ' ');
  return url === undefined ? text : `${text} (reaching ${printableUrl(url)})`;
}
