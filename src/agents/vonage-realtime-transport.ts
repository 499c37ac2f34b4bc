/**
 * The Vonage transport for OpenAI's Agents SDK (Realtime): a `RealtimeSession` talks to the model
 * over OpenAI's WebSocket, and this layer connects that to a call (`CallSession`), not to a raw socket.
 *
 * - Caller audio, at the call's rate (8/16/24 kHz), is resampled to the model's PCM16 at 24 kHz and
 *   appended as it arrives, 20 ms at a time.
 * - Model audio is resampled to the call's rate and played through the call's pacer, in order, with
 *   its backpressure: never faster than real time plus the lead, whatever the model's bursts.
 * - On an interruption (the model's server VAD `input_audio_buffer.speech_started`, or our own speech
 *   detection with `bargeIn: 'speech' | 'both'`) it sends `clear` at once and truncates each item the
 *   caller was hearing at what the caller actually heard: the pacer's played position against where
 *   the item started, not what was sent.
 * - DTMF reaches the session as a `vonage_dtmf` transport event (`session.on('transport_event')`).
 * - The call's end closes the model session; a model that drops, refuses or does not connect in time
 *   gets one coded log line, a spoken apology (the caller is not left in silence) and a hang-up.
 */
import {
  OpenAIRealtimeWebSocket,
  type OpenAIRealtimeWebSocketOptions,
  type RealtimeSessionConfig,
  type RealtimeTransportLayerConnectOptions,
  type TransportLayerAudio,
} from '@openai/agents-realtime';
import { Resampler } from '../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../audio/pcm.js';
import type { CallSession } from '../call/call-session.js';
import { SampledLog } from '../call/logger.js';
import { errorCode } from '../errors.js';
import { FRAME_MS } from '../protocol/audio-format.js';
import { TurnLog } from './turn-log.js';

/** Arrival times kept of the caller's frames (60 s), to time the end of speech the model reports. */
const ARRIVALS_KEPT = 3000;

/** The model's audio: PCM16 mono at 24 kHz, both ways. */
export const MODEL_RATE = 24000;
const MODEL_FORMAT = { type: 'audio/pcm', rate: MODEL_RATE } as const;

export type AgentBargeIn = 'model' | 'speech' | 'both';

export type VonageRealtimeTransportOptions = OpenAIRealtimeWebSocketOptions & {
  /** The call this agent speaks on. */
  call: CallSession;
  /** What interrupts the agent: the model's VAD (default), our own detector, or either. */
  bargeIn?: AgentBargeIn;
  /** Connecting to the model past this is a failure, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** Said to the caller when the model fails, before hanging up; `false` hangs up at once. */
  failureMessage?: string | false;
  /** Said when the model reports an error instead of answering (the call goes on); `false`: nothing. */
  errorMessage?: string | false;
  /**
   * An answer must begin this soon after the caller stopped speaking (or a response was asked for),
   * ms (default 8000). The first silence past it gets the error message; a second in a row ends the
   * call as a failed model does. A model that takes the socket and says nothing is dead air otherwise.
   */
  responseTimeoutMs?: number;
};

/** One reply's audio as it plays: where it starts among the call's paced audio, and how much was written. */
interface PlaybackItem {
  responseId: string;
  itemId: string;
  contentIndex: number;
  /** `call.scheduledMs` at the item's first write; undefined until then. */
  startMs: number | undefined;
  writtenMs: number;
}

/** What one interruption cut: for the dashboard and the tests. */
export interface Interruption {
  itemId: string;
  /** What the caller heard of the item, ms: the truncate's `audio_end_ms`. */
  heardMs: number;
  /** What the model had sent of it, ms. */
  sentMs: number;
  by: 'model' | 'speech';
}

export const DEFAULT_FAILURE_MESSAGE = 'Sorry, the assistant is not available right now. Please call again later. Goodbye.';
export const DEFAULT_ERROR_MESSAGE = 'Sorry, something went wrong. Could you say that again?';
/** The error message is said at most this often: a model erring in a loop does not talk over the caller. */
const ERROR_MESSAGE_INTERVAL_MS = 10_000;
/** Realtime models answer within a second or two; eight is a model that is not going to. */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 8000;
/**
 * Largest audio delta taken: 20 s of 24 kHz PCM16. Real deltas carry tens of milliseconds; a bigger one
 * is a broken or hostile peer, and resampling it would hold the event loop (every call's) for seconds.
 */
export const MAX_AUDIO_DELTA_BYTES = 20 * MODEL_RATE * 2;

function withCallAudio(config: Partial<RealtimeSessionConfig> = {}): Partial<RealtimeSessionConfig> {
  const audio = (config as { audio?: { input?: Record<string, unknown>; output?: Record<string, unknown> } }).audio ?? {};
  return {
    ...config,
    audio: { ...audio, input: { ...audio.input, format: MODEL_FORMAT }, output: { ...audio.output, format: MODEL_FORMAT } },
  } as Partial<RealtimeSessionConfig>;
}

export class VonageRealtimeTransportLayer extends OpenAIRealtimeWebSocket {
  readonly call: CallSession;
  /** Interruptions so far, in order. */
  readonly interruptions: Interruption[] = [];
  /** The call's turns, with their latency (also in `/api/calls` and on the dashboard). */
  readonly turns = new TurnLog();
  /** Wall time each caller frame arrived, by frame index modulo ARRIVALS_KEPT. */
  #arrivals = new Float64Array(ARRIVALS_KEPT);
  /** Call frame index of the first frame appended to the model: its audio ms 0. */
  #firstAppendedFrame: number | undefined;
  /** A response whose first frame out is awaited for its latency. */
  #awaitingFrameOut: string | undefined;
  #bargeIn: AgentBargeIn;
  #connectTimeoutMs: number;
  #failureMessage: string | false;
  #errorMessage: string | false;
  #lastErrorMessageAt = -Infinity;
  #toModel: Resampler | undefined;
  #fromModel: Resampler | undefined;
  #items: PlaybackItem[] = [];
  #discarded = new Set<string>();
  #activeResponseId: string | null = null;
  #deltaMetadata: { responseId: string; itemId: string; contentIndex: number } | null = null;
  /** Writes to the pacer in order; an interruption starts a new generation and the old writes are dropped. */
  #writing: Promise<void> = Promise.resolve();
  #generation = 0;
  #closingForCall = false;
  #failed = false;
  #wasConnected = false;
  #responseTimeoutMs: number;
  /** Running while an answer is owed: the caller stopped speaking, or a response was asked for. */
  #responseTimer: NodeJS.Timeout | undefined;
  /** Silences in a row; an answer resets it. */
  #silences = 0;
  /** A model erring in a loop (or sending junk) must not write a line per event. */
  #modelLog: SampledLog;

  constructor(options: VonageRealtimeTransportOptions) {
    super(options);
    this.call = options.call;
    this.#bargeIn = options.bargeIn ?? 'model';
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#failureMessage = options.failureMessage ?? DEFAULT_FAILURE_MESSAGE;
    this.#errorMessage = options.errorMessage ?? DEFAULT_ERROR_MESSAGE;
    this.#responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    this.#modelLog = new SampledLog(this.call.log);
    this.call.on('audio', (frame) => this.#fromCaller(frame));
    this.call.agentTurns = () => this.turns.snapshot();
    const untap = this.call.tapOutbound(() => {
      if (this.#awaitingFrameOut === undefined) return;
      this.turns.firstFrameOut(this.#awaitingFrameOut, performance.now());
      this.#awaitingFrameOut = undefined;
    });
    this.call.once('end', untap);
    this.call.on('dtmf', (event) => this.emit('*', { type: 'vonage_dtmf', digit: event.digit, duration: event.duration }));
    this.call.once('end', () => {
      this.#closingForCall = true;
      this.#answered();
      if (this.status !== 'disconnected') this.close();
    });
    if (this.#bargeIn !== 'model') {
      void this.call.listen();
      this.call.on('speech-start', () => this.#interruptPlayback(true, 'speech'));
    }
    this.on('response.output_audio.delta', (event: { response_id: string; item_id: string; content_index: number }) => {
      this.#deltaMetadata = { responseId: event.response_id, itemId: event.item_id, contentIndex: event.content_index };
      this.turns.firstAudio(event.response_id, performance.now());
      this.#answered();
    });
    // The caller is talking again: no answer is owed until they stop.
    this.on('input_audio_buffer.speech_started', () => this.#answered(false));
    this.on('response.created', (event: { response: { id?: string | null } }) => {
      if (typeof event.response.id !== 'string') return;
      this.#activeResponseId = event.response.id;
      this.turns.responseStarted(event.response.id);
      // Replies the caller has heard to the end cannot be cut any more: forget them.
      const played = this.call.playedMs;
      this.#items = this.#items.filter((item) => item.startMs === undefined || played - item.startMs < item.writtenMs);
    });
    this.on('input_audio_buffer.speech_stopped', (event: { item_id: string; audio_end_ms: number }) => {
      if (this.#firstAppendedFrame === undefined) return;
      const frame = this.#firstAppendedFrame + Math.max(0, Math.floor(event.audio_end_ms / FRAME_MS) - 1);
      const arrived = this.#arrivals[frame % ARRIVALS_KEPT];
      this.turns.callerStopped(event.item_id, frame * FRAME_MS + FRAME_MS, arrived || undefined);
      this.#owed();
    });
    this.on('conversation.item.input_audio_transcription.completed', (event: { item_id: string; transcript: string }) =>
      this.turns.callerTranscript(event.item_id, event.transcript),
    );
    this.on('response.output_audio_transcript.done', (event: { response_id: string; transcript: string }) =>
      this.turns.agentTranscript(event.response_id, event.transcript),
    );
    this.on('response.done', (event: { response: { id?: string | null } }) => {
      const responseId = event.response.id;
      if (typeof responseId !== 'string') return;
      this.#discarded.delete(responseId);
      if (this.#activeResponseId === responseId) this.#activeResponseId = null;
      // A response that ends without audio (a tool call, text) is still an answer.
      this.#answered();
    });
    this.on('connection_change', (status: string) => {
      if (status === 'connected') this.#wasConnected = true;
      // A failed connect is reported by connect(); this is a session that was up and went away.
      if (status === 'disconnected' && this.#wasConnected && !this.#closingForCall) this.#modelLost('the model closed the session');
    });
    this.on('error', (event: { error?: unknown }) => {
      const error = event.error as { message?: unknown; error?: { message?: unknown } } | undefined;
      const detail = String(error?.error?.message ?? error?.message ?? 'model error');
      this.#modelLog.warn(errorCode('AGENT_MODEL_ERROR'), { detail }, 'voice agent model reported an error');
      // The model erred instead of answering: the caller hears why the line went quiet. (A socket
      // that fails to connect also reports here; that call gets the failure message instead.)
      const now = performance.now();
      if (this.#errorMessage === false || this.status !== 'connected' || this.#activeResponseId !== null || this.call.playing) return;
      if (now - this.#lastErrorMessageAt < ERROR_MESSAGE_INTERVAL_MS) return;
      this.#lastErrorMessageAt = now;
      void this.call.say(this.#errorMessage);
    });
  }

  override async connect(options: RealtimeTransportLayerConnectOptions): Promise<void> {
    options.initialSessionConfig = withCallAudio(options.initialSessionConfig);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the model did not connect within ${this.#connectTimeoutMs / 1000} s`)), this.#connectTimeoutMs);
    });
    try {
      await Promise.race([super.connect(options), timeout]);
    } catch (error) {
      // Stops an attempt still under way (a handshake that never answers).
      if (this.status !== 'disconnected') this.close();
      this.#modelLost(`cannot connect to the model: ${(error as { message?: string }).message ?? String(error)}`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asks the model to speak (a greeting, an answer to a tool's output): an answer is now owed. */
  override requestResponse(response?: Parameters<OpenAIRealtimeWebSocket['requestResponse']>[0]): void {
    super.requestResponse(response);
    this.#owed();
  }

  override updateSessionConfig(config: Partial<RealtimeSessionConfig>): void {
    super.updateSessionConfig(withCallAudio(config));
  }

  /** The model's server VAD heard the caller (the SDK calls this), or the app interrupts. */
  override interrupt(cancelOngoingResponse = true): void {
    if (this.#bargeIn === 'speech') return; // only our detector interrupts
    this.#interruptPlayback(cancelOngoingResponse, 'model');
  }

  override _interrupt(_elapsedTime: number, cancelOngoingResponse = true): void {
    this.interrupt(cancelOngoingResponse);
  }

  protected override _onAudio(audioEvent: TransportLayerAudio): void {
    const metadata = this.#deltaMetadata;
    this.#deltaMetadata = null;
    if (this.#discarded.has(audioEvent.responseId)) return;
    const itemId = this.currentItemId ?? metadata?.itemId;
    if (itemId === undefined) return;
    const contentIndex = metadata?.itemId === itemId ? metadata.contentIndex : 0;
    let item = this.#items.find((i) => i.responseId === audioEvent.responseId && i.itemId === itemId && i.contentIndex === contentIndex);
    if (!item) {
      item = { responseId: audioEvent.responseId, itemId, contentIndex, startMs: undefined, writtenMs: 0 };
      this.#items.push(item);
    }
    if (audioEvent.data.byteLength > MAX_AUDIO_DELTA_BYTES) {
      this.#modelLog.warn(
        errorCode('AGENT_AUDIO_TOO_LARGE'),
        { bytes: audioEvent.data.byteLength, maxBytes: MAX_AUDIO_DELTA_BYTES },
        'voice agent model sent an oversized audio chunk; dropped',
      );
      return;
    }
    const pcm = Buffer.from(audioEvent.data);
    this.#fromModel ??= this.call.sampleRate === MODEL_RATE ? undefined : new Resampler(MODEL_RATE, this.call.sampleRate);
    const out = this.#fromModel ? floatToPcm16(this.#fromModel.process(pcm16ToFloat(pcm))) : pcm;
    const generation = this.#generation;
    const playing = item;
    this.#writing = this.#writing.then(async () => {
      if (generation !== this.#generation || this.call.state === 'ended') return;
      if (playing.startMs === undefined) {
        playing.startMs = this.call.scheduledMs;
        this.#awaitingFrameOut = playing.responseId;
      }
      playing.writtenMs += (pcm.length / 2 / MODEL_RATE) * 1000;
      await this.call.write(out);
    });
    this.emit('audio', audioEvent);
  }

  protected override _onClose(): void {
    this.#resetPlayback();
    this.#activeResponseId = null;
    this.#discarded.clear();
    super._onClose();
  }

  #fromCaller(frame: Buffer): void {
    const index = this.call.stats.framesIn - 1;
    this.#arrivals[index % ARRIVALS_KEPT] = performance.now();
    if (this.status !== 'connected') return;
    this.#firstAppendedFrame ??= index;
    this.#toModel ??= this.call.sampleRate === MODEL_RATE ? undefined : new Resampler(this.call.sampleRate, MODEL_RATE);
    const pcm = this.#toModel ? floatToPcm16(this.#toModel.process(pcm16ToFloat(frame))) : frame;
    // A copy: the SDK base64-encodes later, and the frame's buffer is the socket's.
    this.sendAudio(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength) as ArrayBuffer);
  }

  #resetPlayback(): void {
    this.#generation++;
    this.#items = [];
    this.#deltaMetadata = null;
    this.#fromModel = undefined;
    this.#writing = Promise.resolve();
  }

  #interruptPlayback(cancelOngoingResponse: boolean, by: Interruption['by']): void {
    if (this.status !== 'connected') return;
    if (this.#activeResponseId === null && !this.call.playing) return;
    // What the caller heard of each item, read before the clear resets the pacer's position.
    const played = this.call.playedMs;
    const cuts = this.#items
      .filter((item) => item.startMs !== undefined)
      .map((item) => ({ item, heardMs: Math.max(0, Math.min(item.writtenMs, played - item.startMs!)) }))
      .filter(({ item, heardMs }) => heardMs < item.writtenMs || this.#activeResponseId === item.responseId);
    if (this.#activeResponseId !== null) this.#discarded.add(this.#activeResponseId);
    for (const item of this.#items) this.#discarded.add(item.responseId);
    this.#activeResponseId = null;
    this.#resetPlayback();
    void this.call.clear();
    if (cancelOngoingResponse) this._cancelResponse();
    if (cuts.length === 0) return;
    this.emit('audio_interrupted');
    for (const { item, heardMs } of cuts) {
      const audioEndMs = Math.floor(heardMs);
      this.interruptions.push({ itemId: item.itemId, heardMs: audioEndMs, sentMs: item.writtenMs, by });
      this.turns.interrupted(item.responseId, audioEndMs, item.writtenMs);
      this.sendEvent({ type: 'conversation.item.truncate', item_id: item.itemId, content_index: item.contentIndex, audio_end_ms: audioEndMs });
    }
    this._afterAudioDoneEvent();
  }

  /** An answer is owed from now: the timer starts unless one is already running. */
  #owed(): void {
    if (this.#responseTimer || this.#failed || this.#closingForCall) return;
    this.#responseTimer = setTimeout(() => this.#silent(), this.#responseTimeoutMs);
  }

  /** The model answered (or the caller speaks again: `false` keeps the count of silences). */
  #answered(spoke = true): void {
    clearTimeout(this.#responseTimer);
    this.#responseTimer = undefined;
    if (spoke) this.#silences = 0;
  }

  #silent(): void {
    this.#responseTimer = undefined;
    if (this.#failed || this.#closingForCall || this.call.state === 'ended') return;
    this.#silences++;
    this.#modelLog.warn(
      errorCode('AGENT_MODEL_SILENT'),
      { silences: this.#silences, responseTimeoutMs: this.#responseTimeoutMs },
      'voice agent model did not answer in time',
    );
    if (this.#silences >= 2) return this.#modelLost(`the model did not answer twice in a row (${this.#responseTimeoutMs / 1000} s each)`);
    if (this.#errorMessage !== false && !this.call.playing) void this.call.say(this.#errorMessage);
  }

  /** The model is gone or never came: one coded line, an apology, the call ends. The process goes on. */
  #modelLost(reason: string): void {
    if (this.#failed || this.#closingForCall || this.call.state === 'ended') return;
    this.#failed = true;
    this.#answered();
    this.call.log.warn({ code: errorCode('AGENT_MODEL_FAILED'), detail: reason }, 'voice agent model failed; ending the call');
    this.#resetPlayback();
    void this.call.clear();
    const message = this.#failureMessage;
    const goodbye = message === false ? Promise.resolve() : this.call.say(message).then(() => undefined);
    void goodbye.finally(() => this.call.hangup(1000, 'agent: model unavailable'));
  }
}
