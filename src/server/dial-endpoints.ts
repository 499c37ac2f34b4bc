/**
 * Where Vonage reaches this server for the calls it places: the socket URL of their NCCO and the event
 * URL of their requests. From the public URL when set (a tunnel, a load balancer), else the address
 * the server listens on — right for a local emulator, not for Vonage, which is warned about at start.
 */
import { EVENT_PATHS } from './event-route.js';
import { socketUrl } from './socket-url.js';

export function dialEndpoints(publicUrl: string | undefined, bound: { address: string; port: number } | undefined): { socketUri: string; eventUrl: string } {
  if (publicUrl) {
    const url = new URL(publicUrl);
    const secure = url.protocol === 'https:' || url.protocol === 'wss:';
    return {
      socketUri: socketUrl({ headers: {}, encrypted: secure }, publicUrl),
      eventUrl: `${secure ? 'https' : 'http'}://${url.host}${url.pathname.replace(/\/+$/, '')}${EVENT_PATHS[0]}`,
    };
  }
  const address = !bound || bound.address === '0.0.0.0' || bound.address === '::' ? '127.0.0.1' : bound.address;
  const host = `${address.includes(':') ? `[${address}]` : address}:${bound?.port ?? 0}`;
  return { socketUri: socketUrl({ headers: { host }, encrypted: false }), eventUrl: `http://${host}${EVENT_PATHS[0]}` };
}
