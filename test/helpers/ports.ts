import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The first port the kernel hands out for `listen(0)`: ports below it are never given to another test. */
function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port free at this moment, for programs that take a port number rather than 0 (Redis,
 * nginx, an instance restarted on the same port, the README example). Chosen below the kernel's
 * ephemeral range: every other server in the suite listens on port 0, and one of them was once given
 * the port a slow-starting program was about to take (the packaging test then read another test's
 * echo server). Two programs choosing the same random port at once is left to chance (1 in 12 000).
 */
export async function freePort(): Promise<number> {
  const high = ephemeralStart();
  const low = Math.max(1024, high - 12_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${low} and ${high}`);
}
