/**
 * Assembles the server: fastify for the webhooks and health, `ws` for the call socket on the same
 * port, one registry, one app. `createServer` is the library entry point; the CLI's `serve` uses it.
 */
import { speechEngines, type SpeechEngines } from '../speech/engines.js';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { errorCode } from '../errors.js';
import { listenError } from './listen-error.js';
import { loadSpeechModules } from './load-engine.js';
import { SIGNAL_EXIT } from '../signal-exit.js';
import { FrameClock } from '../audio/frame-clock.js';
import { CallRegistry } from '../call/call-registry.js';
import type { CallApp } from '../apps/index.js';
import { loadApp } from './load-app.js';
import type { AnswerHook } from './answer-hook.js';
import { DEFAULT_CONFIG, checkConsistency, type ServerConfig } from './config.js';
import { createLogger, type ServerLogger } from './logger.js';
import { registerRawBodyParser, MAX_WEBHOOK_BODY_BYTES } from './webhook-body.js';
import { registerAnswerRoutes } from './answer-route.js';
import { registerEventRoutes } from './event-route.js';
import { CallSocketServer } from './call-socket.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { RequestAuth } from './request-auth.js';
import { createMetrics, type ServerState } from './metrics.js';
import type { Registry } from 'prom-client';
import type { WorkerLink } from '../scale/worker.js';
import { RedisLink } from '../scale/redis-link.js';
import { SharedCalls } from '../scale/shared-calls.js';
import { redisControlRoute } from '../scale/redis-control.js';
import { controlKey } from '../scale/control-signing.js';
import { createCallControl, type CallControl } from '../call/call-control.js';
import type { CallList } from '../call/call-snapshot.js';
import { registerWebRoutes } from './web-routes.js';
import { registerControlRoutes } from './control-routes.js';
import { PromisedSockets, type PromiseChange } from './promised-sockets.js';
import { startCallRecords, type RecordsRuntime } from './call-records-setup.js';
import { registerHistoryRoutes } from './history-routes.js';
import type { CallRecords } from '../records/call-records.js';
import type { Voice } from '@vonage/voice';
import { Telephony, type TelephonyOptions } from '../telephony/telephony.js';
import { vonageVoice } from '../telephony/vonage-client.js';
import { RedisDialStore, RedisTelephonyRelay } from '../scale/telephony-share.js';
import { dialEndpoints } from './dial-endpoints.js';

/** How long open calls get to close after a 1001 before their sockets are cut (shutdown must end in 5 s). */
export const SHUTDOWN_GRACE_MS = 2000;
/** How long an unfinished HTTP request may hold up shutdown before its connection is cut. */
export const HTTP_CLOSE_GRACE_MS = 1000;

export interface CreateServerOptions {
  config?: Partial<ServerConfig>;
  /** A call app; overrides `config.app` (a built-in name or a module path, loaded by `listen()`). */
  app?: CallApp;
  /** Decides the NCCO per call (sync or async); the default answer when absent or when it fails. */
  answer?: AnswerHook;
  /** Options for the built-in app named by `config.app` (e.g. `{ delay: '1s' }`). */
  appOptions?: Record<string, unknown>;
  logger?: ServerLogger;
  /** The audio clock shared by every call's pacer; injected in tests. */
  clock?: FrameClock;
  /** How often the dashboard stream pushes a snapshot, ms (default 1 s; tests use less). */
  dashboardIntervalMs?: number;
  /** Protective limits; defaults in limits.ts. */
  limits?: Partial<Limits>;
  /** This server's id among instances (default: host name and pid); set it when one process runs several. */
  instance?: string;
  /** In a `--workers` instance: links this server to the primary (src/scale/worker.ts). */
  worker?: (parts: WorkerParts) => WorkerLink;
  /** Speech engines for the calls (default: the offline ones, PocketSphinx and espeak-ng). */
  speech?: SpeechEngines;
  /** The call records' injected time and retry waits (tests; docs/records.md). */
  records?: RecordsRuntime;
  /** Vonage's Voice API client for placing and controlling calls; made from the settings' credentials when absent. */
  vonage?: Voice;
  /** Telephony beyond the settings: named transfer destinations, hold audio (docs/outbound.md). */
  telephony?: Pick<TelephonyOptions, 'destinations' | 'holdAudio' | 'acceptWindowMs'>;
}

/** What a worker link needs of the server it links. */
export interface WorkerParts {
  registry: Registry;
  snapshot: () => CallList;
  drain: () => void;
  stopNow: () => void;
  /** A socket another worker's answer promised, or kept or released there. */
  promised: (change: PromiseChange, key: string) => void;
}

export interface VoicesocketServer {
  readonly config: ServerConfig;
  readonly registry: CallRegistry;
  readonly http: FastifyInstance;
  readonly logger: ServerLogger;
  /** Hang up, play to, clear any call by id or leg uuid (every instance's, with `--redis`). */
  readonly calls: CallControl;
  /** This process among instances: host name and pid (the id it has in Redis). */
  readonly instance: string;
  /** Recordings, records, reports, analysis and traces of the calls, once listening (docs/records.md); undefined when none is asked for. */
  readonly records: CallRecords | undefined;
  /** Places calls and follows them (docs/outbound.md); undefined without Vonage credentials. */
  readonly telephony: Telephony | undefined;
  /** Starts listening; resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /**
   * Drains (docs/deploy.md): `/readyz` answers 503 at once; new call sockets are still taken for
   * `drainDelayS` (a load balancer's time to notice), then refused with 503; calls in progress go on
   * until they end or `drainTimeoutS` more has passed. Resolves then; `close()` ends what is left.
   */
  drain(): Promise<void>;
  /** True from the first `drain()` on. */
  readonly draining: boolean;
  /** Stops accepting, closes calls with 1001, then closes HTTP. */
  close(): Promise<void>;
}

/** How often a drain looks whether its calls have ended: not per frame, and quick enough to exit promptly. */
const DRAIN_POLL_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createServer(options: CreateServerOptions = {}): VoicesocketServer {
  const config: ServerConfig = checkConsistency({ ...DEFAULT_CONFIG, ...options.config });
  const logger = options.logger ?? createLogger(config.logLevel);
  // A built-in or a module path is loaded (and its options checked) by listen(): loading is async.
  let app: CallApp | undefined = options.app;
  // One clock for every call's pacer: one timer, however many calls.
  const clock = options.clock ?? new FrameClock();
  const startedAt = Date.now();

  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  /** Made by listen() when a records setting asks for them (docs/records.md). */
  let records: CallRecords | undefined;
  const registry = new CallRegistry(Date.now, { maxEventBytes: limits.maxEventBytes, maxStoreBytes: limits.maxEventStoreBytes });
  const auth = new RequestAuth(config, logger);
  if (auth.open) {
    logger.warn({}, 'no VONAGE_SIGNATURE_SECRET or SOCKET_TOKEN: webhooks are not verified and anyone can open a call socket (see docs/security.md)');
  }
  const http: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Slow or stuck clients: bounded header and request times, checked every second.
    serverFactory: (handler) =>
      createHttpServer(
        { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: 1000, keepAliveTimeout: 5000 },
        handler,
      ),
    // Per-request lines would be thousands per second under load; routes log what matters.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_WEBHOOK_BODY_BYTES,
  });
  registerRawBodyParser(http);
  let answerHook: AnswerHook | undefined = options.answer;
  // Sockets our answers promised: calls in progress for a drain from the moment they are answered.
  // Set once the server object exists (the link needs it); read by routes at request time.
  const worker: { link?: WorkerLink } = {};
  const promised = new PromisedSockets(Date.now, (change, key) => worker.link?.promised(change, key));
  registerAnswerRoutes(http, config, auth, () => answerHook, limits.answerHookTimeoutMs, promised);
  const instance = options.instance ?? `${hostname()}:${process.pid}`;
  // With --redis: what several instances share (docs/deploy.md "Many instances"). Never per frame.
  const redis = config.redisUrl ? new RedisLink(config.redisUrl, logger) : undefined;
  // Call control between instances is signed with a key no Redis client has (docs/security.md).
  const controlSigning = redis ? controlKey(config) : undefined;
  const shared = redis ? new SharedCalls(redis, instance, () => web.localCalls(), logger, controlSigning?.id) : undefined;
  // Dialling, transfers and DTMF out, with Vonage credentials (docs/outbound.md). Never per frame.
  const vonage = options.vonage ?? vonageVoice({ applicationId: config.applicationId, privateKey: config.vonagePrivateKey, apiHost: config.vonageApiHost });
  let bound: AddressInfo | undefined;
  const telephony = vonage
    ? new Telephony({
        vonage,
        instance,
        log: logger,
        endpoints: () => dialEndpoints(config.publicUrl, bound),
        sampleRate: config.sampleRate,
        ...(auth.socketAuthorization() ? { authorization: auth.socketAuthorization()! } : {}),
        defaults: {
          ...(config.vonageNumber ? { from: config.vonageNumber } : {}),
          ringingTimerS: config.ringingTimerS,
          lengthTimerS: config.lengthTimerS,
          ...(config.machineDetection !== 'off'
            ? {
                machineDetection: {
                  mode: config.machineDetection,
                  behavior: config.machineBehavior,
                  ...(config.beepTimeoutS ? { beepTimeoutS: config.beepTimeoutS } : {}),
                },
              }
            : {}),
        },
        // The operator's named destinations (`--transfer`) unless the library gives its own.
        ...(config.transfer ? { destinations: () => config.transfer ?? [] } : {}),
        ...options.telephony,
        // Shared only when signed: a Redis client without the secret must not forge a dial's record or events.
        ...(redis && controlSigning
          ? { store: new RedisDialStore(redis, controlSigning, logger), relay: new RedisTelephonyRelay(redis, instance, controlSigning, logger) }
          : {}),
      })
    : undefined;
  if (telephony && redis && !controlSigning)
    logger.warn(
      { code: errorCode('REDIS_UNAVAILABLE') },
      'redis: no REDIS_SECRET or VONAGE_SIGNATURE_SECRET, so dial records could not be signed: a dialled call whose socket lands on another instance gets no context there',
    );
  registerEventRoutes(
    http,
    registry,
    auth,
    shared || telephony
      ? (event) => {
          shared?.recordEvent(event);
          telephony?.observe(event);
        }
      : undefined,
    promised,
  );
  let draining: Promise<void> | undefined;
  const state = (): ServerState => ({ draining: draining !== undefined, ...(redis ? { redis: redis.up ? 'up' : 'down' } : {}) });
  const web = registerWebRoutes(
    http,
    registry,
    limits,
    logger,
    auth.verifyDashboard,
    options.dashboardIntervalMs,
    state,
    async () => {
      // Every instance's calls from Redis; else every worker's from the primary; else this process's.
      const everywhere = await shared?.list();
      if (everywhere) return everywhere;
      return worker.link ? worker.link.view.calls() : undefined;
    },
    telephony ? () => telephony.dials() : undefined,
  );
  const calls = createCallControl({
    registry,
    instance,
    log: logger,
    ...(redis && shared ? { route: redisControlRoute({ link: redis, shared, registry, log: logger, key: controlSigning }) } : {}),
  });
  registerControlRoutes(http, calls, auth.verifyDashboard);
  registerHistoryRoutes(http, () => records, auth.verifyDashboard);

  // Event-loop delay is the number that shows a server too busy to keep 20 ms audio on time.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const metrics = createMetrics(registry, loopDelay, state);
  http.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route !== undefined && (route.startsWith('/webhooks') || route === '/ncco')) metrics.webhook(route, reply.statusCode, reply.elapsedTime / 1000);
  });
  http.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    const link = worker.link;
    if (!link) return reply.send(await metrics.registry.metrics());
    try {
      // The whole instance, summed over the workers by the primary.
      return await reply.send(await link.view.metrics());
    } catch (error) {
      logger.warn({ err: error }, 'instance metrics unavailable; this worker only');
      return reply.header('x-voicesocket-scope', 'worker').send(await metrics.registry.metrics());
    }
  });

  // The user's own engines (--stt/--tts module paths) are registered at listen(), before any call.
  const speech =
    options.speech ??
    speechEngines({
      speechToText: config.speechToText,
      textToSpeech: config.textToSpeech,
      deepgramApiKey: config.deepgramApiKey,
      deepgramUrl: config.deepgramUrl,
      listen: { vad: config.vad, suppressNoise: config.noiseSuppression },
      vendors: {
        elevenlabs: { apiKey: config.elevenlabsApiKey, baseUrl: config.elevenlabsUrl },
        openai: { apiKey: config.openaiApiKey, baseUrl: config.openaiBaseUrl },
        openaiTranscription: { apiKey: config.openaiApiKey, baseUrl: config.openaiBaseUrl },
        assemblyai: { apiKey: config.assemblyaiApiKey, streamingUrl: config.assemblyaiStreamingUrl },
      },
    });
  const sockets = new CallSocketServer({
    registry,
    // A warm transfer's call to the person runs its briefing (src/telephony/briefing.ts), not the app.
    app: (session, url) => (telephony && Telephony.isBriefing(url) ? undefined : app!(session, { calls })),
    log: logger,
    clock,
    leadMs: config.leadMs,
    auth,
    limits,
    maxCalls: config.maxCalls,
    idleTimeoutS: config.idleTimeoutS,
    onAppTiming: metrics.appFrame,
    speech,
    promised,
    onSession: (session, url) => {
      telephony?.attach(session, url);
      records?.attach(session);
      const link = worker.link;
      if (!link) return;
      link.callStarted(session.id);
      session.once('end', () => link.callEnded(session.id));
    },
  });
  http.server.on('upgrade', (request, socket, head) => sockets.handleUpgrade(request, socket, head));

  http.get('/healthz', async () => ({
    status: 'ok',
    ...(redis ? { redis: state().redis } : {}),
    uptime: Math.round((Date.now() - startedAt) / 1000),
    activeCalls: registry.activeCalls,
    eventLoopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  }));

  // Readiness, not liveness: a draining server is alive (its calls go on) but wants no new ones.
  http.get('/readyz', async (_request, reply) =>
    draining
      ? reply.code(503).send({ status: 'draining', code: errorCode('DRAINING'), activeCalls: registry.activeCalls, promisedCalls: promised.outstanding })
      : { status: 'ready', activeCalls: registry.activeCalls },
  );

  let closing: Promise<void> | undefined;
  const server: VoicesocketServer = {
    config,
    get draining() {
      return draining !== undefined;
    },
    drain() {
      draining ??= (async () => {
        // A drain asked for is no error: the code goes on what it refuses (503s), not on this line.
        logger.info(
          { activeCalls: registry.activeCalls, promisedCalls: promised.outstanding, drainDelayS: config.drainDelayS, drainTimeoutS: config.drainTimeoutS },
          'draining: /readyz answers 503; calls in progress go on',
        );
        await sleep(config.drainDelayS * 1000);
        // A call answered but still in its greeting has no socket yet: it is in progress all the same.
        // Only without a balancer (no delay, docs/deploy.md): behind one, a promised socket may land
        // on any instance, and reaches a ready one once the balancer has seen /readyz.
        const noBalancer = config.drainDelayS === 0;
        sockets.stopAccepting(noBalancer);
        const deadline = Date.now() + config.drainTimeoutS * 1000;
        const awaited = () => (noBalancer ? promised.outstanding : 0);
        const inProgress = () => registry.activeCalls > 0 || awaited() > 0;
        while (inProgress() && Date.now() < deadline) await sleep(Math.min(DRAIN_POLL_MS, Math.max(1, deadline - Date.now())));
        for (const session of registry.activeSessions())
          logger.warn(
            { code: errorCode('DRAIN_TIMEOUT'), call: session.id, drainTimeoutS: config.drainTimeoutS },
            'drain timeout: closing a call still in progress',
          );
        if (awaited() > 0)
          logger.warn(
            { code: errorCode('DRAIN_TIMEOUT'), promisedCalls: awaited(), drainTimeoutS: config.drainTimeoutS },
            'drain timeout: answered calls whose sockets have not come will be refused',
          );
        logger.info({ activeCalls: registry.activeCalls }, 'drained');
      })();
      return draining;
    },
    registry,
    http,
    logger,
    calls,
    instance,
    get records() {
      return records;
    },
    telephony,
    async listen() {
      if (!options.speech) await loadSpeechModules(config, speech);
      if (!app) {
        const loaded = await loadApp(config.app, options.appOptions ?? {});
        app = loaded.app;
        answerHook ??= loaded.answer;
      }
      // An app given as a function, with no name configured, is the user's own.
      const appName = options.app && options.config?.app === undefined ? 'custom' : config.app;
      records ??= await startCallRecords(config, { registry, log: logger, instance, appName }, options.records);
      try {
        await http.listen({ port: config.port, host: config.host });
      } catch (error) {
        throw listenError(error, config.port, config.host);
      }
      bound = http.server.address() as AddressInfo;
      // Only once listening: a server that could not bind has nothing to share.
      redis?.start();
      shared?.start();
      return http.server.address() as AddressInfo;
    },
    close() {
      closing ??= (async () => {
        await sockets.close(SHUTDOWN_GRACE_MS);
        await records?.close();
        telephony?.close();
        web.close();
        await shared?.close();
        await redis?.close();
        // Idle connections close at once; a request still arriving (a partial one, a slow client)
        // gets a short grace, then its connection is cut: shutdown never waits on a stranger.
        const cut = setTimeout(() => http.server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
        await http.close();
        clearTimeout(cut);
        loopDelay.disable();
      })();
      return closing;
    },
  };
  worker.link = options.worker?.({
    registry: metrics.registry,
    snapshot: web.localCalls,
    drain: () => {
      // Drain, then close and exit: the primary counts the workers that have stopped.
      void server
        .drain()
        .then(() => server.close())
        .then(() => process.exit(0));
    },
    stopNow: () => process.exit(SIGNAL_EXIT.SIGTERM),
    promised: (change, key) => promised.apply(change, key),
  });
  return server;
}
