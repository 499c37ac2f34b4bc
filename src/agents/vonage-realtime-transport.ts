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
import { FRAME_MS } from '../protocol/audio-format.js';
import type { AgentBargeIn, Interruption } from './agent-link.js';
import { ModelWatch, type ModelWatchOptions } from './model-watch.js';
import { ReplyPlayback, type ReplyKey } from './reply-playback.js';
import { callerTookTurn } from './tool-runner.js';
import { TurnLog } from './turn-log.js';
import { errorDetail } from '../error-detail.js';
import { BargeInGate, type BargeInSettings } from '../call/barge-in-gate.js';

export { DEFAULT_ERROR_MESSAGE, DEFAULT_FAILURE_MESSAGE, DEFAULT_RESPONSE_TIMEOUT_MS } from './model-watch.js';
export type { AgentBargeIn, Interruption } from './agent-link.js';

/** Arrival times kept of the caller's frames (60 s), to time the end of speech the model reports. */
const ARRIVALS_KEPT = 3000;

/** The model's audio: PCM16 mono at 24 kHz, both ways. */
export const MODEL_RATE = 24000;
const MODEL_FORMAT = { type: 'audio/pcm', rate: MODEL_RATE } as const;

export type VonageRealtimeTransportOptions = OpenAIRealtimeWebSocketOptions &
  ModelWatchOptions & {
    /** The call this agent speaks on. */
    call: CallSession;
    /** What interrupts the agent: the model's VAD (default), our own detector, or either. */
    bargeIn?: AgentBargeIn;
    /** When our detector's speech is an interruption: its minimum voiced length (docs/turn-taking.md). */
    interruption?: BargeInSettings;
  };

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
  readonly turns: TurnLog;
  /** Wall time each caller frame arrived, by frame index modulo ARRIVALS_KEPT. */
  #arrivals = new Float64Array(ARRIVALS_KEPT);
  /** Call frame index of the first frame appended to the model: its audio ms 0. */
  #firstAppendedFrame: number | undefined;
  #bargeIn: AgentBargeIn;
  #toModel: Resampler | undefined;
  #playback: ReplyPlayback;
  #watch: ModelWatch;
  #discarded = new Set<string>();
  #activeResponseId: string | null = null;
  #deltaMetadata: { responseId: string; itemId: string; contentIndex: number } | null = null;
  #wasConnected = false;

  constructor(options: VonageRealtimeTransportOptions) {
    super(options);
    this.call = options.call;
    this.turns = new TurnLog((activity) => options.call.report(activity), 'openai');
    this.#bargeIn = options.bargeIn ?? 'model';
    this.#playback = new ReplyPlayback(this.call, MODEL_RATE, (responseId, wall) => this.turns.firstFrameOut(responseId, wall), {
      maxReplyMs: options.maxReplyMs,
      maxBacklogMs: options.maxBacklogMs,
    });
    this.#watch = new ModelWatch(this.call, options, () => {
      this.#playback.reset();
      this.#deltaMetadata = null;
    });
    this.call.on('audio', (frame) => this.#fromCaller(frame));
    this.call.agentTurns = () => this.turns.snapshot();
    this.call.agentProvider = 'openai';
    this.call.on('dtmf', (event) => this.emit('*', { type: 'vonage_dtmf', digit: event.digit, duration: event.duration }));
    // The watch heard the call end first (it listens from its construction): the close that follows is no failure.
    this.call.once('end', () => {
      if (this.status !== 'disconnected') this.close();
    });
    if (this.#bargeIn !== 'model') {
      void this.call.listen();
      this.call.on('speech-start', () => callerTookTurn(this.call));
      // Not every sound: the speech the barge-in policy takes for an interruption (no words here).
      new BargeInGate(this.call, { ...options.interruption, words: false }, () => this.#interruptPlayback(true, 'speech'));
    }
    this.on('response.output_audio.delta', (event: { response_id: string; item_id: string; content_index: number }) => {
      this.#deltaMetadata = { responseId: event.response_id, itemId: event.item_id, contentIndex: event.content_index };
      this.turns.firstAudio(event.response_id, performance.now());
      this.#watch.answered();
    });
    // The caller is talking again: no answer is owed until they stop.
    this.on('input_audio_buffer.speech_started', () => {
      callerTookTurn(this.call);
      this.#watch.answered(false);
    });
    this.on('response.created', (event: { response: { id?: string | null } }) => {
      if (typeof event.response.id !== 'string') return;
      this.#activeResponseId = event.response.id;
      this.turns.responseStarted(event.response.id);
      this.#playback.forgetHeard();
    });
    this.on('input_audio_buffer.speech_stopped', (event: { item_id: string; audio_end_ms: number }) => {
      if (this.#firstAppendedFrame === undefined) return;
      const frame = this.#firstAppendedFrame + Math.max(0, Math.floor(event.audio_end_ms / FRAME_MS) - 1);
      const arrived = this.#arrivals[frame % ARRIVALS_KEPT];
      this.turns.callerStopped(event.item_id, frame * FRAME_MS + FRAME_MS, arrived || undefined);
      this.#watch.owed();
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
      this.call.report({ kind: 'reply-done', replyId: responseId });
      this.#discarded.delete(responseId);
      if (this.#activeResponseId === responseId) this.#activeResponseId = null;
      // A response that ends without audio (a tool call, text) is still an answer.
      this.#watch.answered();
    });
    this.on('connection_change', (status: string) => {
      if (status === 'connected') this.#wasConnected = true;
      // A failed connect is reported by connect(); this is a session that was up and went away.
      if (status === 'disconnected' && this.#wasConnected) this.#watch.lost('the model closed the session');
    });
    this.on('error', (event: { error?: unknown }) => {
      const error = event.error as { message?: unknown; error?: { message?: unknown } } | undefined;
      // A socket that fails to connect also reports here; that call gets the failure message instead.
      this.#watch.error(String(error?.error?.message ?? error?.message ?? 'model error'), this.status === 'connected' && this.#activeResponseId === null);
    });
  }

  override async connect(options: RealtimeTransportLayerConnectOptions): Promise<void> {
    options.initialSessionConfig = withCallAudio(options.initialSessionConfig);
    try {
      await this.#watch.connecting(super.connect(options));
    } catch (error) {
      // Stops an attempt still under way (a handshake that never answers).
      if (this.status !== 'disconnected') this.close();
      this.#watch.lost(`cannot connect to the model: ${errorDetail(error, options.url)}`);
      throw error;
    }
  }

  /** Asks the model to speak (a greeting, an answer to a tool's output): an answer is now owed. */
  override requestResponse(response?: Parameters<OpenAIRealtimeWebSocket['requestResponse']>[0]): void {
    super.requestResponse(response);
    this.#watch.owed();
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
    const key: ReplyKey = { replyId: audioEvent.responseId, itemId, contentIndex };
    const written = this.#playback.write(key, Buffer.from(audioEvent.data));
    if (written === 'too-large') this.#watch.tooLarge(audioEvent.data.byteLength, this.#playback.maxChunkBytes);
    else if (written !== 'queued') return this.#cutAtLimit(key, written);
    this.emit('audio', audioEvent);
  }

  protected override _onClose(): void {
    this.#playback.reset();
    this.#deltaMetadata = null;
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

  /**
   * The response ran past its length, or the model sent audio far faster than it plays and past
   * what a call holds: it is cancelled, the rest of its audio dropped, and its item truncated where
   * the caller's audio ends (everything taken will play). The call goes on.
   */
  #cutAtLimit(key: ReplyKey, why: 'too-long' | 'backlog'): void {
    this.#discarded.add(key.replyId);
    const heardMs = Math.floor(this.#playback.takenMs(key.replyId));
    this.#watch.replyCut(why === 'too-long' ? `the reply ran past ${this.#playback.maxReplyMs / 1000} s` : 'the model sent audio far faster than it plays', {
      provider: 'openai',
      heardMs,
    });
    if (this.#activeResponseId === key.replyId) {
      this.#activeResponseId = null;
      this._cancelResponse();
    }
    this.turns.interrupted(key.replyId, heardMs, heardMs);
    this.sendEvent({ type: 'conversation.item.truncate', item_id: key.itemId, content_index: key.contentIndex, audio_end_ms: heardMs });
  }

  #interruptPlayback(cancelOngoingResponse: boolean, by: Interruption['by']): void {
    if (this.status !== 'connected') return;
    if (this.#activeResponseId === null && !this.call.playing) return;
    for (const replyId of this.#playback.replyIds()) this.#discarded.add(replyId);
    if (this.#activeResponseId !== null) this.#discarded.add(this.#activeResponseId);
    const cuts = this.#playback.cut(this.#activeResponseId);
    this.#activeResponseId = null;
    this.#deltaMetadata = null;
    if (cancelOngoingResponse) this._cancelResponse();
    if (cuts.length === 0) return;
    this.emit('audio_interrupted');
    for (const cut of cuts) {
      this.interruptions.push({ itemId: cut.itemId, heardMs: cut.heardMs, sentMs: cut.sentMs, by });
      this.turns.interrupted(cut.replyId, cut.heardMs, cut.sentMs, by);
      this.sendEvent({ type: 'conversation.item.truncate', item_id: cut.itemId, content_index: cut.contentIndex, audio_end_ms: cut.heardMs });
    }
    this._afterAudioDoneEvent();
  }
}
