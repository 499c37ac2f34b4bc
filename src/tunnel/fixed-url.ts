/** A public URL the user already has (their proxy, or a tunnel they run): nothing to open or close. */
import { VoicesocketError } from '../errors.js';
import type { Tunnel } from './tunnel-types.js';

export function fixedUrl(raw: string): Tunnel {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new VoicesocketError('CONFIG_INVALID', `PUBLIC_URL=${JSON.stringify(raw)} is not allowed; expected an http(s):// URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new VoicesocketError('CONFIG_INVALID', `PUBLIC_URL=${JSON.stringify(raw)} is not allowed; expected an http(s):// URL`);
  return { url: url.href.replace(/\/+$/, ''), kind: 'PUBLIC_URL', ephemeral: false, close: async () => {} };
}
