/**
 * How Vonage reaches a server on this machine: a public HTTPS base URL, and a way to stop exposing it.
 * Each way of getting one (a URL the user already has, an ngrok tunnel) is one small file behind this
 * interface, chosen by `openTunnel`.
 */
import { VoicesocketError } from '../errors.js';
import { fixedUrl } from './fixed-url.js';
import { ngrokTunnel } from './ngrok.js';
import type { Tunnel } from './tunnel-types.js';

export type { Tunnel } from './tunnel-types.js';

export interface TunnelOptions {
  /** Local port to expose. */
  port: number;
  /** A public URL that already reaches the port (a reverse proxy, a tunnel run by hand): no tunnel is opened. */
  publicUrl?: string | undefined;
  /** ngrok's authtoken; without it and without `publicUrl` there is no way in. */
  ngrokAuthtoken?: string | undefined;
}

export async function openTunnel(options: TunnelOptions): Promise<Tunnel> {
  if (options.publicUrl) return fixedUrl(options.publicUrl);
  if (options.ngrokAuthtoken) return ngrokTunnel(options.port, options.ngrokAuthtoken);
  throw new VoicesocketError(
    'TUNNEL_UNAVAILABLE',
    'set NGROK_AUTHTOKEN (free at dashboard.ngrok.com) to open an ngrok tunnel, or PUBLIC_URL to an https:// URL that already reaches this port',
  );
}
