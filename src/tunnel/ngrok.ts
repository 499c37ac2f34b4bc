/**
 * An ngrok tunnel through ngrok's official Node SDK (`@ngrok/ngrok`), loaded only when used: its
 * native binding is not needed by anyone who sets PUBLIC_URL. Not exercised by the test suite (ngrok's
 * service is not reachable from it); see docs/dev.md.
 */
import { VoicesocketError } from '../errors.js';
import { missingSdk, sdkMissingText } from '../vendor-sdk.js';
import type { Tunnel } from './tunnel-types.js';

export async function ngrokTunnel(port: number, authtoken: string): Promise<Tunnel> {
  let ngrok: typeof import('@ngrok/ngrok');
  try {
    ngrok = await import('@ngrok/ngrok');
  } catch (error) {
    // An optional dependency (src/vendor-sdk.ts): not installed is not the same as not loadable here.
    if (missingSdk(error))
      throw new VoicesocketError('SDK_MISSING', `${sdkMissingText('@ngrok/ngrok', 'an ngrok tunnel (NGROK_AUTHTOKEN)')}, or set PUBLIC_URL instead`, {
        cause: error,
      });
    throw new VoicesocketError(
      'TUNNEL_UNAVAILABLE',
      `the ngrok SDK could not be loaded on this platform (${(error as Error).message}); set PUBLIC_URL instead`,
    );
  }
  try {
    const listener = await ngrok.forward({ addr: port, authtoken, proto: 'http' });
    const url = listener.url();
    if (!url) throw new Error('ngrok gave no URL');
    return { url: url.replace(/\/+$/, ''), kind: 'ngrok', ephemeral: true, close: () => listener.close() };
  } catch (error) {
    const message = (error as Error).message;
    // ngrok reports a bad or missing authtoken as ERR_NGROK_105 (and 4018 for an unverified account).
    const why = /ERR_NGROK_(105|4018)|authtoken/i.test(message) ? `NGROK_AUTHTOKEN was refused: ${message}` : message;
    throw new VoicesocketError('TUNNEL_UNAVAILABLE', why, { cause: error });
  }
}
