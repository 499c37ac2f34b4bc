/**
 * The emulator as one object: places calls, keeps the ones in progress so the REST API can control
 * them, and serves that REST API. `placeCall` alone is enough for one-off calls; this is for tests
 * and tools that also drive calls through Vonage's REST API.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { CallRun, type CallResult, type PlaceCallOptions } from './call.js';
import { createRestApi, type RestCall } from './rest-api.js';
import type { EmulatorSwitches } from './switches.js';
import type { Signing } from './webhook-client.js';
import { EmulatedAccount, type AccountOptions } from './account.js';
import { PhoneNetwork, type PhoneNetworkOptions } from './network/phone-network.js';
import { networkCall, outboundCall } from './network/rest-calls.js';

/** Ended calls kept for `GET /v1/calls`: plenty for any test or session, bounded for a long load run. */
const MAX_ENDED_CALLS = 1000;

export interface VonageEmulatorOptions {
  applicationId?: string;
  /** PEM public key matching the application's private key (checks the REST JWT signature). */
  publicKey?: string;
  signing?: Signing;
  switches?: Partial<EmulatorSwitches>;
  /**
   * A Vonage account: serves its Applications and Numbers APIs beside the Voice API, and lets
   * `callNumber` place inbound calls to whatever application a number is linked to.
   */
  account?: AccountOptions | EmulatedAccount;
  /** The phone network `POST /v1/calls` dials into: its scenario (who answers which number, and how). */
  network?: Omit<PhoneNetworkOptions, 'switches'>;
}

/** Where `callNumber` found no application to send the call to; Vonage would not reach any webhook. */
export class UnroutableNumberError extends Error {
  constructor(readonly msisdn: string) {
    super(`${msisdn} is not a number of this account linked to an application with voice webhooks`);
    this.name = 'UnroutableNumberError';
  }
}

interface Tracked {
  run: CallRun;
  done: Promise<CallResult>;
  ended: boolean;
}

export class VonageEmulator {
  private readonly calls = new Set<Tracked>();
  private rest: FastifyInstance | undefined;
  /** Base URL of the REST API once `listen` resolved, e.g. for `new Voice(auth, { apiHost })`. */
  restUrl = '';
  readonly account: EmulatedAccount | undefined;
  /** The phones `POST /v1/calls` reaches: their recordings, the legs in progress. */
  readonly network: PhoneNetwork;

  constructor(private readonly options: VonageEmulatorOptions = {}) {
    const account = options.account;
    this.account = account === undefined || account instanceof EmulatedAccount ? account : new EmulatedAccount(account);
    this.network = new PhoneNetwork({ ...options.network, ...(options.switches ? { switches: options.switches } : {}) });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.rest = await createRestApi({
      ...(this.options.applicationId ? { applicationId: this.options.applicationId } : {}),
      ...(this.options.publicKey ? { publicKey: this.options.publicKey } : {}),
      findCall: (uuid) => this.find(uuid),
      allCalls: () => [...[...this.calls].map((tracked) => this.restCall(tracked)), ...this.network.allLegs().map((leg) => networkCall(this.network, leg))],
      createCall: (body, caller) =>
        outboundCall(this.network, body, {
          ...caller,
          ...(this.options.signing ? { signing: this.options.signing } : {}),
          ...(this.account ? { account: this.account } : {}),
        }),
      file: (id) => this.network.file(id),
      ...(this.account ? { account: this.account } : {}),
    });
    await this.rest.listen({ port, host });
    const address = this.rest.server.address() as AddressInfo;
    this.restUrl = `http://${host}:${address.port}`;
    return this.restUrl;
  }

  /** Places an inbound call; resolves when it has ended. The call is controllable meanwhile. */
  placeCall(options: PlaceCallOptions): Promise<CallResult> {
    return this.track(new CallRun(this.withDefaults(options))).done;
  }

  /**
   * An inbound call to one of the account's numbers, placed as Vonage places it: to the answer and
   * event URLs (and methods) of the application the number is linked to, signed with the account's
   * signature secret when the application has signed callbacks. Rejects when nothing is linked.
   */
  callNumber(
    msisdn: string,
    options: Omit<PlaceCallOptions, 'answerUrl' | 'answerMethod' | 'eventUrl' | 'eventMethod' | 'fallbackUrl' | 'to'> = {},
  ): Promise<CallResult> {
    const route = this.account?.routeFor(msisdn);
    const voice = route?.application.capabilities.voice;
    const answer = voice?.webhooks?.answer_url;
    if (!route || !answer) return Promise.reject(new UnroutableNumberError(msisdn));
    const event = voice.webhooks?.event_url;
    const fallback = voice.webhooks?.fallback_answer_url;
    const secret = this.account?.signatureSecret;
    return this.placeCall({
      ...options,
      to: msisdn,
      answerUrl: answer.address,
      answerMethod: answer.http_method,
      ...(event ? { eventUrl: event.address, eventMethod: event.http_method } : {}),
      ...(fallback ? { fallbackUrl: fallback.address } : {}),
      ...(voice.signed_callbacks && secret ? { signing: { secret, apiKey: this.account!.apiKey, applicationId: route.application.id } } : {}),
    });
  }

  /** Calls in progress (legs on the phone network included). */
  get activeCalls(): number {
    // (ended calls stay in the set for GET /v1/calls)
    return [...this.calls].filter((call) => !call.ended).length + this.network.activeLegs;
  }

  /** Resolves when every call placed so far has ended. */
  async settled(): Promise<CallResult[]> {
    return Promise.all([...this.calls].map((call) => call.done));
  }

  async close(): Promise<void> {
    for (const call of this.calls) if (!call.ended) for (const uuid of call.run.legUuids()) call.run.control(uuid, 'hangup');
    await this.settled();
    await this.network.close();
    await this.rest?.close();
  }

  private withDefaults(options: PlaceCallOptions): PlaceCallOptions {
    return {
      ...(this.options.signing ? { signing: this.options.signing } : {}),
      ...options,
      switches: { ...this.options.switches, ...options.switches },
    };
  }

  private track(run: CallRun): Tracked {
    const tracked: Tracked = { run, done: undefined as unknown as Promise<CallResult>, ended: false };
    tracked.done = run.run().finally(() => {
      tracked.ended = true;
    });
    this.calls.add(tracked);
    // Ended calls stay listed for GET /v1/calls, the oldest forgotten past a bound.
    const ended = [...this.calls].filter((call) => call.ended);
    for (const old of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_CALLS))) this.calls.delete(old);
    return tracked;
  }

  /** The call holding a leg: a live one first, else the latest ended one (Vonage keeps call records). */
  private find(uuid: string): RestCall | undefined {
    const leg = this.network.leg(uuid);
    if (leg) return networkCall(this.network, leg);
    const holding = [...this.calls].filter((tracked) => tracked.run.legUuids().includes(uuid));
    const tracked = holding.find((call) => !call.ended) ?? holding.at(-1);
    return tracked ? this.restCall(tracked) : undefined;
  }

  private restCall(tracked: Tracked): RestCall {
    const { run } = tracked;
    return {
      uuid: run.uuid,
      conversationUuid: run.conversationUuid,
      live: !tracked.ended,
      legUuids: () => run.legUuids(),
      control: (leg, action) => run.control(leg, action),
      transfer: (ncco) => run.transfer(ncco),
      playInto: (leg, request) => run.playInto(leg, request),
      stopPlaying: (leg, kind) => run.stopPlaying(leg, kind),
      records: () => run.legRecords(),
    };
  }
}
