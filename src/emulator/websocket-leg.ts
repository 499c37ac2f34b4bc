/**
 * The websocket leg as Vonage runs it (docs/protocol.md §1–§5, §12): Vonage is the WebSocket client. It
 * opens the endpoint's URI (query kept, no subprotocol, `Authorization` per the endpoint), sends
 * `websocket:connected` with the headers, streams the caller's audio one 20 ms frame every 20 ms on
 * an absolute schedule, and plays the app's frames through a bounded buffer on a 20 ms mixer clock.
 * A frame of the wrong size ends the leg the way Vonage does: no close frame, the app sees 1006.
 */
import WebSocket from 'ws';
import { FrameClock, FrameSchedule } from '../audio/frame-clock.js';
import { DEFAULT_SAMPLE_RATE, FRAME_MS, contentTypeFor, frameBytes, frameSamples, parseContentType, type SampleRate } from '../protocol/audio-format.js';
import { CONTENT_TYPE_KEY, clearedMessage, connectedMessage, dtmfMessage, notifiedMessage, parseAppCommand } from '../protocol/socket-messages.js';
import type { WebsocketEndpoint } from '../protocol/ncco.js';
import type { CallerAudio } from './caller-audio.js';
import { readFrameTag, tagFrame } from '../audio/frame-tag.js';
import { InjectedAudio, type InjectedKind } from './injected-audio.js';
import { PlaybackBuffer } from './playback-buffer.js';
import { distribution, jitter } from './stats.js';
import type { EmulatorSwitches } from './switches.js';
import type { Timeline } from './timeline.js';
import type { LegEnd, LegResult } from './leg-result.js';

export type { FrameViolation, LegEnd, LegResult } from './leg-result.js';

export interface DtmfPress {
  digit: string;
  atMs: number;
  durationMs?: number;
}

/** How long the caller waits for the app to answer its close frame before dropping the connection. */
export const HANGUP_CLOSE_WAIT_MS = 2000;

interface ScriptedText {
  atMs: number;
  text: string;
  label: string;
}

export interface WebsocketLegOptions {
  endpoint: WebsocketEndpoint;
  clock: FrameClock;
  audio: CallerAudio;
  /** The caller hangs up this long after the socket opened; Infinity waits for the app to end it. */
  durationMs: number;
  dtmf?: DtmfPress[];
  /** Extra text messages at given times (unknown events, to test tolerance). */
  inject?: Array<{ atMs: number; text: string }>;
  /** Send one audio frame before websocket:connected (a defensive app must cope, docs/protocol.md §2). */
  binaryFirst?: boolean;
  /**
   * Connect a `wss://` endpoint as `ws://`: not Vonage's behaviour (Vonage needs TLS on the public
   * internet), a way to test an app on your own machine whose NCCO says wss:// as every sample's does.
   */
  plainWs?: boolean;
  switches: EmulatorSwitches;
  /** Value of the upgrade's Authorization header, already computed from `endpoint.authorization`. */
  authorization?: string;
  /** Keep what the caller heard (frames and silence) for a WAV. */
  record?: boolean;
  /** After the caller stops talking, how long to wait for the last echoes before hanging up. */
  drainMs?: number;
  /** Round trips of frames sent in the first `warmupMs` are not counted. */
  warmupMs?: number;
  timeline?: Timeline;
  /** Each mixer tick's played frame (undefined: silence), for a conversation that mixes this leg with others. */
  onPlayed?: (frame: Buffer | undefined) => void;
}

export function frameSizeMessage(bytes: number, rate: number): string {
  return `unexpected frame size ${bytes / 2}, when required ${frameSamples(rate)}`;
}

/** A connection failure as a person can act on it; a TLS handshake against plain HTTP says so. */
function describeConnectError(uri: string, error: Error & { code?: string }): string {
  if (uri.startsWith('wss://') && (error.code === 'EPROTO' || /wrong version number|packet length too long/i.test(error.message))) {
    return (
      `${uri} is wss:// but the server there does not speak TLS (${error.code ?? 'TLS handshake failed'}). Vonage only connects to wss:// over TLS: ` +
      'put the app behind HTTPS (a tunnel or proxy), or test it on this machine with --plain-ws (connects wss:// as ws://)'
    );
  }
  return error.message;
}

/** How a scripted message is named on the timeline and in `scriptSentAtMs`. */
export const dtmfLabel = (digit: string): string => `dtmf ${digit}`;
export const injectedLabel = (text: string): string => `text ${text.slice(0, 60)}`;

export class WebsocketLeg {
  readonly sampleRate: SampleRate;
  private readonly frameBytes: number;
  private readonly options: WebsocketLegOptions;
  private ws: WebSocket | undefined;
  private openedAt = 0;
  private readonly sentAt: number[] = [];
  private echoedFlags = new Uint8Array(1024);
  private readonly rtts: number[] = [];
  private readonly heard: Buffer[] = [];
  private readonly playback: PlaybackBuffer;
  private readonly result: LegResult;
  private removeTasks: Array<() => void> = [];
  private endedBy: LegEnd | undefined;
  private hangupTimer: NodeJS.Timeout | undefined;
  private settle: ((result: LegResult) => void) | undefined;
  private scriptIndex = 0;
  private hangupAt: number | undefined;
  private lastSendAt = 0;
  private markOpened: (connected: boolean) => void = () => {};
  /** Resolves when the socket is up (true) or could not be opened (false). */
  readonly opened = new Promise<boolean>((resolve) => (this.markOpened = resolve));

  constructor(options: WebsocketLegOptions) {
    this.options = options;
    this.sampleRate = parseContentType(options.endpoint[CONTENT_TYPE_KEY]) ?? DEFAULT_SAMPLE_RATE;
    this.frameBytes = frameBytes(this.sampleRate);
    this.playback = new PlaybackBuffer(options.switches);
    this.result = {
      sampleRate: this.sampleRate,
      connected: false,
      end: 'aborted',
      durationMs: 0,
      framesSent: 0,
      framesReceived: 0,
      rttSamples: [],
      echoed: 0,
      lost: 0,
      duplicated: 0,
      violations: [],
      unexpectedText: [],
      clears: 0,
      clearsAtHeardMs: [],
      marksSent: 0,
      marksReported: 0,
      underruns: [],
      overflowDropped: 0,
      maxBufferedFrames: 0,
      maxSendLatenessMs: 0,
      scriptSentAtMs: {},
    };
  }

  /** Opens the socket and runs the leg until it ends; never rejects. */
  run(): Promise<LegResult> {
    return new Promise((resolve) => {
      this.settle = resolve;
      const { endpoint, switches } = this.options;
      const headers: Record<string, string> = {};
      if (this.options.authorization) headers.Authorization = this.options.authorization;
      if (switches.headersAsHttpHeaders) {
        for (const [key, value] of Object.entries(endpoint.headers ?? {})) headers[key] = typeof value === 'string' ? value : JSON.stringify(value);
      }
      let ws: WebSocket;
      const uri = this.options.plainWs && endpoint.uri.startsWith('wss://') ? `ws://${endpoint.uri.slice('wss://'.length)}` : endpoint.uri;
      try {
        ws = new WebSocket(uri, { perMessageDeflate: false, headers, handshakeTimeout: switches.socketConnectTimeoutMs });
      } catch (error) {
        this.result.connectError = (error as Error).message;
        return this.finish('connect-failed');
      }
      this.ws = ws;
      ws.binaryType = 'nodebuffer';
      ws.on('unexpected-response', (_request, response) => {
        this.result.connectStatus = response.statusCode;
        this.result.connectError = `HTTP ${response.statusCode} on upgrade`;
        response.resume();
        ws.terminate();
      });
      ws.on('error', (error: Error & { code?: string }) => {
        if (this.result.connected) this.result.protocolError ??= error.message;
        else this.result.connectError ??= describeConnectError(uri, error);
      });
      ws.on('open', () => this.onOpen());
      ws.on('message', (data, isBinary) => (isBinary ? this.onAppAudio(data as Buffer) : this.onAppText((data as Buffer).toString('utf8'))));
      ws.on('close', (code, reason) => {
        if (this.hangupAt !== undefined && code !== 1006) this.result.hangupCloseMs = performance.now() - this.hangupAt;
        this.result.closeCode = code;
        this.result.closeReason = reason.toString('utf8');
        this.finish(this.result.connected ? (this.endedBy ?? 'app-closed') : 'connect-failed');
      });
    });
  }

  /** REST talk/stream/DTMF audio: what the caller hears of it, and what the socket receives of it. */
  private readonly injectedHeard = new InjectedAudio();
  private readonly injectedToSocket = new InjectedAudio();

  /** Plays audio into the call (REST talk, stream, DTMF); `pcm` at the leg's rate. */
  inject(kind: InjectedKind, pcm: Buffer, loop: number, level: number): void {
    this.injectedHeard.start(kind, pcm, loop, level);
    if (this.options.switches.restAudioToSocket) this.injectedToSocket.start(kind, pcm, loop, level);
  }

  /** Stops REST audio of one kind; false when none was playing. */
  stopInjected(kind: InjectedKind): boolean {
    const heard = this.injectedHeard.stop(kind);
    return this.injectedToSocket.stop(kind) || heard;
  }

  /** Sends a text message on the socket now (REST DTMF as events, when that switch is on). */
  sendText(text: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /** Caller audio replaced by silence (REST `mute`); frames are still sent and tagged. */
  muted = false;
  /** The caller hears nothing of the app (REST `earmuff`). */
  earmuffed = false;

  /** Vonage ends the leg itself (REST hangup of this leg, a transfer): a close frame, no `disconnected` event. */
  hangupByPlatform(): void {
    this.closeFromVonage('platform-hangup', 1000, 'hangup');
  }

  /** The caller hangs up now. */
  hangup(): void {
    this.closeFromVonage('caller-hangup', this.options.switches.callerHangupCode, 'caller hung up');
  }

  private closeFromVonage(end: LegEnd, code: number, reason: string): void {
    if (!this.ws || this.endedBy) return;
    this.endedBy = end;
    this.stopTasks();
    if (this.hangupTimer) clearTimeout(this.hangupTimer);
    if (this.ws.readyState !== WebSocket.OPEN) return void this.ws.terminate();
    this.hangupAt = performance.now();
    this.ws.close(code, reason);
    // An app that never answers the close frame would hold the leg for ws's 30 s close timeout.
    this.hangupTimer = setTimeout(() => this.ws?.terminate(), HANGUP_CLOSE_WAIT_MS);
  }

  private onOpen(): void {
    const { clock, endpoint, timeline, switches } = this.options;
    this.result.connected = true;
    this.markOpened(true);
    this.openedAt = clock.now();
    this.lastSendAt = this.openedAt;
    if (this.options.binaryFirst) {
      this.ws!.send(Buffer.alloc(this.frameBytes), { binary: true });
      timeline?.add('socket', 'one audio frame sent before websocket:connected');
    }
    // Vonage reports the rate it actually uses, the default when the NCCO's key was missing or misspelt.
    this.ws!.send(connectedMessage(contentTypeFor(this.sampleRate), endpoint.headers ?? {}));
    timeline?.add('socket', `connected ${endpoint.uri} (${contentTypeFor(this.sampleRate)})`);

    this.options.audio.attach?.({
      dtmf: (digit) => {
        if (this.ws?.readyState !== WebSocket.OPEN) return;
        this.ws.send(dtmfMessage(digit, 260));
        timeline?.add('socket', `${dtmfLabel(digit)} sent`);
      },
      hangup: () => this.hangup(),
    });
    const sender = new FrameSchedule(this.openedAt, FRAME_MS);
    const lastFrame = Math.ceil(this.options.durationMs / FRAME_MS);
    const script: ScriptedText[] = [
      ...(this.options.dtmf ?? []).map((press) => ({
        atMs: press.atMs,
        text: dtmfMessage(press.digit, press.durationMs ?? 260),
        label: dtmfLabel(press.digit),
      })),
      ...(this.options.inject ?? []).map((item) => ({ atMs: item.atMs, text: item.text, label: injectedLabel(item.text) })),
    ].sort((a, b) => a.atMs - b.atMs);
    this.removeTasks.push(
      clock.add({
        nextDueAt: () => (sender.next < lastFrame ? sender.nextDueAt() : Infinity),
        run: (now) => sender.runDue(now, (n) => this.sendCallerFrame(n, script), lastFrame - sender.next),
      }),
    );

    const mixer = new FrameSchedule(this.openedAt + switches.mixerPhaseMs, FRAME_MS);
    this.removeTasks.push(clock.add({ nextDueAt: () => mixer.nextDueAt(), run: (now) => mixer.runDue(now, () => this.mixerTick()) }));

    if (Number.isFinite(this.options.durationMs)) {
      this.hangupTimer = setTimeout(() => this.hangup(), this.options.durationMs + (this.options.drainMs ?? 200));
    }
  }

  private sendCallerFrame(n: number, script: ScriptedText[]): void {
    const ws = this.ws!;
    if (ws.readyState !== WebSocket.OPEN) return;
    while (this.scriptIndex < script.length && script[this.scriptIndex]!.atMs <= n * FRAME_MS) {
      const item = script[this.scriptIndex++]!;
      ws.send(item.text);
      this.result.scriptSentAtMs[item.label] = Math.round(n * FRAME_MS);
      this.options.timeline?.add('socket', `${item.label} sent`);
    }
    const frame = Buffer.allocUnsafe(this.frameBytes);
    if (this.muted) frame.fill(0);
    else this.options.audio.fill(frame, n);
    if (this.injectedToSocket.active) this.injectedToSocket.mixInto(frame);
    tagFrame(frame, n);
    const now = this.options.clock.now();
    this.sentAt[n] = now;
    if (now - this.lastSendAt > this.result.maxSendLatenessMs) this.result.maxSendLatenessMs = now - this.lastSendAt;
    this.lastSendAt = now;
    ws.send(frame, { binary: true });
    this.result.framesSent++;
  }

  private mixerTick(): void {
    const underrunsBefore = this.playback.underruns.length;
    const { frame, marks } = this.playback.tick();
    this.options.onPlayed?.(frame);
    this.options.audio.hear?.(this.earmuffed ? undefined : frame);
    if (frame && this.playback.underruns.length > underrunsBefore && this.echoOf(frame) >= 0) this.playback.underruns.at(-1)!.echoed = true;
    if (this.options.record) {
      // Copied only when REST audio is mixed in: the app's frame is not ours to change.
      const heard = frame && !this.earmuffed ? (this.injectedHeard.active ? Buffer.from(frame) : frame) : Buffer.alloc(this.frameBytes);
      if (this.injectedHeard.active) this.injectedHeard.mixInto(heard);
      this.heard.push(heard);
    } else if (this.injectedHeard.active) this.injectedHeard.mixInto(Buffer.alloc(this.frameBytes));
    for (const payload of marks) this.reportMark(payload);
  }

  /** The caller frame an app's frame echoes (its tag names a frame we sent), or -1. */
  private echoOf(frame: Buffer): number {
    const seq = readFrameTag(frame);
    return seq >= 0 && seq < this.sentAt.length && this.sentAt[seq] !== undefined ? seq : -1;
  }

  private reportMark(payload: unknown): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(notifiedMessage(payload));
    this.result.marksReported++;
    this.options.timeline?.add('socket', `websocket:notify ${JSON.stringify(payload)} sent`);
  }

  private onAppAudio(frame: Buffer): void {
    if (this.endedBy) return;
    const now = this.options.clock.now();
    if (frame.length !== this.frameBytes) {
      const message = frameSizeMessage(frame.length, this.sampleRate);
      this.result.violations.push({ atMs: Math.round(now - this.openedAt), bytes: frame.length, message });
      this.options.timeline?.add('socket', `${message} (${frame.length} bytes)`, true);
      if (this.options.switches.badFrame === 'disconnect') {
        // Vonage: "Unexpected error, stop listening" — the TCP connection goes without a close frame.
        this.endedBy = 'frame-violation';
        this.ws!.terminate();
      }
      return;
    }
    this.result.framesReceived++;
    this.result.timeToFirstAudioMs ??= now - this.openedAt;
    const seq = this.echoOf(frame);
    if (seq >= 0) {
      if (seq >= this.echoedFlags.length) {
        const grown = new Uint8Array(Math.max(seq + 1, this.echoedFlags.length * 2));
        grown.set(this.echoedFlags);
        this.echoedFlags = grown;
      }
      if (this.echoedFlags[seq]) this.result.duplicated++;
      else {
        this.echoedFlags[seq] = 1;
        this.result.echoed++;
        if (seq * FRAME_MS >= (this.options.warmupMs ?? 0)) this.rtts.push(now - this.sentAt[seq]!);
      }
    }
    const queued = this.playback.enqueueFrame(frame);
    if (queued === 'disconnect') {
      this.options.timeline?.add('socket', `playback buffer full (${this.options.switches.bufferFrames} frames); disconnecting`, true);
      this.endedBy = 'buffer-overflow';
      this.ws!.terminate();
    }
  }

  private onAppText(text: string): void {
    if (this.endedBy) return;
    const parsed = parseAppCommand(text);
    if (!parsed.ok) {
      // Vonage ignores unknown text (docs/protocol.md §5.2); we note it because it is usually an app bug (echoed control messages).
      if (this.result.unexpectedText.length < 20) this.result.unexpectedText.push(text.slice(0, 200));
      this.options.timeline?.add('app', `ignored text ${JSON.stringify(text.slice(0, 80))}`);
      return;
    }
    if (parsed.message.type === 'clear') {
      this.result.clears++;
      if (this.options.record) this.result.clearsAtHeardMs.push(this.heard.length * FRAME_MS);
      const kept = this.playback.clear();
      this.ws!.send(clearedMessage());
      this.options.timeline?.add('socket', 'clear → websocket:cleared');
      for (const payload of kept) this.reportMark(payload);
      return;
    }
    this.result.marksSent++;
    if (this.playback.enqueueMark(parsed.message.payload)) this.reportMark(parsed.message.payload);
  }

  private stopTasks(): void {
    for (const remove of this.removeTasks) remove();
    this.removeTasks = [];
  }

  /**
   * Caller frames an echoing app failed to return: counted only between the first frame it returned
   * (an app may start echoing late, like `play` after a barge-in) and the last one whose echo could
   * still have arrived before the call ended (an app may echo with a delay, like `delay-echo`). An
   * app that returns nothing is not an echo app, and nothing is counted.
   */
  private notReturned(): number {
    const sent = this.sentAt.length;
    let first = 0;
    while (first < sent && !this.echoedFlags[first]) first++;
    if (first === sent) return 0;
    const slowestMs = this.rtts.reduce((max, rtt) => Math.max(max, rtt), 0);
    const last = sent - 1 - Math.ceil(slowestMs / FRAME_MS);
    let lost = 0;
    for (let n = first; n <= last; n++) if (!this.echoedFlags[n]) lost++;
    return lost;
  }

  private finish(end: LegEnd): void {
    if (!this.settle) return;
    this.markOpened(false);
    this.stopTasks();
    if (this.hangupTimer) clearTimeout(this.hangupTimer);
    const result = this.result;
    result.end = end;
    result.durationMs = result.connected ? this.options.clock.now() - this.openedAt : 0;
    result.rttSamples = this.rtts;
    result.rtt = distribution(this.rtts);
    result.jitterMs = jitter(this.rtts);
    result.lost = this.notReturned();
    result.underruns = this.playback.underruns;
    result.overflowDropped = this.playback.stats.overflowDropped;
    result.maxBufferedFrames = this.playback.stats.maxDepth;
    if (this.options.record) result.heard = Buffer.concat(this.heard);
    this.options.timeline?.add('socket', `closed: ${end}${result.closeCode !== undefined ? ` (code ${result.closeCode})` : ''}`);
    const settle = this.settle;
    this.settle = undefined;
    settle(result);
  }
}
