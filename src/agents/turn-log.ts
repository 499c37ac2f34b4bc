/**
 * A voice agent's turns as they happen: the caller's end of speech, what each side said, an
 * interruption, and the latency of the reply split into the model's share and ours. Pure: the
 * transport tells it what happened and when (wall-clock ms), so the accounting is tested with
 * made-up times.
 *
 * Latency of a turn: the caller's last voiced audio arrived here (wall time of that frame) → the
 * model's first audio delta arrived (the model's share: its VAD's silence wait, thinking, network) →
 * the first frame of that audio left for Vonage (ours: resampling, queueing, the pacer). A cascade
 * tells its own stages apart: the final words recognized (recognition), the first sentence sent to
 * synthesis (the model's share ends there), its first audio (synthesis).
 */
import type { AgentTurnSnapshot } from '../call/call-snapshot.js';
import type { CallActivity, CutBy } from '../call/call-activity.js';

/** Turns kept per call. */
const MAX_TURNS = 50;

interface OpenTurn extends AgentTurnSnapshot {
  userItemId?: string;
  responseId?: string;
  /** Wall times of the latency's three points, and a cascade's two stages between them. */
  endWall?: number;
  firstDeltaWall?: number;
  recognizedWall?: number;
  synthesisWall?: number;
}

export class TurnLog {
  private readonly turns: OpenTurn[] = [];

  /**
   * @param report each step as it happens, for the call's record (`CallSession.report`)
   * @param by who makes the replies (the provider's name)
   */
  constructor(
    private readonly report: (activity: CallActivity) => void = () => undefined,
    private readonly by = 'agent',
  ) {}

  /** The model's VAD says the caller stopped: their last voiced frame was at `callEndMs`, arrived at `endWall`. */
  callerStopped(userItemId: string, callEndMs: number, endWall: number | undefined): void {
    this.push({ userItemId, callerEndMs: Math.round(callEndMs), ...(endWall !== undefined ? { endWall } : {}) });
  }

  callerTranscript(userItemId: string, text: string): void {
    const turn = this.turns.find((t) => t.userItemId === userItemId);
    if (turn) turn.caller = text;
    this.report({ kind: 'caller-text', text });
  }

  /** A response began: it answers the latest turn that has none (or starts one: a greeting, a tool's follow-up). */
  responseStarted(responseId: string): void {
    const open = this.turns.at(-1);
    if (open && open.responseId === undefined) open.responseId = responseId;
    else this.push({ responseId });
    this.report({ kind: 'reply-started', replyId: responseId, by: this.by });
  }

  firstAudio(responseId: string, wall: number): void {
    const turn = this.byResponse(responseId);
    if (!turn || turn.firstDeltaWall !== undefined) return;
    turn.firstDeltaWall = wall;
    this.report({ kind: 'reply-audio', replyId: responseId });
  }

  /** A cascade's stage of the response, at `wall`: the first of each is kept. */
  stage(responseId: string, stage: 'recognized' | 'synthesizing', wall: number): void {
    const turn = this.byResponse(responseId);
    if (!turn) return;
    if (stage === 'recognized') turn.recognizedWall ??= wall;
    else turn.synthesisWall ??= wall;
  }

  /** The first frame of the response's audio left for Vonage at `wall`. */
  firstFrameOut(responseId: string, wall: number): void {
    const turn = this.byResponse(responseId);
    if (!turn || turn.latency || turn.firstDeltaWall === undefined || turn.endWall === undefined) return;
    const { endWall, firstDeltaWall, recognizedWall, synthesisWall } = turn;
    const staged =
      recognizedWall !== undefined &&
      synthesisWall !== undefined &&
      endWall <= recognizedWall &&
      recognizedWall <= synthesisWall &&
      synthesisWall <= firstDeltaWall;
    const latency = {
      totalMs: Math.round(wall - endWall),
      modelMs: Math.round(staged ? synthesisWall - recognizedWall : firstDeltaWall - endWall),
      oursMs: Math.round(wall - firstDeltaWall),
      ...(staged ? { recognitionMs: Math.round(recognizedWall - endWall), synthesisMs: Math.round(firstDeltaWall - synthesisWall) } : {}),
    };
    turn.latency = latency;
    this.report({ kind: 'reply-latency', replyId: responseId, totalMs: latency.totalMs, providerMs: latency.modelMs, oursMs: latency.oursMs });
  }

  agentTranscript(responseId: string, text: string): void {
    const turn = this.byResponse(responseId);
    if (turn) turn.agent = text;
    this.report({ kind: 'reply-text', replyId: responseId, text });
  }

  interrupted(responseId: string, heardMs: number, sentMs: number, by: CutBy = 'model'): void {
    const turn = this.byResponse(responseId);
    if (turn) turn.interrupted = { heardMs, sentMs: Math.round(sentMs) };
    this.report({ kind: 'interrupted', replyId: responseId, heardMs, sentMs: Math.round(sentMs), by });
  }

  /** What `/api/calls` shows. */
  snapshot(): AgentTurnSnapshot[] {
    return this.turns.map(({ callerEndMs, caller, agent, interrupted, latency }) => ({
      ...(callerEndMs !== undefined ? { callerEndMs } : {}),
      ...(caller !== undefined ? { caller } : {}),
      ...(agent !== undefined ? { agent } : {}),
      ...(interrupted ? { interrupted } : {}),
      ...(latency ? { latency } : {}),
    }));
  }

  private byResponse(responseId: string): OpenTurn | undefined {
    for (let i = this.turns.length - 1; i >= 0; i--) if (this.turns[i]!.responseId === responseId) return this.turns[i];
    return undefined;
  }

  private push(turn: OpenTurn): void {
    this.turns.push(turn);
    if (this.turns.length > MAX_TURNS) this.turns.shift();
  }
}
