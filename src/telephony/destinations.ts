/**
 * Where a call may be sent: the destinations the operator named (`--transfer sales=+447700900001,desk=sip:desk@pbx.example.com`),
 * each a name and an endpoint Vonage can connect — a phone number (E.164) or a SIP URI. A model, a
 * caller or anyone else on the line picks among the names; it never supplies a number. (A voice agent
 * that dialled whatever number it was told was a toll-fraud line: premium and international numbers
 * billed to the operator.) Pure: parse, validate, look up.
 */

/** An endpoint as Vonage's `connect` action takes it (https://developer.vonage.com/en/voice/voice-api/ncco-reference#connect). */
export type Endpoint = { type: 'phone'; number: string } | { type: 'sip'; uri: string };

export interface NamedDestination {
  /** What the model and the logs call it: `sales`, `front-desk`. */
  name: string;
  endpoint: Endpoint;
}

/** Names are tool enum values and log fields: short words. */
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
/** E.164: a +, a country code that does not start with 0, at most 15 digits in all (ITU-T E.164 §6). */
const E164 = /^\+[1-9]\d{6,14}$/;
/**
 * A SIP URI as Vonage's SIP endpoint takes it (RFC 3261 §19.1): `sip:` or `sips:`, a user, `@`, a host
 * name or IPv4 address, an optional port and parameters; no spaces, commas or angle brackets (a
 * list's separator, a header's delimiters).
 */
const SIP_URI =
  /^sips?:[A-Za-z0-9._~!$&'()*+=%-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?::\d{1,5})?(?:;[A-Za-z0-9._~!$&'()*+=%:-]+)*$/;
/** A table longer than this is a list of numbers, not a few named desks; a tool's enum stays short. */
export const MAX_DESTINATIONS = 20;

/** The endpoint of `text` (`+447700900001`, `sip:desk@pbx.example.com`), or why it is not one. */
export function endpointOf(text: string): Endpoint | string {
  if (E164.test(text)) return { type: 'phone', number: text.slice(1) };
  if (/^\+/.test(text) || /^\d/.test(text)) return `${JSON.stringify(text)} is not an E.164 number (a + and 7 to 15 digits, e.g. +447700900001)`;
  if (/^sips?:/i.test(text)) return SIP_URI.test(text) ? { type: 'sip', uri: text } : `${JSON.stringify(text)} is not a SIP URI (sip:user@host)`;
  return `${JSON.stringify(text)} is neither an E.164 number (+447700900001) nor a SIP URI (sip:user@host)`;
}

/** How an endpoint is written in logs and answers: `+447700900001`, `sip:desk@pbx.example.com`. */
export function describeEndpoint(endpoint: Endpoint): string {
  return endpoint.type === 'phone' ? `+${endpoint.number}` : endpoint.uri;
}

/** The named destinations of one line or list: checked once, looked up by name. */
export class DestinationTable {
  readonly #byName: Map<string, NamedDestination>;

  private constructor(destinations: NamedDestination[]) {
    this.#byName = new Map(destinations.map((destination) => [destination.name, destination]));
  }

  /**
   * `name=+447700900001,desk=sip:desk@pbx.example.com` (spaces around the parts allowed), or a list
   * of destinations. Throws a RangeError saying what is wrong: a name that is not a short word, a
   * name given twice, an endpoint that is neither E.164 nor SIP, more than MAX_DESTINATIONS.
   */
  static from(input: string | readonly NamedDestination[]): DestinationTable {
    const entries = typeof input === 'string' ? parseEntries(input) : input.map((d) => ({ name: d.name, endpoint: d.endpoint }));
    if (entries.length > MAX_DESTINATIONS) throw new RangeError(`${entries.length} destinations; at most ${MAX_DESTINATIONS}`);
    const seen = new Set<string>();
    const checked = entries.map(({ name, endpoint }) => {
      if (typeof name !== 'string' || !NAME.test(name))
        throw new RangeError(`${JSON.stringify(name)} is not a destination name (a letter, then letters, digits, _ or -)`);
      if (seen.has(name.toLowerCase())) throw new RangeError(`the destination ${name} is named twice`);
      seen.add(name.toLowerCase());
      // An endpoint object from code is checked as its text would be: the same rules either way.
      const text = typeof endpoint === 'string' ? endpoint : endpoint?.type === 'phone' ? `+${endpoint.number}` : endpoint?.type === 'sip' ? endpoint.uri : '';
      const parsed = endpointOf(text);
      if (typeof parsed === 'string') throw new RangeError(`the destination ${name}: ${parsed}`);
      return { name, endpoint: parsed };
    });
    return new DestinationTable(checked);
  }

  /** The names, in the order they were given. */
  get names(): string[] {
    return [...this.#byName.keys()];
  }

  get size(): number {
    return this.#byName.size;
  }

  /** The destination of this exact name; undefined for any other text (a number included). */
  find(name: string): NamedDestination | undefined {
    return this.#byName.get(name);
  }

  /** The table as data (for logs and `--print-config`). */
  toJSON(): NamedDestination[] {
    return [...this.#byName.values()];
  }
}

function parseEntries(text: string): Array<{ name: string; endpoint: string }> {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.every((part) => part === '')) throw new RangeError('no destinations given');
  return parts.map((part) => {
    const at = part.indexOf('=');
    if (at <= 0) throw new RangeError(`${JSON.stringify(part)} is not name=endpoint`);
    return { name: part.slice(0, at).trim(), endpoint: part.slice(at + 1).trim() };
  });
}
