/**
 * Why the server cannot listen, as the user's error to fix (one line, exit 2): the port is taken,
 * forbidden, or the host is not an address of this machine. Each has its own code: "port in use" for
 * a --host this machine does not have sends the user looking for a process that does not exist.
 * The code's own words (errors.ts) say what happened; the detail adds only where, the system's code
 * and what to do, so the line does not say it twice.
 */
import { createServer } from 'node:net';
import { VoicesocketError } from '../errors.js';

export function listenError(error: unknown, port: number, host: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `--port=${port} --host=${host}`;
  if (code === 'EADDRINUSE') return new VoicesocketError('PORT_IN_USE', `${where} (${code}); choose another with --port or PORT`, { cause: error });
  if (code === 'EACCES')
    return new VoicesocketError('PORT_FORBIDDEN', `${where} (${code}); ports below 1024 need privileges: use --port 3000`, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new VoicesocketError('HOST_UNAVAILABLE', `${where} (${code}); use 0.0.0.0, 127.0.0.1 or HOST`, { cause: error });
  return error;
}

/**
 * Binds and releases the address once: `serve --workers` checks it in the primary before forking, so
 * a taken port is one line and exit 2, not every worker failing and being replaced forever.
 */
export async function checkCanListen(port: number, host: string): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject(listenError(error, port, host)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}
