/**
 * JSON as a tool's arguments must be read: strictly. `JSON.parse` keeps the last of a repeated key, so
 * `{"destination":"sales","destination":"premium"}` reads as premium while a check that looked at the
 * first (a log, a person, another parser) saw sales. An object that names a key twice is refused
 * (RFC 8259 §4: names "SHOULD be unique"; the behaviour of one that is not is unpredictable). Pure.
 */

/** The arguments named `key` twice in one object. */
export class RepeatedKeyError extends SyntaxError {
  constructor(readonly key: string) {
    super(`the key ${JSON.stringify(key)} is given twice`);
    this.name = 'RepeatedKeyError';
  }
}

/** Objects and arrays nested deeper than this are refused: no tool's parameters go near it. */
export const MAX_JSON_DEPTH = 64;

/** `JSON.parse`, but a repeated key (after unescaping: `"a"` and `"\u0061"` are one key) or nesting past MAX_JSON_DEPTH throws. */
export function parseJsonStrict(text: string): unknown {
  // Syntax first: the scan below may then assume well-formed JSON.
  const value: unknown = JSON.parse(text);
  checkKeys(text);
  return value;
}

/** One pass over well-formed JSON: each object's keys in a set; a string right after `{` or `,` inside an object is a key. */
function checkKeys(text: string): void {
  const open: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      const keys = open.at(-1);
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) throw new RepeatedKeyError(key);
        keys.add(key);
      }
      expectKey = false;
    } else if (c === 0x7b || c === 0x5b) {
      open.push(c === 0x7b ? new Set() : null);
      if (open.length > MAX_JSON_DEPTH) throw new SyntaxError(`nested deeper than ${MAX_JSON_DEPTH}`);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
      expectKey = false;
    } else if (c === 0x2c) expectKey = open.at(-1) instanceof Set;
  }
}
