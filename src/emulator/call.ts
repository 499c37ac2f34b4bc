/**
 * One emulated inbound call, end to end: Vonage's answer fetch (timeouts, one retry, fallback), NCCO
 * validation, the NCCO runner, event webhooks for both legs, and the websocket leg. Returns what
 * happened and whether Vonage would have accepted everything the app did.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FrameClock } from '../audio/frame-clock.js';
import { wavToCallPcm, writeWav } from '../audio/wav.js';
import { DEFAULT_SAMPLE_RATE, parseContentType } from '../protocol/audio-format.js';
import { CONTENT_TYPE_KEY } from '../protocol/socket-messages.js';
import { NCCO_SYNTAX_ERROR, validateNcco, type Ncco, type NccoAction, type WebsocketEndpoint } from '../protocol/ncco.js';
import { signWebhook } from '../protocol/signed-webhook.js';
import { transcribeRecording } from '../speech/transcribe-recording.js';
import { createCallerAudio, synthesizeSpeech, type CallerAudioSpec } from './caller-audio.js';
import { dtmfMessage } from '../protocol/socket-messages.js';
import { floatToPcm16 } from '../audio/pcm.js';
import { dtmfTone } from '../audio/tone.js';
import { errorEvent, statusEvent, type Leg } from './event-payloads.js';
import { DEFAULT_SWITCHES, type EmulatorSwitches } from './switches.js';
import { Timeline, type TimelineEntry } from './timeline.js';
import { sendWebhook, type Signing } from './webhook-client.js';
import { WebsocketLeg, type DtmfPress, type LegResult } from './websocket-leg.js';

/** Vonage's default webhook timeouts (docs/protocol.md §7), ms. */
export const WEBHOOK_TIMEOUTS = { answerConnectMs: 1000, answerSocketMs: 5000, eventConnectMs: 1000, eventSocketMs: 10_000 };
/** Statuses whose answer Vonage retries once (docs/protocol.md §7). */
const RETRYABLE_STATUS = new Set([429, 503, 504]);
/** The rate talk actions are synthesized at. */
const TALK_RATE = 16000;
export const DEFAULT_CALLER = '447700900000';
export const DEFAULT_CALLED = '442079460000';

export interface PlaceCallOptions {
  /** Where the NCCO comes from; or give `ncco` directly (a REST-created call). */
  answerUrl?: string;
  ncco?: Ncco;
  /**
   * Actions run before the answer fetch: a REST-created call reaches its `to` endpoint first, then
   * Vonage fetches `answer_url` for the NCCO to run on it.
   */
  prelude?: Ncco;
  answerMethod?: 'GET' | 'POST';
  eventUrl?: string;
  eventMethod?: 'GET' | 'POST';
  fallbackUrl?: string;
  from?: string;
  to?: string;
  /** What the caller says on the socket (default: silence, tagged for round-trip measurement). */
  audio?: CallerAudioSpec;
  /** How long the caller stays on the socket before hanging up, ms (default 10 s). */
  durationMs?: number;
  dtmf?: DtmfPress[];
  /** Extra text messages on the socket at given times. */
  inject?: Array<{ atMs: number; text: string }>;
  binaryFirst?: boolean;
  /** Connect wss:// endpoints as ws:// (testing an app on this machine; see WebsocketLegOptions.plainWs). */
  plainWs?: boolean;
  /** Digits the caller enters at each `input` action, in order. */
  inputDigits?: string[];
  /** `talk` in real time with speech (default), or skipped (load tests). */
  talk?: 'realtime' | 'skip';
  record?: boolean;
  /**
   * Transcribe what the caller heard (implies `record`), after the call, with the offline engine:
   * `true` for free-form, or `{ choices }` for the phrases the test expects (far more reliable).
   */
  transcribeHeard?: boolean | { choices?: string[] };
  /** Round trips in the first `warmupMs` of the socket are not counted. */
  warmupMs?: number;
  signing?: Signing;
  switches?: Partial<EmulatorSwitches>;
  timeouts?: Partial<typeof WEBHOOK_TIMEOUTS>;
  clock?: FrameClock;
  onTimeline?: (entry: TimelineEntry) => void;
}

export interface PostedEvent {
  url: string;
  body: Record<string, unknown>;
  status?: number;
  error?: string;
}

export interface AnswerOutcome {
  ok: boolean;
  attempts: number;
  usedFallback: boolean;
  latencyMs?: number;
  status?: number;
  error?: string;
}

export interface CallResult {
  uuid: string;
  conversationUuid: string;
  answer: AnswerOutcome;
  ncco?: unknown;
  nccoWarnings: string[];
  nccoIssues: string[];
  leg?: LegResult;
  websocketLegUuid?: string;
  events: PostedEvent[];
  timeline: TimelineEntry[];
  /** With `record`: everything the caller heard, in order — talk actions, then the websocket leg — at the leg's rate. */
  heard?: { pcm: Buffer; sampleRate: number };
  /** With `transcribeHeard`: what the caller heard, in ms of the recording (`heard`). */
  heardTranscript?: HeardUtterance[];
  /** With `transcribeHeard`: why it could not be transcribed (the engine failed). */
  heardTranscriptError?: string;
  /** Everything Vonage would not have accepted. Empty means the call was accepted. */
  problems: string[];
  accepted: boolean;
  durationMs: number;
}

export interface HeardUtterance {
  text: string;
  startMs: number;
  endMs: number;
}

/** What REST audio to play: synthesized talk, DTMF digits, or decoded stream audio at a given rate. */
export type InjectRequest =
  | { kind: 'talk'; text: string; loop: number; level: number }
  | { kind: 'dtmf'; digits: string }
  | { kind: 'stream'; pcm: (rate: number) => Buffer; loop: number; level: number };

/** One leg as `GET /v1/calls` lists it. */
export interface LegRecord {
  uuid: string;
  conversation_uuid: string;
  status: string;
  direction: 'inbound' | 'outbound';
  from: { type: string; number?: string; uri?: string };
  to: { type: string; number?: string; uri?: string };
  rate: string;
  price: string;
  duration: string;
  start_time: string;
  end_time?: string;
  network: string;
}

function endpointOf(address: string): { type: string; number?: string; uri?: string } {
  return /^wss?:\/\//.test(address) ? { type: 'websocket', uri: address } : { type: 'phone', number: address };
}

function legRecord(leg: Leg, endedAt: number | undefined, status: string): LegRecord {
  return {
    uuid: leg.uuid,
    conversation_uuid: leg.conversationUuid,
    status,
    direction: leg.direction,
    from: endpointOf(leg.from),
    to: endpointOf(leg.to),
    rate: '0.00',
    price: '0.00',
    duration: String(Math.round(((endedAt ?? Date.now()) - leg.startedAt) / 1000)),
    start_time: new Date(leg.startedAt).toISOString(),
    ...(endedAt ? { end_time: new Date(endedAt).toISOString() } : {}),
    network: 'emulator',
  };
}

type NccoFetch =
  { ok: true; ncco: Ncco | undefined; latencyMs: number; status: number; attempts: number } | { ok: false; error: string; status?: number; attempts: number };

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
  private readonly events: PostedEvent[] = [];
  private readonly problems: string[] = [];
  private readonly nccoWarnings: string[] = [];
  private readonly nccoIssues: string[] = [];
  private readonly inputDigits: string[];
  private readonly records: Array<{ action: NccoAction; startedAt: number }> = [];
  /** Talk audio the caller heard before the socket, at TALK_RATE (with `record`). */
  private readonly talkHeard: Buffer[] = [];
  private eventChain: Promise<unknown> = Promise.resolve();
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
    let pcm: Buffer;
    if (request.kind === 'talk') pcm = (await synthesizeSpeech(request.text, rate)).pcm;
    else if (request.kind === 'dtmf') {
      // Vonage's DTMF timing is not documented: 100 ms tones, 50 ms gaps, 500 ms for "p" (UNCONFIRMED).
      pcm = floatToPcm16(
        Float32Array.from(
          [...request.digits].flatMap((digit) =>
            digit === 'p' ? [...new Float32Array(rate / 2)] : [...dtmfTone(digit, 100, rate), ...new Float32Array(rate / 20)],
          ),
        ),
      );
      if (this.switches.restDtmfAsEvent) for (const digit of request.digits.replace(/p/g, '')) active.sendText(dtmfMessage(digit, 100));
    } else pcm = request.pcm(rate);
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
      this.postEvent(this.eventUrl(), statusEvent(leg, 'completed', this.switches));
    } else {
      this.problem(`answer failed: ${answer.ok ? 'empty NCCO' : answer.error}; Vonage ends the call`);
    }
    await this.eventChain;
    this.endedAt = Date.now();
    const heard = this.recording ? this.heard() : undefined;
    return {
      uuid: leg.uuid,
      conversationUuid: leg.conversationUuid,
      answer: outcome,
      ncco,
      nccoWarnings: this.nccoWarnings,
      nccoIssues: this.nccoIssues,
      ...(this.leg ? { leg: this.leg } : {}),
      ...(this.websocketLegUuid ? { websocketLegUuid: this.websocketLegUuid } : {}),
      events: this.events,
      timeline: this.timeline.entries,
      ...(heard ? { heard } : {}),
      ...(heard && this.options.transcribeHeard ? await this.transcribeHeard(heard) : {}),
      problems: this.problems,
      accepted: this.problems.length === 0,
      durationMs: performance.now() - this.started,
    };
  }

  private get recording(): boolean {
    return Boolean(this.options.record || this.options.transcribeHeard);
  }

  private async transcribeHeard(heard: { pcm: Buffer; sampleRate: number }): Promise<Pick<CallResult, 'heardTranscript' | 'heardTranscriptError'>> {
    const choices = typeof this.options.transcribeHeard === 'object' ? this.options.transcribeHeard.choices : undefined;
    try {
      const finals = await transcribeRecording(heard.pcm, heard.sampleRate, choices ? { choices } : {});
      return { heardTranscript: finals.map(({ text, startMs, endMs }) => ({ text, startMs, endMs })) };
    } catch (error) {
      return { heardTranscriptError: (error as Error).message };
    }
  }

  /** Talk audio (kept at the synthesis rate) converted to the leg's rate, followed by the leg's audio. */
  private heard(): { pcm: Buffer; sampleRate: number } {
    const sampleRate = this.leg?.sampleRate ?? TALK_RATE;
    const talk = this.talkHeard.map((pcm) => (sampleRate === TALK_RATE ? pcm : wavToCallPcm(writeWav(pcm, TALK_RATE), sampleRate)));
    return { pcm: Buffer.concat([...talk, ...(this.leg?.heard ? [this.leg.heard] : [])]), sampleRate };
  }

  private problem(text: string): void {
    this.problems.push(text);
    this.timeline.add('check', text, true);
  }

  private eventUrl(actionUrl?: string[]): string | undefined {
    return actionUrl?.[0] ?? this.options.eventUrl;
  }

  private postCallerEvents(): void {
    for (const status of ['started', 'ringing', 'answered']) this.postEvent(this.eventUrl(), statusEvent(this.legA, status, this.switches));
  }

  /** Posts a plain status event, in order with the others, without holding up the NCCO. */
  private postEvent(url: string | undefined, body: Record<string, unknown>): void {
    if (!url) return;
    const entry: PostedEvent = { url, body };
    this.events.push(entry);
    this.eventChain = this.eventChain.then(async () => {
      const response = await sendWebhook({
        url,
        method: this.options.eventMethod ?? 'POST',
        fields: body,
        connectTimeoutMs: this.timeouts.eventConnectMs,
        socketTimeoutMs: this.timeouts.eventSocketMs,
        signing: this.options.signing,
      });
      if (response.ok) entry.status = response.status;
      else entry.error = response.error;
      this.timeline.add('event', `${String(body.status ?? (body.reason ? 'error' : 'event'))} → ${response.ok ? response.status : response.error}`);
    });
  }

  /** Posts an event that may answer with an NCCO (input, notify, disconnected, failed); follows Vonage's retry rules. */
  private async postForNcco(url: string | undefined, body: Record<string, unknown>, method: 'GET' | 'POST' = 'POST'): Promise<Ncco | undefined> {
    if (!url) return undefined;
    await this.eventChain;
    const entry: PostedEvent = { url, body };
    this.events.push(entry);
    const result = await this.fetchNcco(url, method, body, 'event', this.options.fallbackUrl);
    if (result.ok) entry.status = result.status;
    else entry.error = result.error;
    // On final failure of an event that expects an NCCO the call flow continues (docs/protocol.md §8).
    return result.ok ? result.ncco : undefined;
  }

  /**
   * Fetches an NCCO the way Vonage does (docs/protocol.md §7): one retry on timeouts, resets and 429/503/504; then the
   * fallback URL (twice on retryable failures) with `reason` and `original_request`.
   */
  private async fetchNcco(
    url: string,
    method: 'GET' | 'POST',
    fields: Record<string, unknown>,
    type: 'answer' | 'event',
    fallbackUrl?: string,
  ): Promise<NccoFetch> {
    const connectTimeoutMs = type === 'answer' ? this.timeouts.answerConnectMs : this.timeouts.eventConnectMs;
    const socketTimeoutMs = type === 'answer' ? this.timeouts.answerSocketMs : this.timeouts.eventSocketMs;
    let attempts = 0;
    const attempt = async (target: string, body: Record<string, unknown>): Promise<NccoFetch & { retryable?: boolean }> => {
      attempts++;
      const response = await sendWebhook({ url: target, method, fields: body, connectTimeoutMs, socketTimeoutMs, signing: this.options.signing });
      if (!response.ok) {
        this.timeline.add(type, `${method} ${target} → ${response.error} (${response.detail})`, true);
        return { ok: false, error: `${response.error}: ${response.detail}`, attempts, retryable: response.error !== 'invalid-url' };
      }
      this.timeline.add(type, `${method} ${target} → ${response.status} in ${response.ms.toFixed(1)} ms`);
      if (response.status < 200 || response.status > 299) {
        return { ok: false, error: `HTTP ${response.status}`, status: response.status, attempts, retryable: RETRYABLE_STATUS.has(response.status) };
      }
      if (type === 'event' && response.body.trim() === '') return { ok: true, ncco: undefined, latencyMs: response.ms, status: response.status, attempts };
      if (!/^(application\/json|text\/plain)\b/i.test(response.contentType)) {
        return {
          ok: false,
          error: `content type ${JSON.stringify(response.contentType)} is not application/json`,
          status: response.status,
          attempts,
          retryable: false,
        };
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(response.body);
      } catch {
        return this.invalidNcco(['body is not JSON'], response.status, attempts);
      }
      const validation = validateNcco(parsed);
      for (const warning of validation.warnings) {
        this.nccoWarnings.push(warning);
        this.timeline.add('ncco', `warning: ${warning}`);
      }
      if (!validation.ok) return this.invalidNcco(validation.issues, response.status, attempts);
      return { ok: true, ncco: validation.ncco, latencyMs: response.ms, status: response.status, attempts };
    };
    let result = await attempt(url, fields);
    if (!result.ok && result.retryable) result = await attempt(url, fields);
    if (!result.ok && fallbackUrl) {
      const body = { ...fields, reason: result.error, original_request: { url, type } };
      result = await attempt(fallbackUrl, body);
      if (!result.ok && result.retryable) result = await attempt(fallbackUrl, body);
    }
    return result;
  }

  private invalidNcco(issues: string[], status: number, attempts: number): NccoFetch & { retryable: boolean } {
    this.nccoIssues.push(...issues);
    this.timeline.add('ncco', `invalid NCCO: ${issues.slice(0, 3).join('; ')}`, true);
    this.postEvent(this.options.eventUrl, errorEvent(this.legA.conversationUuid, NCCO_SYNTAX_ERROR));
    return { ok: false, error: `invalid NCCO (${issues[0] ?? 'unknown'})`, status, attempts, retryable: false };
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
        const body: Record<string, unknown> = {
          dtmf: { digits, timed_out: digits === '' },
          from: this.legA.from,
          to: this.legA.to,
          uuid: this.legA.uuid,
          conversation_uuid: this.legA.conversationUuid,
          timestamp: new Date().toISOString(),
        };
        if (action.type.includes('speech')) body.speech = { results: [], timeout_reason: 'start_timeout' };
        this.timeline.add('ncco', `input: caller entered ${JSON.stringify(digits)}`);
        return this.postForNcco(this.eventUrl(action.eventUrl), body, action.eventMethod);
      }
      case 'notify':
        return this.postForNcco(
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
    for (const status of this.switches.websocketLegEvents) this.postEvent(eventUrl, statusEvent(legB, status, this.switches));

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
        return this.postForNcco(
          eventUrl,
          statusEvent(legB, status, this.switches, { detail: status === 'unanswered' ? 'timeout' : 'cannot_route' }),
          action.eventMethod,
        );
      }
      return undefined;
    }
    if (result.end === 'caller-hangup') {
      this.callerHungUp = true;
      this.postEvent(eventUrl, statusEvent(legB, 'completed', this.switches, { disconnected_by: 'user' }));
      return 'end';
    }
    if (result.end === 'platform-hangup') {
      // Ended through the REST API: no `disconnected`; the NCCO goes on (docs/protocol.md §5.3).
      this.postEvent(eventUrl, statusEvent(legB, 'completed', this.switches, { disconnected_by: 'platform' }));
      return undefined;
    }
    if (result.end === 'app-closed') {
      // The app closed the socket: `disconnected`, whose answer may carry the next NCCO (docs/protocol.md §5.3).
      const next = await this.postForNcco(eventUrl, statusEvent(legB, 'disconnected', this.switches), action.eventMethod);
      this.postEvent(eventUrl, statusEvent(legB, 'completed', this.switches, { disconnected_by: 'platform' }));
      return next;
    }
    this.postEvent(eventUrl, statusEvent(legB, 'completed', this.switches, { disconnected_by: 'platform' }));
    return undefined;
  }

  private postRecordEvents(): void {
    for (const { action, startedAt } of this.records) {
      const recordingUuid = randomUUID();
      this.postEvent(this.eventUrl((action as { eventUrl?: string[] }).eventUrl), {
        start_time: new Date(startedAt).toISOString(),
        end_time: new Date().toISOString(),
        recording_url: `https://api-emulator.invalid/v1/files/${recordingUuid}`,
        size: 0,
        recording_uuid: recordingUuid,
        conversation_uuid: this.legA.conversationUuid,
        timestamp: new Date().toISOString(),
      });
    }
  }
}
