/**
 * What every way of reaching this machine gives: the interface alone, in a leaf, so that each way (a
 * file of its own) and the chooser (tunnel.ts) import it without importing each other.
 */
export interface Tunnel {
  /** Public base URL, no trailing slash, e.g. `https://abc123.ngrok.app`. */
  readonly url: string;
  /** What provides it, for the printout: `PUBLIC_URL`, `ngrok`. */
  readonly kind: string;
  /** True when the URL dies with this process (webhooks pointing at it go stale on exit). */
  readonly ephemeral: boolean;
  close(): Promise<void>;
}
