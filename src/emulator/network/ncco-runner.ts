/**
 * Runs an NCCO on a leg of the phone network (docs/protocol.md §6): `talk` and `stream` play into the
 * leg (and, as Vonage mixes a conversation, to its other parties), `input` collects the keys its
 * party presses, `notify` and `input` follow the NCCO their webhook answers with, `connect` dials
 * another leg into the conversation, `conversation` and `transfer` move the leg into another
 * conversation and hold it there, `record` records the conversation. A REST transfer interrupts the
 * run and starts the new NCCO; when an NCCO runs out the leg hangs up, as Vonage ends the call.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ncco, NccoAction } from '../../protocol/ncco.js';
import { readWav, wavAudioToCallPcm } from '../../audio/wav.js';
import type { InjectedKind } from '../injected-audio.js';
import { MIX_RATE, type Conversation } from './conversation.js';
import type { NetworkLeg, Unconnected } from './leg.js';
import { statusBody } from './network-events.js';
import { talkPcm } from './talk-voice.js';

type Action<K extends NccoAction['action']> = Extract<NccoAction, { action: K }>;

/** How long `stream` and hold music wait for their audio file. */
const STREAM_FETCH_TIMEOUT_MS = 5000;
/** `input` defaults (NCCO reference): seconds of silence between keys, and keys at most. */
const INPUT_TIMEOUT_S = 3;
const INPUT_MAX_DIGITS = 4;
/** A speech `input` is not recognised here; it waits its start timeout (default 10 s), then reports nothing heard. */
const SPEECH_START_TIMEOUT_S = 10;

/** What a `connect` came to. */
export type ConnectResult =
  | { connected: false; child: NetworkLeg; outcome: Unconnected }
  /** The leg answered and has ended, or (a socket, `connectBlocks` off) is up; `closedByApp`: its socket was closed by the app. */
  | { connected: true; child: NetworkLeg; closedByApp: boolean };

/** What a run needs of the network. */
export interface RunnerContext {
  /** Posts an event that may answer with an NCCO (Vonage's retry and fallback rules); undefined when none came back. */
  eventNcco(leg: NetworkLeg, url: string | undefined, body: Record<string, unknown>, method?: 'GET' | 'POST'): Promise<Ncco | undefined>;
  /** Dials `action`'s endpoint into `leg`'s conversation. */
  connect(leg: NetworkLeg, action: Action<'connect'>, signal: AbortSignal): Promise<ConnectResult>;
  conversationNamed(name: string): Conversation;
  conversationById(id: string): Conversation | undefined;
  /** The leg moved conversations (posts `transfer`). */
  moved(leg: NetworkLeg, from: Conversation): void;
  /** Starts a `record` action (it runs in the background). */
  record(leg: NetworkLeg, action: Action<'record'>): void;
  /** Hangs up every other leg of a conversation (`endOnExit`). */
  endConversation(conversation: Conversation, except: NetworkLeg): void;
}

/** Resolves after `ms` or when `signal` aborts, whichever is first; never rejects. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch(() => undefined);
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

/** Plays `pcm` into the leg; resolves when it has played out, is stopped, or the run is interrupted. */
function play(leg: NetworkLeg, kind: InjectedKind, pcm: Buffer, loop: number, level: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const stop = () => leg.nccoAudio.stop(kind);
    signal.addEventListener('abort', stop, { once: true });
    leg.nccoAudio.start(kind, pcm, loop, level, () => {
      signal.removeEventListener('abort', stop);
      resolve();
    });
  });
}

/** An audio file as Vonage fetches one for `stream`; WAV only here (the emulator does not decode MP3). */
export async function fetchAudio(url: string): Promise<Buffer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(STREAM_FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return wavAudioToCallPcm(readWav(Buffer.from(await response.arrayBuffer())), MIX_RATE);
}

export class NccoRunner {
  private pending: Ncco | undefined;
  private interrupt = new AbortController();

  constructor(
    private readonly context: RunnerContext,
    private readonly leg: NetworkLeg,
  ) {}

  /** A REST transfer: the NCCO in progress stops and this one runs. */
  transfer(ncco: Ncco): void {
    this.pending = ncco;
    this.interrupt.abort();
  }

  /** Runs `ncco` and whatever replaces it until the leg ends or there is nothing left; then the leg hangs up. */
  async run(ncco: Ncco): Promise<void> {
    let queue: NccoAction[] = [...ncco];
    while (this.leg.live) {
      if (this.pending) {
        queue = [...this.pending];
        this.pending = undefined;
      }
      const action = queue.shift();
      if (!action) break;
      if (this.interrupt.signal.aborted) this.interrupt = new AbortController();
      const signal = AbortSignal.any([this.interrupt.signal, this.leg.signal]);
      this.leg.timeline.add('ncco', action.action);
      const next = await this.runAction(action, signal);
      if (this.pending) continue;
      if (next === 'hold') queue = [];
      else if (next) queue = [...next];
    }
    // Legs a non-blocking connect left up run on; the call ends when they do (or a transfer comes).
    if (this.interrupt.signal.aborted && !this.pending) this.interrupt = new AbortController();
    while (this.leg.live && this.leg.liveChildren().length > 0 && !this.pending)
      await Promise.race([...this.leg.liveChildren().map((child) => child.ended), aborted(this.interrupt.signal), aborted(this.leg.signal)]);
    if (this.pending && this.leg.live) return this.run([]);
    if (this.leg.live) this.leg.hangup();
  }

  private async runAction(action: NccoAction, signal: AbortSignal): Promise<Ncco | 'hold' | undefined> {
    const { leg, context } = this;
    switch (action.action) {
      case 'talk': {
        await play(leg, 'talk', await talkPcm(action.text), action.loop ?? 1, action.level ?? 0, signal);
        return undefined;
      }
      case 'stream': {
        try {
          await play(leg, 'stream', await fetchAudio(action.streamUrl[0]!), action.loop ?? 1, action.level ?? 0, signal);
        } catch (error) {
          leg.timeline.add('ncco', `stream not played: ${(error as Error).message}`, true);
        }
        return undefined;
      }
      case 'wait':
        await wait(Math.min(7200, Math.max(0.1, action.timeout ?? 10)) * 1000, signal);
        return undefined;
      case 'input':
        return this.input(action, signal);
      case 'notify':
        return context.eventNcco(
          leg,
          action.eventUrl[0],
          { payload: action.payload, conversation_uuid: leg.conversation.uuid, timestamp: new Date().toISOString() },
          action.eventMethod,
        );
      case 'record':
        context.record(leg, action);
        return undefined;
      case 'conversation':
        return this.hold(context.conversationNamed(action.name), action, signal);
      case 'transfer':
        return this.hold(context.conversationById(action.conversationId) ?? context.conversationNamed(action.conversationId), {}, signal);
      case 'connect':
        return this.connect(action, signal);
    }
  }

  /** `input`: the keys the leg's party presses, submitted after `timeOut` s of quiet, `maxDigits` keys or `#`. */
  private async input(action: Action<'input'>, signal: AbortSignal): Promise<Ncco | undefined> {
    const { leg } = this;
    const settings = action.dtmf ?? {};
    const speech = action.type.includes('speech');
    const speechTimeoutS = Number((action.speech as { startTimeout?: unknown } | undefined)?.startTimeout ?? SPEECH_START_TIMEOUT_S);
    let digits = '';
    let timedOut = true;
    if (action.type.includes('dtmf')) {
      await new Promise<void>((resolve) => {
        const quietMs = (settings.timeOut ?? INPUT_TIMEOUT_S) * 1000;
        let timer: NodeJS.Timeout | undefined;
        let off = () => {};
        const finish = (byTimeout: boolean) => {
          clearTimeout(timer);
          off();
          timedOut = byTimeout;
          resolve();
        };
        timer = setTimeout(() => finish(true), speech ? speechTimeoutS * 1000 : quietMs);
        off = leg.onKey((digit) => {
          if (digit === '#' && settings.submitOnHash) return finish(false);
          digits += digit;
          if (digits.length >= (settings.maxDigits ?? INPUT_MAX_DIGITS)) return finish(false);
          clearTimeout(timer);
          timer = setTimeout(() => finish(true), quietMs);
        });
        signal.addEventListener('abort', () => finish(true), { once: true });
      });
    } else await wait(speechTimeoutS * 1000, signal);
    if (signal.aborted) return undefined;
    leg.timeline.add('ncco', `input: ${JSON.stringify(digits)}${timedOut ? ' (timed out)' : ''}`);
    const body = {
      ...(action.type.includes('dtmf') ? { dtmf: { digits, timed_out: timedOut } } : {}),
      // Speech is not recognised by the emulator: a speech input always reports that nothing was said.
      ...(speech ? { speech: digits ? { error: 'Speech overridden by DTMF' } : { timeout_reason: 'start_timeout', results: [] } } : {}),
      from: leg.from,
      to: leg.to,
      uuid: leg.uuid,
      conversation_uuid: leg.conversation.uuid,
      timestamp: new Date().toISOString(),
    };
    return this.context.eventNcco(leg, action.eventUrl?.[0] ?? leg.options.eventUrl, body, action.eventMethod);
  }

  /**
   * `conversation` and `transfer`: the leg moves into the conversation and stays until it ends or is
   * transferred. It starts the conversation unless `startOnEnter` is false; until then it hears the
   * hold music. `endOnExit`: the others are hung up when it leaves.
   */
  private async hold(
    conversation: Conversation,
    options: { startOnEnter?: boolean; endOnExit?: boolean; musicOnHoldUrl?: unknown },
    signal: AbortSignal,
  ): Promise<'hold'> {
    const { leg, context } = this;
    const from = leg.moveTo(conversation);
    if (from !== conversation) context.moved(leg, from);
    if (options.startOnEnter !== false) conversation.started = true;
    const holdUrl = Array.isArray(options.musicOnHoldUrl) ? options.musicOnHoldUrl[0] : undefined;
    if (!conversation.started && typeof holdUrl === 'string') {
      const hold = new AbortController();
      const stopHold = AbortSignal.any([signal, hold.signal]);
      const music = fetchAudio(holdUrl).then(
        (pcm) => play(leg, 'stream', pcm, 0, 0, stopHold),
        (error: Error) => leg.timeline.add('ncco', `musicOnHoldUrl not played: ${error.message}`, true),
      );
      await conversation.whenStarted(signal);
      hold.abort();
      await music;
    }
    await aborted(signal);
    if (options.endOnExit) context.endConversation(conversation, leg);
    return 'hold';
  }

  private async connect(action: Action<'connect'>, signal: AbortSignal): Promise<Ncco | undefined> {
    const { leg, context } = this;
    const result = await context.connect(leg, action, signal);
    const { child } = result;
    const eventUrl = action.eventUrl?.[0] ?? leg.options.eventUrl;
    if (!result.connected) {
      if (action.eventType !== 'synchronous') {
        child.end(result.outcome);
        return undefined;
      }
      // With `eventType: synchronous` the failure is an event that may answer with the next NCCO (docs/protocol.md §5.3).
      const body = statusBody(child.facts(), result.outcome.status, result.outcome.detail ? { detail: result.outcome.detail } : {});
      const next = await context.eventNcco(child, eventUrl, body, action.eventMethod);
      child.end(result.outcome, true);
      return next;
    }
    if (!result.closedByApp) return undefined;
    // The app closed the socket: `disconnected`, whose answer may be the next NCCO (docs/protocol.md §5.3).
    const next = await context.eventNcco(child, eventUrl, statusBody(child.facts(), 'disconnected'), action.eventMethod);
    child.end({ by: 'platform' });
    return next;
  }
}
