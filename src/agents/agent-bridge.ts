/**
 * A voice agent of any provider on a call: the bridge between a call (`CallSession`) and a provider's
 * link (agent-link.ts). Everything that is the call's is done here once, for every provider:
 *
 * - caller audio, at the call's rate, resampled to the provider's input rate as it arrives;
 * - reply audio resampled to the call's rate and paced (reply-playback.ts);
 * - barge-in — the provider's voice detection (`bargeIn: 'model'`), ours (`'speech'`) or either (the
 *   default) — sends `clear` at once, and the link is told what the caller heard of the reply, which it
 *   makes the provider's memory match as its protocol allows (`AgentLink.truncation`);
 * - turns and latency: our own detector times the caller's end of speech for every provider, so the
 *   model's share and ours are measured alike (turn-log.ts); the dashboard shows them;
 * - tools (tool-runner.ts): arguments read strictly, calls per turn and at once bounded, and whatever
 *   a tool returns or throws, sync or async, becomes its answer to the model;
 * - faults (model-watch.ts): a provider that fails, drops, stalls, errs or floods ends or degrades
 *   only this call, with a coded line and an apology.
 */
import { Resampler } from '../audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../audio/pcm.js';
import type { CallSession } from '../call/call-session.js';
import { errorDetail } from '../error-detail.js';
import { FRAME_MS } from '../protocol/audio-format.js';
import { z } from 'zod';
import type { AgentBargeIn, AgentLink, AgentProvider, AgentTool, Interruption, LinkProvider, ToolDeclaration, VoiceAgent } from './agent-link.js';
import { ModelWatch, type ModelWatchOptions } from './model-watch.js';
import { ReplyPlayback } from './reply-playback.js';
import { callerTookTurn, ToolRunner } from './tool-runner.js';
import { TurnLog } from './turn-log.js';
import { BargeInGate, type BargeInSettings } from '../call/barge-in-gate.js';

/** Arrival times kept of the caller's frames (60 s), to time the end of speech. */
const ARRIVALS_KEPT = 3000;
/** Cut replies remembered, to drop their audio still in flight. */
const DISCARDED_KEPT = 16;

export interface StartVoiceAgentOptions extends ModelWatchOptions {
  provider: AgentProvider;
  instructions: string;
  /** Said first, before the caller speaks. */
  greeting?: string;
  tools?: AgentTool[];
  /**
   * What interrupts the agent: the provider's voice detection, ours, or either (the default). A
   * provider knows what it sent, not what still plays: most stop signalling once a reply is all sent,
   * which a model bursting faster than real time does seconds before the caller has heard it.
   */
  bargeIn?: AgentBargeIn;
  /**
   * When our detector's speech interrupts (docs/turn-taking.md): after `minSpeechMs` of voiced speech
   * (default 500; 0 cuts at the speech start), and, where the call's own transcriber hears the caller
   * (the cascade), never for acknowledgements ("uh-huh", "yeah", a cough).
   */
  interruption?: BargeInSettings;
}

export function toolDeclaration(tool: AgentTool): ToolDeclaration {
  const { $schema: _schema, ...parameters } = z.toJSONSchema(tool.parameters) as Record<string, unknown>;
  return { name: tool.name, description: tool.description, parameters };
}

export class AgentBridge implements VoiceAgent {
  readonly turns: TurnLog;
  /** Interruptions so far, in order. */
  readonly interruptions: Interruption[] = [];
  /** Resolves when the provider is connected (and the greeting asked for); rejects when it cannot be (handled on the call). */
  readonly ready: Promise<void>;
  #link: AgentLink | undefined;
  /** Made at the first reply audio, when the link's output rate is final. */
  #playback: ReplyPlayback | undefined;
  readonly #watch: ModelWatch;
  readonly #tools: ToolRunner;
  readonly #bargeIn: AgentBargeIn;
  #toLink: Resampler | undefined;
  #connected = false;
  /** Why the link closed while its connect was still under way, when that connect then resolved. */
  #closedConnecting: string | undefined;
  #activeReply: string | null = null;
  readonly #discarded = new Set<string>();
  readonly #arrivals = new Float64Array(ARRIVALS_KEPT);
  #callerTurns = 0;
  /** Audio received of the latest reply, bytes (until a frame's worth). */
  #replyId: string | undefined;
  #replyBytes = 0;

  constructor(
    readonly call: CallSession,
    private readonly options: StartVoiceAgentOptions & { provider: LinkProvider },
  ) {
    this.turns = new TurnLog((activity) => call.report(activity), options.provider.name);
    this.#bargeIn = options.bargeIn ?? 'both';
    this.#tools = new ToolRunner(call, options.tools ?? []);
    this.#watch = new ModelWatch(call, options, () => {
      this.#playback?.reset();
      this.#link?.close();
    });
    call.agentTurns = () => this.turns.snapshot();
    call.agentProvider = options.provider.name;
    // The watch heard the call end first (it listens from its construction): the close is no failure.
    call.once('end', () => this.#link?.close());
    const rateKnown =
      call.state === 'connecting' ? new Promise<boolean>((resolve) => call.once('connected', () => resolve(true))) : Promise.resolve(call.state !== 'ended');
    this.ready = rateKnown.then((known) => (known ? this.#start() : undefined));
    // The failure is the call's (an apology, a coded line, a hang-up): the app need not handle it.
    this.ready.catch(() => undefined);
  }

  get provider(): string {
    return this.options.provider.name;
  }

  get link(): AgentLink | undefined {
    return this.#link;
  }

  async #start(): Promise<void> {
    const call = this.call;
    let link: AgentLink;
    try {
      link = this.options.provider.link({
        instructions: this.options.instructions,
        tools: this.#tools.tools.map(toolDeclaration),
        ...(this.options.greeting ? { greeting: this.options.greeting } : {}),
        callRate: call.sampleRate,
        call,
        log: call.log,
        replyRoom: () => this.#playback?.room() ?? Promise.resolve(),
      });
    } catch (error) {
      this.#watch.lost(`cannot start the ${this.options.provider.name} agent: ${errorDetail(error)}`);
      throw error;
    }
    this.#link = link;
    // Closed while connecting: a connect that rejects says why (below); one that resolves anyway (the
    // cascade's, which does not wait for its speech-to-text engine) must not leave a dead link connected.
    link.on('closed', (reason) => {
      if (this.#connected) this.#watch.lost(reason);
      else this.#closedConnecting ??= reason;
    });
    // Before the connection an error is only logged: the connect's rejection is what the caller hears of.
    link.on('error', (detail) => this.#watch.error(detail, this.#connected && this.#activeReply === null));
    // Wired before the connection: a link may begin its greeting while connecting.
    this.#wire(link);
    call.on('audio', (frame) => this.#fromCaller(frame));
    void call.listen(link.listenOptions ?? {});
    call.on('speech-start', () => {
      callerTookTurn(call);
      this.#watch.answered(false);
    });
    // Our barge-in: the speech the policy takes for an interruption, not every sound. A link heard by
    // our own speech layer has no other (its 'model' detection would be ours too).
    const words = link.hearsWithOurSpeech === true;
    if (this.#bargeIn !== 'model' || words) {
      new BargeInGate(call, { ...this.options.interruption, words }, () => this.#interrupt('speech'));
    }
    call.on('speech-end', ({ atMs }) => {
      const frame = Math.floor(atMs / FRAME_MS);
      this.turns.callerStopped(`caller-${++this.#callerTurns}`, atMs + FRAME_MS, this.#arrivals[frame % ARRIVALS_KEPT] || undefined);
      this.#watch.owed();
    });
    try {
      await this.#watch.connecting(link.connect());
    } catch (error) {
      link.close();
      this.#watch.lost(`cannot connect to the model: ${errorDetail(error)}`);
      throw error;
    }
    if (this.#watch.done) return link.close();
    if (this.#closedConnecting !== undefined) return this.#watch.lost(this.#closedConnecting);
    this.#connected = true;
    if (this.options.greeting) this.#watch.owed();
  }

  /** Made at the first reply audio: a link's output rate is final by then (it may learn it while connecting). */
  #playbackOf(link: AgentLink): ReplyPlayback {
    this.#playback ??= new ReplyPlayback(this.call, link.outputRate, (replyId, wall) => this.turns.firstFrameOut(replyId, wall), {
      maxReplyMs: this.options.maxReplyMs,
      maxBacklogMs: this.options.maxBacklogMs,
    });
    return this.#playback;
  }

  #wire(link: AgentLink): void {
    link.on('reply-started', (replyId) => this.#replyStarted(replyId));
    link.on('audio', (pcm, replyId) => {
      if (this.#discarded.has(replyId) || this.#watch.done) return;
      if (this.#activeReply !== replyId) this.#replyStarted(replyId);
      // Latency counts from the first whole frame's worth: less cannot be sent, and waiting for the
      // rest of it is the provider's time, not ours.
      this.#replyBytes = this.#replyId === replyId ? this.#replyBytes + pcm.length : pcm.length;
      this.#replyId = replyId;
      if (this.#replyBytes >= (link.outputRate / 1000) * FRAME_MS * 2) this.turns.firstAudio(replyId, performance.now());
      this.#watch.answered();
      const playback = this.#playbackOf(link);
      const written = playback.write({ replyId, itemId: replyId, contentIndex: 0 }, pcm);
      if (written === 'too-large') this.#watch.tooLarge(pcm.length, playback.maxChunkBytes);
      else if (written !== 'queued') this.#cutAtLimit(link, playback, replyId, written);
    });
    link.on('reply-text', (replyId, text) => this.turns.agentTranscript(replyId, text));
    link.on('reply-stage', (replyId, stage, wall) => this.turns.stage(replyId, stage, wall));
    link.on('reply-done', (replyId) => {
      this.call.report({ kind: 'reply-done', replyId });
      this.#discarded.delete(replyId);
      if (this.#activeReply === replyId) this.#activeReply = null;
      this.#watch.answered();
    });
    link.on('caller-started', () => {
      callerTookTurn(this.call);
      this.#watch.answered(false);
      if (this.#bargeIn !== 'speech') this.#interrupt('model');
    });
    link.on('caller-text', (text) => this.turns.callerTranscript(`caller-${this.#callerTurns}`, text));
    link.on('tool-call', (request) => void this.#runTool(request));
  }

  #replyStarted(replyId: string): void {
    if (this.#activeReply === replyId || this.#discarded.has(replyId)) return;
    this.#activeReply = replyId;
    this.turns.responseStarted(replyId);
    this.#playback?.forgetHeard();
  }

  #fromCaller(frame: Buffer): void {
    const index = this.call.stats.framesIn - 1;
    this.#arrivals[index % ARRIVALS_KEPT] = performance.now();
    const link = this.#link;
    if (!this.#connected || !link || this.#watch.done) return;
    this.#toLink ??= this.call.sampleRate === link.inputRate ? undefined : new Resampler(this.call.sampleRate, link.inputRate);
    // No copy when no resampling is needed: each frame is its own socket message, never reused.
    const pcm = this.#toLink ? floatToPcm16(this.#toLink.process(pcm16ToFloat(frame))) : frame;
    try {
      link.sendAudio(pcm);
    } catch (error) {
      // A link whose socket is closing may throw (Deepgram's SDK does): the frame is dropped and the
      // link's close ends it; a throw here would be the call's audio listener failing, the call ended.
      this.#watch.error(`the ${link.provider} link refused audio: ${(error as Error)?.message ?? String(error)}`, false);
    }
  }

  #interrupt(by: Interruption['by']): void {
    const link = this.#link;
    if (!this.#connected || !link) return;
    const playback = this.#playbackOf(link);
    const active = this.#activeReply;
    if (active === null && !this.call.playing) return;
    for (const replyId of playback.replyIds()) this.#discard(replyId);
    if (active !== null) this.#discard(active);
    const cuts = playback.cut(active);
    this.#activeReply = null;
    for (const cut of cuts) {
      this.interruptions.push({ itemId: cut.itemId, heardMs: cut.heardMs, sentMs: cut.sentMs, by });
      this.turns.interrupted(cut.replyId, cut.heardMs, cut.sentMs, by);
      link.interrupted({ replyId: cut.replyId, heardMs: cut.heardMs, sentMs: cut.sentMs });
    }
    // A reply still being made that had not played yet: the provider must stop it all the same.
    if (active !== null && !cuts.some((cut) => cut.replyId === active)) link.interrupted({ replyId: active, heardMs: 0, sentMs: 0 });
  }

  /**
   * A reply ran past its length, or its provider sent audio far faster than it plays and past what a
   * call holds: the rest of it is dropped, and the provider is told it was cut where the caller's
   * audio ends (everything taken will be heard). The call goes on.
   */
  #cutAtLimit(link: AgentLink, playback: ReplyPlayback, replyId: string, why: 'too-long' | 'backlog'): void {
    this.#discard(replyId);
    if (this.#activeReply === replyId) this.#activeReply = null;
    const heardMs = Math.floor(playback.takenMs(replyId));
    this.#watch.replyCut(why === 'too-long' ? `the reply ran past ${playback.maxReplyMs / 1000} s` : 'the provider sent audio far faster than it plays', {
      provider: link.provider,
      heardMs,
    });
    this.turns.interrupted(replyId, heardMs, heardMs);
    link.interrupted({ replyId, heardMs, sentMs: heardMs, by: 'limit' });
  }

  /** Replies cut short; a provider may never end them, so only the latest few are kept. */
  #discard(replyId: string): void {
    this.#discarded.add(replyId);
    if (this.#discarded.size > DISCARDED_KEPT) this.#discarded.delete(this.#discarded.values().next().value!);
  }

  async #runTool(request: { id: string; name: string; args: unknown }): Promise<void> {
    this.#watch.answered();
    this.call.report({ kind: 'tool-call', callId: request.id, name: request.name, arguments: request.args });
    const output = await this.#tools.run(request.name, request.args);
    this.call.report({ kind: 'tool-result', callId: request.id, name: request.name, result: output });
    if (this.#watch.done || !this.#link) return;
    this.#link.toolResult(request.id, request.name, output);
    this.#watch.owed();
  }
}

/** Starts a voice agent of any provider on the call (docs/agents.md). */
export function startVoiceAgent(call: CallSession, options: StartVoiceAgentOptions): VoiceAgent {
  const { provider } = options;
  if ('start' in provider) return provider.start(call, options);
  return new AgentBridge(call, { ...options, provider });
}
