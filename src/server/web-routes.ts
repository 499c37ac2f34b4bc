/**
 * The web UI's routes: the dashboard (`/`), the softphone (`/phone`), their built assets, the calls
 * as JSON (`GET /api/calls`) and a live stream of the same (`GET /api/stream`, Server-Sent Events, one
 * snapshot a second shared by every viewer: no polling storms).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import type { CallRegistry } from '../call/call-registry.js';
import { snapshotCall, type CallList } from '../call/call-snapshot.js';
import type { ServerState } from './metrics.js';
import { ERRORS, errorCode } from '../errors.js';
import type { Logger } from '../call/logger.js';
import type { Limits } from './limits.js';

/** How often the stream pushes a snapshot. */
export const STREAM_INTERVAL_MS = 1000;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** The package root, whether running compiled (dist/server) or from source (src/server). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The built UI, read once: a handful of small files. */
function loadAssets(): Map<string, Buffer> {
  const dir = join(packageRoot(), 'dist', 'web');
  const files = new Map<string, Buffer>();
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) files.set(name, readFileSync(join(dir, name)));
  return files;
}

export function registerWebRoutes(
  app: FastifyInstance,
  registry: CallRegistry,
  limits: Pick<Limits, 'sseUnreadCut' | 'maxSseClients'>,
  log: Logger,
  /** Who may see the calls (request-auth.ts): everyone on an open server, else a password or loopback. */
  guard: preHandlerAsyncHookHandler,
  streamIntervalMs = STREAM_INTERVAL_MS,
  /** The server's own state for the server panel (draining, Redis). */
  serverState: () => ServerState = () => ({ draining: false }),
  /**
   * Calls beyond this process's: every instance's (`--redis`) or every worker's (`--workers`), this
   * one's included; undefined when there are none to ask or they cannot be reached.
   */
  everyCall: () => Promise<CallList | undefined> = async () => undefined,
  /** This instance's dials (src/telephony/), shown beside the calls. */
  dials?: () => CallList['dials'],
): { close: () => void; localCalls: () => CallList } {
  const guarded = { preHandler: guard };
  const assets = loadAssets();
  const send = (reply: FastifyReply, name: string) => {
    const file = assets.get(name);
    if (!file) return reply.code(503).send({ error: 'VS_ERR_UI_NOT_BUILT', message: 'the web UI is not built: run npm run build' });
    return reply
      .type(TYPES[extname(name)] ?? 'application/octet-stream')
      .header('cache-control', 'no-cache')
      .send(file);
  };
  app.get('/', guarded, (_request, reply) => send(reply, 'dashboard.html'));
  app.get('/phone', (_request, reply) => send(reply, 'phone.html'));
  app.get<{ Params: { file: string } }>('/assets/:file', (request, reply) => {
    const name = request.params.file;
    // Only the files the build produced: no paths, no traversal.
    if (!/^[\w.-]+$/.test(name) || !assets.has(name)) return reply.code(404).send({ error: 'not found' });
    return send(reply, name);
  });

  // A per-second event-loop figure for viewers, sampled only while someone watches.
  const lag = monitorEventLoopDelay({ resolution: 10 });
  let lastFrames = 0;
  let lastAt = performance.now();
  /** This process's calls; no side effect (other instances and workers ask for it every second). */
  const localCalls = (): CallList => ({
    calls: [...registry.activeSessions()].map((session) => snapshotCall(session, registry)),
    recent: registry
      .recentSessions()
      .reverse()
      .map((session) => snapshotCall(session, registry)),
  });
  /** The server's figures since the last time they were taken. */
  const serverFigures = () => {
    const now = performance.now();
    const totals = registry.totals();
    const frames = totals.framesIn + totals.framesOut;
    const framesPerSecond = Math.max(0, ((frames - lastFrames) * 1000) / (now - lastAt));
    lastFrames = frames;
    lastAt = now;
    const memory = process.memoryUsage();
    const server = {
      at: Date.now(),
      activeCalls: registry.activeCalls,
      framesPerSecond: Math.round(framesPerSecond),
      // Minus the histogram's own 10 ms sampling period.
      eventLoopLagMs: Math.max(0, Math.round((lag.percentile(99) / 1e6 - 10) * 10) / 10),
      rssMb: Math.round(memory.rss / 2 ** 20),
      heapMb: Math.round(memory.heapUsed / 2 ** 20),
      uptimeS: Math.round(process.uptime()),
      ...serverState(),
    };
    lag.reset();
    return server;
  };
  /** The calls to show: every instance's or worker's when they can be asked, else this process's. */
  const shownCalls = async (): Promise<CallList> => {
    let list: CallList;
    try {
      list = (await everyCall()) ?? localCalls();
    } catch {
      // The primary or Redis did not answer: this process's calls are still worth showing.
      list = localCalls();
    }
    return dials ? { ...list, dials: dials() } : list;
  };
  const shown = async () => ({ server: serverFigures(), ...(await shownCalls()) });

  app.get('/api/calls', guarded, shownCalls);

  /**
   * Viewers from the moment they are let in: one whose first snapshot is still being gathered (with
   * `--redis` or `--workers` that waits on Redis or the primary) already holds its place, or every
   * request arriving during that wait would pass the cap. `ready` once the first snapshot is written.
   */
  const viewers = new Map<FastifyReply, { unread: number; ready: boolean }>();
  let timer: NodeJS.Timeout | undefined;
  const broadcast = async () => {
    if (viewers.size === 0) return;
    const line = `data: ${JSON.stringify(await shown())}\n\n`;
    for (const [reply, viewer] of viewers) {
      if (!viewer.ready) continue;
      // A client whose socket is still full gets no new snapshot (it will get the next one when it
      // reads); one that stays full is cut. Our side never holds more than one snapshot for it.
      if (reply.raw.writableLength > 0) {
        if (++viewer.unread >= limits.sseUnreadCut) {
          log.warn({ code: errorCode('SSE_SLOW_CLIENT'), unread: viewer.unread, remote: reply.request.ip }, 'dashboard stream client not reading; cut');
          viewers.delete(reply);
          reply.raw.destroy();
        }
        continue;
      }
      viewer.unread = 0;
      reply.raw.write(line);
    }
  };
  const leave = (reply: FastifyReply) => {
    viewers.delete(reply);
    if (viewers.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
      lag.disable();
    }
  };
  app.get('/api/stream', guarded, async (request, reply) => {
    if (viewers.size >= limits.maxSseClients) {
      return reply.code(503).send({ error: errorCode('SSE_TOO_MANY'), message: ERRORS.SSE_TOO_MANY });
    }
    // The place is taken before anything is awaited, and given back whenever the client leaves,
    // during the wait included (a listener added after it would never hear that close).
    if (request.raw.socket.destroyed) return reply.hijack();
    const viewer = { unread: 0, ready: false };
    viewers.set(reply, viewer);
    reply.raw.on('close', () => leave(reply));
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    if (!timer) {
      lag.enable();
      timer = setInterval(() => void broadcast(), streamIntervalMs);
    }
    const first = `retry: 2000\ndata: ${JSON.stringify(await shown())}\n\n`;
    if (!viewers.has(reply)) return;
    reply.raw.write(first);
    viewer.ready = true;
  });

  return {
    close: () => {
      if (timer) clearInterval(timer);
      for (const reply of viewers.keys()) reply.raw.end();
      viewers.clear();
      lag.disable();
    },
    localCalls,
  };
}
