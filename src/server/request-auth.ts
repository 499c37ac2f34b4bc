/**
 * Who may call in: signed webhooks (answer, event) and authenticated socket upgrades. With no secret
 * and no token configured the server is open (and says so at start). The checks themselves are in
 * protocol/signed-webhook.ts; this file decides which apply and reads the request.
 */
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, errorCode, type ErrorName } from '../errors.js';
import { ReplayCache, bearerToken, duplicateQueryKey, queryHashInput, verifySignedWebhook } from '../protocol/signed-webhook.js';
import { SampledLog, type Logger } from '../call/logger.js';
import type { WebsocketAuthorization } from '../protocol/ncco.js';
import type { ServerConfig } from './config.js';
import type { WebhookBody } from './webhook-body.js';

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export type AuthVerdict = { ok: true } | { ok: false; problem: ErrorName; detail: string };

export class RequestAuth {
  /** One replay window for webhooks and upgrades alike: a token is good once. */
  private readonly replay = new ReplayCache();

  private readonly refusals: SampledLog;

  constructor(
    private readonly config: ServerConfig,
    log: Logger,
  ) {
    this.refusals = new SampledLog(log);
  }

  get webhooksSigned(): boolean {
    return this.config.signatureSecret !== undefined;
  }

  get open(): boolean {
    return this.config.signatureSecret === undefined && this.config.socketToken === undefined;
  }

  /** What the answer NCCO asks Vonage to send on the upgrade. */
  socketAuthorization(): WebsocketAuthorization | undefined {
    if (this.config.socketToken) return { type: 'custom', value: `Bearer ${this.config.socketToken}` };
    if (this.config.signatureSecret) return { type: 'vonage' };
    return undefined;
  }

  /** fastify preHandler for the webhooks: 401 with a coded body unless the request is signed. */
  readonly verifyWebhook = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const secret = this.config.signatureSecret;
    if (!secret) return;
    const url = request.raw.url ?? '';
    const search = url.includes('?') ? url.slice(url.indexOf('?')) : '';
    const duplicate = request.method === 'GET' ? duplicateQueryKey(search) : undefined;
    const payload = request.method === 'GET' ? queryHashInput(search) : ((request.body as WebhookBody | undefined)?.raw ?? Buffer.alloc(0));
    const verdict: AuthVerdict = duplicate
      ? { ok: false, problem: 'SIGNATURE_PAYLOAD', detail: `query parameter ${JSON.stringify(duplicate)} appears twice` }
      : await verifySignedWebhook(bearerToken(request.headers.authorization), this.options(secret, payload));
    if (verdict.ok) return;
    const code = errorCode(verdict.problem);
    // Never the token or the secret: the code and why. Sampled: a flood of forged requests is not a flood of lines.
    this.refusals.warn(code, { detail: verdict.detail, route: request.routeOptions.url, remote: request.ip }, 'webhook refused');
    await reply.code(401).send({ error: code, message: ERRORS[verdict.problem] });
  };

  /**
   * fastify preHandler for the dashboard and its APIs, which show every call's numbers. An open server
   * shows them to anyone who names it by a name it is known by (it is open anyway; a rebinding page
   * names it by the attacker's name). A verified one shows them to a client with the dashboard
   * password (HTTP Basic, any user name: browsers send it with EventSource too), or without one to
   * this machine only — a loopback peer with no forwarding headers, so a proxy on this machine does
   * not count as local.
   */
  readonly verifyDashboard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // A web page on another site may make the caller's browser POST here (a form or text/plain
    // fetch needs no CORS preflight) and the browser adds any cached password: whatever the mode,
    // what changes a call must come from this server's own pages, or from a client that is no browser.
    const foreign = request.method !== 'GET' && request.method !== 'HEAD' ? crossSite(request) : undefined;
    if (foreign) return this.refuseForeign(request, reply, foreign);
    if (this.open) {
      // DNS rebinding holds in every mode: a page of evil.example whose name now resolves to this
      // server is same-origin with itself, so its reads and POSTs pass the check above; only its
      // Host gives it away. An open server answers the names it is known by (docs/security.md).
      const host = request.headers.host;
      if (host === undefined || knownHost(host, this.config)) return;
      return this.refuseForeign(request, reply, `Host ${JSON.stringify(host)} is not a name of this server (set --public-url to the URL it is reached at)`);
    }
    const password = this.config.dashboardPassword;
    if (password) {
      const given = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      const decoded = given ? Buffer.from(given, 'base64').toString('utf8') : '';
      const secret = decoded.slice(decoded.indexOf(':') + 1);
      if (given && decoded.includes(':') && safeEqual(secret, password)) return;
      this.refusals.warn(errorCode('DASHBOARD_UNAUTHORIZED'), { route: request.routeOptions.url, remote: request.ip }, 'dashboard refused');
      await reply
        .code(401)
        .header('www-authenticate', 'Basic realm="voicesocket", charset="UTF-8"')
        .send({ error: errorCode('DASHBOARD_UNAUTHORIZED'), message: ERRORS.DASHBOARD_UNAUTHORIZED });
      return;
    }
    const forwarded = forwardingHeader(request.headers);
    const address = request.socket.remoteAddress ?? '';
    if (!forwarded && (address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1')) {
      // DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1 reaches us from
      // this machine, but its requests still say `Host: evil.example`. Local means a loopback name too.
      if (isLoopbackHost(request.headers.host)) return;
      return this.refuseForeign(request, reply, `Host ${JSON.stringify(request.headers.host ?? '')} is not a loopback name`);
    }
    this.refusals.warn(
      errorCode('DASHBOARD_UNAUTHORIZED'),
      { route: request.routeOptions.url, remote: request.ip, ...(forwarded ? { forwarded } : {}) },
      'dashboard refused',
    );
    await reply
      .code(403)
      .send({ error: errorCode('DASHBOARD_UNAUTHORIZED'), message: `${ERRORS.DASHBOARD_UNAUTHORIZED}: set --dashboard-password to open it to other hosts` });
  };

  private async refuseForeign(request: FastifyRequest, reply: FastifyReply, detail: string): Promise<void> {
    this.refusals.warn(
      errorCode('FOREIGN_ORIGIN'),
      { route: request.routeOptions.url, remote: request.ip, detail },
      'browser request from another site refused',
    );
    await reply.code(403).send({ error: errorCode('FOREIGN_ORIGIN'), message: `${ERRORS.FOREIGN_ORIGIN}: ${detail}` });
  }

  /** Checks an upgrade request's credentials before the socket is accepted. */
  async verifyUpgrade(request: IncomingMessage): Promise<AuthVerdict> {
    const header = request.headers.authorization;
    if (this.config.socketToken) {
      if (safeEqual(header ?? '', `Bearer ${this.config.socketToken}`)) return { ok: true };
      return { ok: false, problem: 'SOCKET_UNAUTHORIZED', detail: header ? 'wrong token' : 'no Authorization header' };
    }
    if (this.config.signatureSecret) {
      const verdict = await verifySignedWebhook(bearerToken(header), this.options(this.config.signatureSecret, undefined));
      return verdict.ok ? { ok: true } : { ok: false, problem: verdict.problem, detail: verdict.detail };
    }
    return { ok: true };
  }

  private options(secret: string, payload: Buffer | string | undefined) {
    return {
      secret,
      ...(this.config.apiKey ? { apiKey: this.config.apiKey } : {}),
      ...(this.config.applicationId ? { applicationId: this.config.applicationId } : {}),
      ...(payload !== undefined ? { payload } : {}),
      maxAgeS: this.config.signatureMaxAgeS,
      replay: this.replay,
    };
  }
}

/**
 * The first header saying the request passed through a proxy, or undefined. Any of them means the
 * peer we see is not the client: `Forwarded`, `Via`, `X-Forwarded-*`, and the client-address headers
 * proxies and CDNs add (`X-Real-IP` of nginx, `True-Client-IP` of Akamai and Cloudflare,
 * `CF-Connecting-IP`, `X-Client-IP`, `X-Cluster-Client-IP`, `Fastly-Client-IP`, ...: every name
 * ending in `-ip`), so a proxy on this machine does not make the world local.
 */
export function forwardingHeader(headers: Record<string, unknown>): string | undefined {
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'forwarded' || lower === 'via' || lower.startsWith('x-forwarded') || lower === 'forwarded-for' || lower.endsWith('-ip')) return lower;
  }
  return undefined;
}

/**
 * A name an open server answers its dashboard on: a loopback name, an IP address (a page can rebind a
 * name, not an address: a page at an address is this server's own), this machine's host name, or the
 * host of `--public-url` (the tunnel or proxy in front; read at request time, as `dev` sets it once
 * its tunnel is up).
 */
export function knownHost(host: string, config: Pick<ServerConfig, 'publicUrl' | 'host'>): boolean {
  if (isLoopbackHost(host)) return true;
  const name = hostName(host);
  if (isIP(name.replace(/^\[|\]$/g, '')) !== 0) return true;
  const own = hostname().toLowerCase();
  const names = [own, `${own}.local`, config.host.toLowerCase()];
  if (config.publicUrl) {
    try {
      names.push(new URL(config.publicUrl).hostname.toLowerCase());
    } catch {
      // A public URL that does not parse names nothing (the settings refuse one anyway).
    }
  }
  return names.includes(name);
}

/** The host of a Host header without its port, lower case (`[::1]` keeps its brackets). */
function hostName(host: string): string {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  return name.toLowerCase().replace(/\.$/, '');
}

/** localhost, a name under .localhost (browsers resolve those to loopback themselves), 127.0.0.0/8 or [::1], with any port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const lower = hostName(host);
  return lower === 'localhost' || lower.endsWith('.localhost') || lower === '[::1]' || /^127(\.\d{1,3}){3}$/.test(lower);
}

/**
 * Why a request is a browser's from another site, or undefined: its Origin is not this server's (the
 * scheme is not compared: behind a TLS proxy the page is https and we see http), or, with no Origin,
 * the browser's own Sec-Fetch-Site says it crossed sites. A client that is no browser sends neither.
 */
export function crossSite(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const origin = request.headers.origin;
  const host = request.headers['x-forwarded-host'] ?? request.headers.host;
  if (origin !== undefined) {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (!originHost || typeof host !== 'string' || originHost.toLowerCase() !== host.toLowerCase())
      return `Origin ${JSON.stringify(origin)} is not this server`;
    return undefined;
  }
  const site = request.headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site' ? `Sec-Fetch-Site ${site}` : undefined;
}
