import { createServer, type AddressInfo } from 'node:net';

/**
 * A loopback port free at this moment, for programs that take a port number rather than 0 (Redis,
 * nginx, an instance restarted on the same port). Another process could take it in between; on a
 * test machine that is rare enough to accept.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
