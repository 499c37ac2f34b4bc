/**
 * One emulated inbound call, end to end: Vonage's answer fetch (timeouts, one retry, fallback), NCCO
 * validation, the NCCO runner, event webhooks for both legs, and the websocket leg. Returns what
 * happened and whether Vonage would have accepted everything the app did.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameClock } from '../audio/frame-clock.js';
import { DEFAULT_SAMPLE_RATE, parseContentType } from '../protocol/audio-format.js';
import { CONTENT_TYPE_KEY } from '../protocol/socket-messages.js';
import { NCCO_SYNTAX_ERROR, type Ncco, type NccoAction, type WebsocketEndpoint } from '../protocol/ncco.js';
import { signWebhook } from '../protocol/signed-webhook.js';
import { createCallerAudio, synthesizeSpeech } from './caller-audio.js';
import { dtmfMessage } from '../protocol/socket-messages.js';
import { errorEvent, inputEvent, recordEvent, statusEvent, type Leg } from './event-payloads.js';
import { heardBy, transcribeHeard } from './heard-audio.js';
import { EventPoster } from './event-poster.js';
import { restAudioPcm } from './injected-audio.js';
import { DEFAULT_SWITCHES, type EmulatorSwitches } from './switches.js';
import { Timeline } from './timeline.js';
import { WebsocketLeg, type LegResult } from './websocket-leg.js';
import { WEBHOOK_TIMEOUTS, fetchNcco, type NccoFetch } from './ncco-fetch.js';
import { legRecord, type AnswerOutcome, type CallResult, type InjectRequest, type LegRecord, type PlaceCallOptions } from './call-result.js';

// The words of a call and its fetch live beside it; this module stays the door to them.
export { WEBHOOK_TIMEOUTS } from './ncco-fetch.js';
export type { AnswerOutcome, CallResult, HeardUtterance, InjectRequest, LegRecord, PlaceCallOptions, PostedEvent } from './call-result.js';

/** The rate talk actions are synthesized at. */
const TALK_RATE = 16000;
export const DEFAULT_CALLER = '447700900000';
export const DEFAULT_CALLED = '442079460000';

const sharedClock = new FrameClock();

export async function placeCall(options: PlaceCallOptions): Promise<CallResult> {
  return new CallRun(options).run();
}

/** REST call control actions (docs/protocol.md §10). */
export type CallAction = 'hangup' | 'mute' | 'unmute' | 'earmuff' | 'unearmuff';

export class CallRun {
  private readonly switches: EmulatorSwitches;
  private readonly timeouts: typeof WEBHOOK_TIMEOUTS;
  private readonly timeline: Timeline;
  private readonly clock: FrameClock;
  private readonly legA: Leg;
  private readonly problems: string[] = [];
  private readonly nccoWarnings: string[] = [];
  private readonly nccoIssues: string[] = [];
  private readonly inputDigits: string[];
  private readonly records: Array<{ action: NccoAction; startedAt: number }> = [];
  /** Talk audio the caller heard before the socket, at TALK_RATE (with `record`). */
  private readonly talkHeard: Buffer[] = [];
  /** Event webhooks, posted in order (event-poster.ts). */
  private readonly poster: EventPoster;
  private leg: LegResult | undefined;
  private websocketLegUuid: string | undefined;
  private legB: Leg | undefined;
  private legBEndedAt: number | undefined;
  private endedAt: number | undefined;
  private callerHungUp = false;
  private readonly started = performance.now();
  private readonly pendingLegs: Array<Promise<void>> = [];
  private activeLeg: { uuid: string; leg: WebsocketLeg } | undefined;
  private transferTo: Ncco | undefined;

  constructor(private readonly options: PlaceCallOptions) {
    this.switches = { ...DEFAULT_SWITCHES, ...options.switches };
    this.timeouts = { ...WEBHOOK_TIMEOUTS, ...options.timeouts };
    this.timeline = new Timeline(options.onTimeline);
    this.poster = new EventPoster({
      method: options.eventMethod ?? 'POST',
      timeouts: this.timeouts,
      signing: options.signing,
      timeline: this.timeline,
      fetchNcco: (url, method, body) => this.fetchNcco(url, method, body, 'event', options.fallbackUrl),
    });
    this.clock = options.clock ?? sharedClock;
    this.inputDigits = [...(options.inputDigits ?? [])];
    this.legA = {
      uuid: randomUUID(),
      conversationUuid: `CON-${randomUUID()}`,
      from: options.from ?? DEFAULT_CALLER,
      to: options.to ?? DEFAULT_CALLED,
      direction: 'inbound',
      startedAt: Date.now(),
    };
  }

  /** The caller leg's uuid and its conversation. */
  get uuid(): string {
    return this.legA.uuid;
  }

  get conversationUuid(): string {
    return this.legA.conversationUuid;
  }

  /** Leg uuids this call has: the caller's, and the websocket leg's while it exists. */
  legUuids(): string[] {
    return [this.legA.uuid, ...(this.websocketLegUuid ? [this.websocketLegUuid] : [])];
  }

  /**
   * REST control of one leg. Hanging up the websocket leg ends it from Vonage's side with no
   * `disconnected` event (docs/protocol.md §5.3); hanging up the caller ends the call. Returns false for an unknown leg.
   */
  control(legUuid: string, action: CallAction): boolean {
    const isCaller = legUuid === this.legA.uuid;
    const isSocket = this.activeLeg?.uuid === legUuid;
    if (!isCaller && !isSocket && legUuid !== this.websocketLegUuid) return false;
    this.timeline.add('ncco', `REST ${action} of the ${isCaller ? 'caller' : 'websocket'} leg`);
    const leg = this.activeLeg?.leg;
    switch (action) {
      case 'hangup':
        if (isCaller) {
          this.callerHungUp = true;
          leg?.hangup();
        } else leg?.hangupByPlatform();
        return true;
      case 'mute':
      case 'unmute':
        if (leg && isCaller) leg.muted = action === 'mute';
        return true;
      case 'earmuff':
      case 'unearmuff':
        if (leg && isCaller) leg.earmuffed = action === 'earmuff';
        return true;
    }
  }

  /**
   * REST audio into a leg of the call (`PUT /v1/calls/:uuid/talk|stream|dtmf`): played to the caller,
   * and to the websocket as a switch says. False for an unknown leg or when no socket is up to carry
   * it (the emulator models audio only while the websocket leg runs).
   */
  async playInto(legUuid: string, request: InjectRequest): Promise<boolean> {
    if (!this.legUuids().includes(legUuid)) return false;
    const active = this.activeLeg?.leg;
    if (!active) {
      this.timeline.add('ncco', `REST ${request.kind} with no websocket leg up: not emulated`, true);
      return true;
    }
    const rate = active.sampleRate;
    const pcm = await restAudioPcm(request, rate);
    if (request.kind === 'dtmf' && this.switches.restDtmfAsEvent)
      for (const digit of request.digits.replace(/p/g, '')) active.sendText(dtmfMessage(digit, 100));
    if (this.activeLeg?.leg !== active) return true;
    active.inject(request.kind, pcm, 'loop' in request ? request.loop : 1, 'level' in request ? request.level : 0);
    this.timeline.add('ncco', `REST ${request.kind} started (${Math.round((pcm.length / 2 / rate) * 1000)} ms)`);
    return true;
  }

  /** Stops REST talk or stream audio; false for an unknown leg. */
  stopPlaying(legUuid: string, kind: 'talk' | 'stream'): boolean {
    if (!this.legUuids().includes(legUuid)) return false;
    const stopped = this.activeLeg?.leg.stopInjected(kind) ?? false;
    this.timeline.add('ncco', `REST ${kind} ${stopped ? 'stopped' : 'stop: nothing was playing'}`);
    return true;
  }

  /** The call's legs as Vonage's `GET /v1/calls` reports them. */
  legRecords(): LegRecord[] {
    const records: LegRecord[] = [legRecord(this.legA, this.endedAt, this.endedAt ? 'completed' : 'answered')];
    if (this.legB) {
      const status = this.leg && !this.leg.connected ? 'failed' : this.legBEndedAt ? 'completed' : 'answered';
      records.push(legRecord(this.legB, this.legBEndedAt, status));
    }
    return records;
  }

  /** REST transfer to a new NCCO: the current one stops (a socket leg in progress ends) and this one runs. */
  transfer(ncco: Ncco): void {
    this.transferTo = ncco;
    this.timeline.add('ncco', `REST transfer to a new NCCO of ${ncco.length} action(s)`);
    this.activeLeg?.leg.hangupByPlatform();
  }

  async run(): Promise<CallResult> {
    const leg = this.legA;
    if (this.switches.eventsBeforeAnswer) this.postCallerEvents();
    const answerFields = {
      to: leg.to,
      from: leg.from,
      uuid: leg.uuid,
      conversation_uuid: leg.conversationUuid,
      region_url: 'https://api-emulator.invalid',
      endpoint_type: 'phone',
    };
    if (this.options.prelude) await this.runNcco(this.options.prelude);
    const answer: NccoFetch = this.options.ncco
      ? { ok: true, ncco: this.options.ncco, latencyMs: 0, status: 200, attempts: 0 }
      : this.options.answerUrl
        ? await this.fetchNcco(this.options.answerUrl, this.options.answerMethod ?? 'GET', answerFields, 'answer', this.options.fallbackUrl)
        : { ok: false, error: 'neither an answer URL nor an NCCO', attempts: 0 };
    const outcome: AnswerOutcome = answer.ok
      ? { ok: true, attempts: answer.attempts, usedFallback: false, latencyMs: answer.latencyMs, status: answer.status }
      : { ok: false, attempts: answer.attempts, usedFallback: false, error: answer.error, ...(answer.status !== undefined ? { status: answer.status } : {}) };
    let ncco: unknown;
    if (answer.ok && answer.ncco) {
      ncco = answer.ncco;
      if (!this.switches.eventsBeforeAnswer) this.postCallerEvents();
      await this.runNcco(answer.ncco);
      await Promise.all(this.pendingLegs);
      this.postRecordEvents();
      this.poster.post(this.eventUrl(), statusEvent(leg, 'completed', this.switches));
    } else {
      this.problem(`answer failed: ${answer.ok ? 'empty NCCO' : answer.error}; Vonage ends the call`);
    }
    await this.poster.settled();
    this.endedAt = Date.now();
    // The call's length, not the time its recording then takes to transcribe.
    const durationMs = performance.now() - this.started;
    const heard = this.recording ? heardBy(this.talkHeard, TALK_RATE, this.leg) : undefined;
    return {
      uuid: leg.uuid,
      conversationUuid: leg.conversationUuid,
      answer: outcome,
      ncco,
      nccoWarnings: this.nccoWarnings,
      nccoIssues: this.nccoIssues,
      ...(this.leg ? { leg: this.leg } : {}),
      ...(this.websocketLegUuid ? { websocketLegUuid: this.websocketLegUuid } : {}),
      events: this.poster.posted,
      timeline: this.timeline.entries,
      ...(heard ? { heard } : {}),
      ...(heard && this.options.transcribeHeard ? await transcribeHeard(heard, this.options.transcribeHeard) : {}),
      problems: this.problems,
      accepted: this.problems.length === 0,
      durationMs,
    };
  }

  private get recording(): boolean {
    return Boolean(this.options.record || this.options.transcribeHeard);
  }

  private problem(text: string): void {
    this.problems.push(text);
    this.timeline.add('check', text, true);
  }

  private eventUrl(actionUrl?: string[]): string | undefined {
    return actionUrl?.[0] ?? this.options.eventUrl;
  }

  private postCallerEvents(): void {
    for (const status of ['started', 'ringing', 'answered']) this.poster.post(this.eventUrl(), statusEvent(this.legA, status, this.switches));
  }

  /** Fetches an NCCO as Vonage does (ncco-fetch.ts); a refused one is recorded and reported to the event URL. */
  private fetchNcco(url: string, method: 'GET' | 'POST', fields: Record<string, unknown>, type: 'answer' | 'event', fallbackUrl?: string): Promise<NccoFetch> {
    return fetchNcco(
      {
        timeouts: this.timeouts,
        signing: this.options.signing,
        timeline: this.timeline,
        warnings: this.nccoWarnings,
        onInvalid: (issues) => {
          this.nccoIssues.push(...issues);
          this.timeline.add('ncco', `invalid NCCO: ${issues.slice(0, 3).join('; ')}`, true);
          this.poster.post(this.options.eventUrl, errorEvent(this.legA.conversationUuid, NCCO_SYNTAX_ERROR));
        },
      },
      url,
      method,
      fields,
      type,
      fallbackUrl,
    );
  }

  private remainingMs(): number {
    return this.options.durationMs ?? 10_000;
  }

  private async runNcco(initial: Ncco): Promise<void> {
    let queue: NccoAction[] = [...initial];
    while ((queue.length > 0 || this.transferTo) && !this.callerHungUp) {
      if (this.transferTo) {
        queue = [...this.transferTo];
        this.transferTo = undefined;
      }
      const action = queue.shift()!;
      this.timeline.add('ncco', `${action.action}`);
      const replacement = await this.runAction(action);
      if (this.transferTo) continue;
      if (replacement === 'end') return;
      if (replacement) {
        this.timeline.add('ncco', `replaced by a new NCCO of ${replacement.length} action(s)`);
        queue = [...replacement];
      }
    }
  }

  private async runAction(action: NccoAction): Promise<Ncco | 'end' | undefined> {
    switch (action.action) {
      case 'talk': {
        if (this.options.talk === 'skip') return undefined;
        const { pcm, engine } = await synthesizeSpeech(action.text, TALK_RATE);
        const loops = action.loop === 0 ? 1 : (action.loop ?? 1);
        const ms = (pcm.length / 2 / TALK_RATE) * 1000 * loops;
        if (this.recording) for (let i = 0; i < loops; i++) this.talkHeard.push(pcm);
        this.timeline.add('ncco', `talk ${Math.round(ms)} ms (${engine}): ${JSON.stringify(action.text.slice(0, 60))}`);
        await sleep(ms);
        return undefined;
      }
      case 'stream':
        if (this.options.talk !== 'skip') await sleep(1000);
        return undefined;
      case 'wait': {
        const seconds = Math.min(7200, Math.max(0.1, action.timeout ?? 10));
        await sleep(Math.min(seconds * 1000, this.remainingMs()));
        return undefined;
      }
      case 'input': {
        const digits = action.type.includes('dtmf') ? (this.inputDigits.shift() ?? '') : '';
        const body = inputEvent(this.legA, digits, action.type.includes('speech'));
        this.timeline.add('ncco', `input: caller entered ${JSON.stringify(digits)}`);
        return this.poster.postForNcco(this.eventUrl(action.eventUrl), body, action.eventMethod);
      }
      case 'notify':
        return this.poster.postForNcco(
          action.eventUrl[0],
          { payload: action.payload, conversation_uuid: this.legA.conversationUuid, timestamp: new Date().toISOString() },
          action.eventMethod,
        );
      case 'record':
        this.records.push({ action, startedAt: Date.now() });
        return undefined;
      case 'conversation':
        await sleep(this.remainingMs());
        return undefined;
      case 'transfer':
        this.timeline.add('ncco', `transfer to conversation ${action.conversationId}: the call leaves this NCCO`);
        return 'end';
      case 'connect':
        return this.connect(action);
    }
  }

  private async connect(action: Extract<NccoAction, { action: 'connect' }>): Promise<Ncco | 'end' | undefined> {
    const endpoint = action.endpoint[0]!;
    if (endpoint.type !== 'websocket') {
      this.timeline.add('ncco', `connect to a ${endpoint.type} endpoint is not emulated (only websocket); skipped`, true);
      return undefined;
    }
    const ws = endpoint as WebsocketEndpoint;
    const eventUrl = this.eventUrl(action.eventUrl);
    const legB: Leg = {
      uuid: randomUUID(),
      conversationUuid: this.legA.conversationUuid,
      from: action.from ?? this.legA.from,
      to: ws.uri,
      direction: 'outbound',
      startedAt: Date.now(),
      ...(ws.headers ? { headers: ws.headers } : {}),
    };
    this.websocketLegUuid = legB.uuid;
    this.legB = legB;
    for (const status of this.switches.websocketLegEvents) this.poster.post(eventUrl, statusEvent(legB, status, this.switches));

    let authorization: string | undefined;
    if (ws.authorization?.type === 'custom') authorization = ws.authorization.value;
    if (ws.authorization?.type === 'vonage') {
      if (this.options.signing) authorization = `Bearer ${await signWebhook(this.options.signing)}`;
      else this.timeline.add('socket', 'endpoint asks for Vonage authorization but the emulator has no signature secret; sending none', true);
    }
    const leg = new WebsocketLeg({
      endpoint: ws,
      clock: this.clock,
      audio: await createCallerAudio(this.options.audio ?? { kind: 'silence' }, parseContentType(ws[CONTENT_TYPE_KEY]) ?? DEFAULT_SAMPLE_RATE),
      durationMs: this.remainingMs(),
      dtmf: this.options.dtmf,
      inject: this.options.inject,
      binaryFirst: this.options.binaryFirst,
      switches: this.switches,
      ...(this.options.plainWs ? { plainWs: true } : {}),
      record: this.recording,
      timeline: this.timeline,
      ...(this.options.warmupMs ? { warmupMs: this.options.warmupMs } : {}),
      ...(authorization ? { authorization } : {}),
    });
    this.activeLeg = { uuid: legB.uuid, leg };
    const finished = leg.run().then(async (result) => {
      this.activeLeg = undefined;
      this.legBEndedAt = Date.now();
      this.leg = result;
      for (const violation of result.violations)
        this.problem(`${violation.message} at ${violation.atMs} ms: Vonage stops listening and drops the socket (1006)`);
      if (result.end === 'buffer-overflow') this.problem(`app overran Vonage's ${this.switches.bufferFrames}-frame playback buffer`);
      if (result.overflowDropped > 0)
        this.problem(`app overran Vonage's ${this.switches.bufferFrames}-frame playback buffer: ${result.overflowDropped} frames dropped`);
      return result;
    });
    if (!this.switches.connectBlocks) {
      // Actions after connect run once the socket is up (observed behaviour, docs/protocol.md §6.4).
      this.pendingLegs.push(finished.then((result) => this.afterLeg(action, legB, result)).then(() => undefined));
      await leg.opened;
      return undefined;
    }
    return this.afterLeg(action, legB, await finished);
  }

  private async afterLeg(action: Extract<NccoAction, { action: 'connect' }>, legB: Leg, result: LegResult): Promise<Ncco | 'end' | undefined> {
    const eventUrl = this.eventUrl(action.eventUrl);
    if (!result.connected) {
      this.timeline.add('socket', `could not connect: ${result.connectError ?? 'unknown error'}`, true);
      this.problems.push(`websocket ${legB.to} could not be connected: ${result.connectError ?? 'unknown error'}`);
      if (action.eventType === 'synchronous') {
        const status = result.connectError?.includes('timed out') ? 'unanswered' : 'failed';
        return this.poster.postForNcco(
          eventUrl,
          statusEvent(legB, status, this.switches, { detail: status === 'unanswered' ? 'timeout' : 'cannot_route' }),
          action.eventMethod,
        );
      }
      return undefined;
    }
    if (result.end === 'caller-hangup') {
      this.callerHungUp = true;
      this.poster.post(eventUrl, statusEvent(legB, 'completed', this.switches, { disconnected_by: 'user' }));
      return 'end';
    }
    if (result.end === 'platform-hangup') {
      // Ended through the REST API: no `disconnected`; the NCCO goes on (docs/protocol.md §5.3).
      this.poster.post(eventUrl, statusEvent(legB, 'completed', this.switches, { disconnected_by: 'platform' }));
      return undefined;
    }
    if (result.end === 'app-closed') {
      // The app closed the socket: `disconnected`, whose answer may carry the next NCCO (docs/protocol.md §5.3).
      const next = await this.poster.postForNcco(eventUrl, statusEvent(legB, 'disconnected', this.switches), action.eventMethod);
      this.poster.post(eventUrl, statusEvent(legB, 'completed', this.switches, { disconnected_by: 'platform' }));
      return next;
    }
    this.poster.post(eventUrl, statusEvent(legB, 'completed', this.switches, { disconnected_by: 'platform' }));
    return undefined;
  }

  private postRecordEvents(): void {
    for (const { action, startedAt } of this.records)
      this.poster.post(this.eventUrl((action as { eventUrl?: string[] }).eventUrl), recordEvent(this.legA, startedAt));
  }
}
