/**
 * The phone network: what happens after `POST /v1/calls` (docs/emulator.md, "The phone network").
 * Each call is a leg dialled to the phone the scenario puts at its number (dial.ts); once answered,
 * its party joins the leg's conversation (conversation.ts), machine detection runs if asked
 * (machine-detection.ts), and the call's NCCO — given, or fetched from `answer_url` — runs on it
 * (ncco-runner.ts), dialling more legs into the conversation with `connect` and moving legs between
 * conversations. What each phone heard is kept, so a test can play back or transcribe it: a
 * machine's voicemail is what it recorded after its beep.
 */
import { FrameClock } from '../../audio/frame-clock.js';
import { NCCO_SYNTAX_ERROR, type Ncco, type NccoAction } from '../../protocol/ncco.js';
import { EventPoster } from '../event-poster.js';
import { errorEvent } from '../event-payloads.js';
import { WEBHOOK_TIMEOUTS, fetchNcco, type NccoFetchContext } from '../ncco-fetch.js';
import { restAudioPcm } from '../injected-audio.js';
import { DEFAULT_SWITCHES, type EmulatorSwitches } from '../switches.js';
import { Timeline } from '../timeline.js';
import type { Signing } from '../webhook-client.js';
import { Conversation, MIX_RATE } from './conversation.js';
import { dial, type DialResult } from './dial.js';
import { addressOf, NetworkLeg, type Destination } from './leg.js';
import { detect, detectionMode, type DetectionSettings } from './machine-detection.js';
import { answerFields, statusBody, transferBody } from './network-events.js';
import { NccoRunner, type ConnectResult, type RunnerContext } from './ncco-runner.js';
import type { OutboundRequest } from './outbound-request.js';
import type { PartyRecording } from './phone-party.js';
import { NccoRecorder, type StoredFile } from './recorder.js';
import { parseScenario, type Scenario, type ScenarioInput } from './scenario.js';

/** Ended legs kept for `GET /v1/calls`: plenty for a test session, bounded for a long run. */
const MAX_ENDED_LEGS = 1000;
/** Phone recordings kept: the oldest go first. */
const MAX_RECORDINGS = 200;

export interface PhoneNetworkOptions {
  scenario?: Scenario | ScenarioInput;
  switches?: Partial<EmulatorSwitches>;
  clock?: FrameClock;
  timeouts?: Partial<typeof WEBHOOK_TIMEOUTS>;
  /** Connect wss:// endpoints as ws:// (an app on this machine; see WebsocketLegOptions.plainWs). */
  plainWs?: boolean;
}

/** What a call knows of the application that placed it. */
export interface CallContext {
  /** Signs its webhooks (and a socket's `authorization: vonage`). */
  signing?: Signing;
  /** The application's event webhook and fallback, used when the request names none. */
  eventUrl?: string;
  eventMethod?: 'GET' | 'POST';
  fallbackUrl?: string;
  /** `from` for `random_from_number`: one of the application's numbers. */
  randomFrom?: () => string | undefined;
  /** The API base the answer webhook's `region_url` names, and recordings are served from. */
  regionUrl: string;
}

/** What a phone on the network heard during one call (a machine's voicemail included). */
export interface PhoneRecording extends PartyRecording {
  /** The leg the phone answered. */
  legUuid: string;
  /** The number (or address) that was called. */
  number: string;
  kind: 'person' | 'machine';
  startedAt: string;
  endedAt: string;
}

export class PhoneNetwork implements RunnerContext {
  readonly scenario: Scenario;
  readonly switches: EmulatorSwitches;
  readonly clock: FrameClock;
  private readonly timeouts: typeof WEBHOOK_TIMEOUTS;
  private readonly legs = new Map<string, NetworkLeg>();
  private readonly contexts = new Map<string, CallContext>();
  private readonly runners = new Map<string, NccoRunner>();
  private readonly named = new Map<string, Conversation>();
  readonly recordings: PhoneRecording[] = [];
  private readonly recorder: NccoRecorder;

  constructor(private readonly options: PhoneNetworkOptions = {}) {
    this.scenario = options.scenario && 'ratePerMinute' in options.scenario ? (options.scenario as Scenario) : parseScenario(options.scenario ?? {});
    this.switches = { ...DEFAULT_SWITCHES, ...options.switches };
    this.clock = options.clock ?? new FrameClock();
    this.timeouts = { ...WEBHOOK_TIMEOUTS, ...options.timeouts };
    this.recorder = new NccoRecorder({ regionUrl: (leg) => this.contexts.get(leg.uuid)?.regionUrl ?? '' });
  }

  /** `POST /v1/calls`: a new outbound leg, dialled now; returned at once (`started`). */
  createCall(request: OutboundRequest, context: CallContext): NetworkLeg {
    const from = request.from ?? (request.randomFromNumber ? context.randomFrom?.() : undefined) ?? 'Unknown';
    const leg = this.newLeg(request.to, from, context, {
      eventUrl: request.eventUrl ?? context.eventUrl,
      eventMethod: request.eventMethod ?? context.eventMethod ?? 'POST',
    });
    this.outbound(leg, request, context).catch((error: Error) => this.failed(leg, error));
    return leg;
  }

  leg(uuid: string): NetworkLeg | undefined {
    return this.legs.get(uuid);
  }

  /** Every leg kept, oldest first. */
  allLegs(): NetworkLeg[] {
    return [...this.legs.values()];
  }

  /** What the phones at `number` heard, one recording per call, oldest first. */
  recordingsOf(number: string): PhoneRecording[] {
    const key = number.replace(/^\+/, '');
    return this.recordings.filter((recording) => recording.number === key);
  }

  /** A file an NCCO `record` made (`recording_url`). */
  file(id: string): StoredFile | undefined {
    return this.recorder.file(id);
  }

  /** Resolves when every leg placed so far has ended and its last events have been delivered. */
  async settled(): Promise<void> {
    const legs = [...this.legs.values()];
    await Promise.all(legs.map((leg) => leg.ended));
    await Promise.all(legs.map((leg) => leg.options.events.settled()));
  }

  get activeLegs(): number {
    return [...this.legs.values()].filter((leg) => leg.live).length;
  }

  /** Hangs up every leg and waits for them to end. */
  async close(): Promise<void> {
    for (const leg of this.legs.values()) leg.hangup();
    await this.settled();
  }

  /** REST `transfer`: the leg's NCCO stops and `ncco` runs (its connected legs end, as the switch says). */
  transfer(leg: NetworkLeg, ncco: Ncco): void {
    if (this.switches.transferEndsConnectedLegs) for (const child of leg.liveChildren()) child.hangup();
    leg.timeline.add('ncco', `REST transfer to a new NCCO of ${ncco.length} action(s)`);
    const runner = this.runners.get(leg.uuid);
    if (runner) return runner.transfer(ncco);
    this.run(leg, ncco).catch((error: Error) => this.failed(leg, error));
  }

  /** REST `transfer` to a URL: the NCCO is fetched as an answer webhook is, then runs as above. */
  async transferToUrl(leg: NetworkLeg, url: string): Promise<boolean> {
    const context = this.contexts.get(leg.uuid);
    const fetched = await fetchNcco(this.fetchContext(leg), url, 'GET', answerFields(leg.facts(), context?.regionUrl ?? ''), 'answer');
    if (!fetched.ok || !fetched.ncco) return false;
    this.transfer(leg, fetched.ncco);
    return true;
  }

  // RunnerContext: what an NCCO needs of the network.
  async eventNcco(leg: NetworkLeg, url: string | undefined, body: Record<string, unknown>, method: 'GET' | 'POST' = 'POST'): Promise<Ncco | undefined> {
    return leg.options.events.postForNcco(url, body, method);
  }

  async connect(parent: NetworkLeg, action: Extract<NccoAction, { action: 'connect' }>, signal: AbortSignal): Promise<ConnectResult> {
    const destination = action.endpoint[0] as unknown as Destination;
    const context = this.contexts.get(parent.uuid) ?? { regionUrl: '' };
    // A phone `connect` rings from the call's own number: the number called, for an inbound call.
    const from = action.from ?? (parent.direction === 'inbound' ? parent.to : parent.from);
    const child = this.newLeg(
      destination,
      from,
      context,
      { eventUrl: action.eventUrl?.[0] ?? parent.options.eventUrl, eventMethod: action.eventMethod ?? parent.options.eventMethod },
      parent,
    );
    const dialled = await dial(child, this.dialOptions(action.timeout ?? 60, context));
    if (!dialled.answered) return { connected: false, child, outcome: dialled.outcome ?? child.outcome ?? { status: 'cancelled' } };
    const detection = connectDetection(action);
    const { appClosed } = this.answered(child, dialled, action.limit ?? 7200, detection);
    if (dialled.kind === 'socket' && !this.switches.connectBlocks) {
      // Actions after connect run once the socket is up (observed behaviour, docs/protocol.md §6.4).
      void appClosed.then(async () => {
        await this.eventNcco(child, child.options.eventUrl, statusBody(child.facts(), 'disconnected'));
        child.end({ by: 'platform' });
      });
      return { connected: true, child, closedByApp: false };
    }
    let closedByApp = false;
    await Promise.race([
      child.ended,
      appClosed.then(() => (closedByApp = true)),
      new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
    ]);
    return { connected: true, child, closedByApp };
  }

  conversationNamed(name: string): Conversation {
    let conversation = this.named.get(name);
    if (!conversation) {
      conversation = new Conversation({ clock: this.clock, switches: this.switches, name });
      conversation.started = false;
      this.named.set(name, conversation);
    }
    return conversation;
  }

  conversationById(id: string): Conversation | undefined {
    for (const conversation of this.named.values()) if (conversation.uuid === id) return conversation;
    for (const leg of this.legs.values()) if (leg.conversation.uuid === id) return leg.conversation;
    return undefined;
  }

  moved(leg: NetworkLeg, from: Conversation): void {
    leg.options.events.post(leg.options.eventUrl, transferBody(leg.facts(), from.uuid, leg.conversation.uuid));
  }

  record(leg: NetworkLeg, action: Extract<NccoAction, { action: 'record' }>): void {
    this.recorder.start(leg, action);
  }

  endConversation(conversation: Conversation, except: NetworkLeg): void {
    for (const member of conversation.members()) if (member.uuid !== except.uuid) this.legs.get(member.uuid)?.hangup();
  }

  // ---- the life of a leg ----

  private newLeg(
    destination: Destination,
    from: string,
    context: CallContext,
    events: { eventUrl: string | undefined; eventMethod: 'GET' | 'POST' },
    parent?: NetworkLeg,
  ): NetworkLeg {
    const conversation = parent?.conversation ?? new Conversation({ clock: this.clock, switches: this.switches });
    const timeline = new Timeline();
    const made: { leg?: NetworkLeg } = {};
    const poster = new EventPoster({
      method: events.eventMethod,
      timeouts: this.timeouts,
      signing: context.signing,
      timeline,
      fetchNcco: (url, method, body) => fetchNcco(this.fetchContext(made.leg!), url, method, body, 'event', context.fallbackUrl),
    });
    const leg = new NetworkLeg({
      timeline,
      destination,
      from,
      direction: 'outbound',
      conversation,
      events: poster,
      ...events,
      switches: this.switches,
      tariff: this.scenario,
      ...(parent ? { parent } : {}),
    });
    made.leg = leg;
    this.track(leg, context);
    return leg;
  }

  private fetchContext(leg: NetworkLeg): NccoFetchContext {
    const context = this.contexts.get(leg.uuid);
    return {
      timeouts: this.timeouts,
      signing: context?.signing,
      timeline: leg.timeline,
      warnings: [],
      onInvalid: (issues) => {
        leg.timeline.add('ncco', `invalid NCCO: ${issues.slice(0, 3).join('; ')}`, true);
        leg.options.events.post(leg.options.eventUrl, errorEvent(leg.conversation.uuid, NCCO_SYNTAX_ERROR));
      },
    };
  }

  private dialOptions(ringingTimerS: number, context: CallContext) {
    return {
      scenario: this.scenario,
      ringingTimerS,
      clock: this.clock,
      switches: this.switches,
      signing: context.signing,
      ...(this.options.plainWs ? { plainWs: true } : {}),
    };
  }

  /** A call placed by `POST /v1/calls`: dialled, answered, detected, then its NCCO. */
  private async outbound(leg: NetworkLeg, request: OutboundRequest, context: CallContext): Promise<void> {
    const dialled = await dial(leg, this.dialOptions(request.ringingTimerS, context));
    if (!dialled.answered) {
      if (dialled.outcome) leg.end(dialled.outcome);
      return;
    }
    const { appClosed, verdict } = this.answered(leg, dialled, request.lengthTimerS, request.detection);
    void appClosed.then(() => {
      leg.post('disconnected');
      leg.end({ by: 'platform' });
    });
    if (request.to.type === 'phone' && request.to.dtmfAnswer) {
      leg.restAudio.start('dtmf', await restAudioPcm({ kind: 'dtmf', digits: request.to.dtmfAnswer }, MIX_RATE), 1, 0);
    }
    const mode = detectionMode(request.detection);
    if (verdict && mode && this.switches.answerWaitsForVerdict.includes(mode)) await verdict;
    if (!leg.live) return;
    let ncco = request.ncco;
    if (!ncco && request.answerUrl) {
      const fetched = await fetchNcco(
        this.fetchContext(leg),
        request.answerUrl,
        request.answerMethod,
        answerFields(leg.facts(), context.regionUrl),
        'answer',
        context.fallbackUrl,
      );
      if (fetched.ok) ncco = fetched.ncco;
    }
    if (!leg.live) return;
    if (!ncco) return leg.hangup();
    await this.run(leg, ncco);
  }

  /** The far end answered: its party joins, the length timer starts, detection runs; a phone's recording is kept when the leg ends. */
  private answered(
    leg: NetworkLeg,
    dialled: Extract<DialResult, { answered: true }>,
    lengthS: number,
    detection: DetectionSettings,
  ): { appClosed: Promise<void>; verdict: Promise<unknown> | undefined } {
    leg.answer(
      dialled.kind === 'socket'
        ? {
            say: () => dialled.party.say(),
            hear: (f) => dialled.party.hear(f),
            dtmfFrom: (d) => dialled.party.dtmfFrom(d),
            close: () => dialled.party.leg.hangupByPlatform(),
          }
        : dialled.party,
      dialled.kind === 'phone' || this.switches.websocketLegEvents.includes('answered'),
    );
    const lengthTimer = setTimeout(() => leg.hangup(), lengthS * 1000);
    void leg.ended.then(() => clearTimeout(lengthTimer));
    if (dialled.kind === 'socket') {
      const appClosed = dialled.socketEnded.then((result) => {
        if (leg.live && result.end === 'app-closed') return true;
        if (leg.live) leg.end({ by: 'platform' });
        return false;
      });
      return { appClosed: appClosed.then((closed) => (closed ? undefined : new Promise<void>(() => {}))), verdict: undefined };
    }
    void leg.ended.then(() => this.keep(leg, dialled.party.phone.kind, dialled.party.recording()));
    const verdict = detectionMode(detection) ? detect(leg, dialled.phone, detection, dialled.beepStarted, this.switches).verdict : undefined;
    return { appClosed: new Promise<void>(() => {}), verdict };
  }

  private run(leg: NetworkLeg, ncco: Ncco): Promise<void> {
    const runner = new NccoRunner(this, leg);
    this.runners.set(leg.uuid, runner);
    return runner.run(ncco).finally(() => {
      if (this.runners.get(leg.uuid) === runner) this.runners.delete(leg.uuid);
    });
  }

  private keep(leg: NetworkLeg, kind: 'person' | 'machine', recording: PartyRecording): void {
    this.recordings.push({
      ...recording,
      legUuid: leg.uuid,
      number: addressOf(leg.destination),
      kind,
      startedAt: new Date(leg.answeredAt ?? leg.startedAt).toISOString(),
      endedAt: new Date(leg.endedAt ?? Date.now()).toISOString(),
    });
    if (this.recordings.length > MAX_RECORDINGS) this.recordings.shift();
  }

  private track(leg: NetworkLeg, context: CallContext): void {
    this.legs.set(leg.uuid, leg);
    this.contexts.set(leg.uuid, context);
    const ended = [...this.legs.values()].filter((kept) => !kept.live);
    for (const old of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_LEGS))) {
      this.legs.delete(old.uuid);
      this.contexts.delete(old.uuid);
    }
  }

  /** A fault in the emulator's own flow ends only this leg, with a line on its timeline. */
  private failed(leg: NetworkLeg, error: Error): void {
    leg.timeline.add('check', `emulator error: ${error.message}`, true);
    if (leg.live) leg.end({ by: 'platform' });
  }
}

/** A `connect` action's machine detection (the same settings as a `POST /v1/calls`). */
function connectDetection(action: Extract<NccoAction, { action: 'connect' }>): DetectionSettings {
  const raw = action as {
    machineDetection?: unknown;
    advancedMachineDetection?: Record<string, unknown>;
    advanced_machine_detection?: Record<string, unknown>;
  };
  const advanced = raw.advancedMachineDetection ?? raw.advanced_machine_detection;
  return {
    ...(raw.machineDetection === 'continue' || raw.machineDetection === 'hangup' ? { standard: raw.machineDetection } : {}),
    ...(advanced
      ? {
          advanced: {
            behavior: advanced.behavior === 'hangup' ? 'hangup' : 'continue',
            mode: advanced.mode === 'default' || advanced.mode === 'detect_beep' ? advanced.mode : 'detect',
            ...(typeof (advanced.beep_timeout ?? advanced.beepTimeout) === 'number'
              ? { beepTimeoutS: Number(advanced.beep_timeout ?? advanced.beepTimeout) }
              : {}),
          },
        }
      : {}),
  };
}
