/**
 * What happens on a call beyond its audio, told by the layers that know it: a voice agent's replies
 * and turns (agents/), a spoken reply (`say`), a tool the agent ran, a coded fault on the call's log,
 * and — for the telephony layer — machine detection, transfers and digits sent. The session emits
 * each as an `activity` event (`CallSession.report`); the call's record is built from them
 * (records/, docs/records.md). Words only, a leaf.
 *
 * Nothing here is per frame: a reply reports a handful of these in its life.
 */

/** Who stopped a reply the caller was hearing. */
export type CutBy = 'model' | 'speech' | 'dtmf' | 'app';

export type CallActivity =
  /** A reply began: an agent's answer (`by` names its provider) or a `say` (`by: 'say'`). */
  | { kind: 'reply-started'; replyId: string; by: string }
  /** The reply's text so far, whole, each time it grows. */
  | { kind: 'reply-text'; replyId: string; text: string }
  /** The reply's first audio reached us from whoever makes it (the model, or the text-to-speech engine). */
  | { kind: 'reply-audio'; replyId: string }
  /**
   * The reply ended: all of it was made, or it stopped. `heardMs` of `sentMs` when the reporter knows
   * them (a `say`); `cut` when the caller did not hear it to the end.
   */
  | { kind: 'reply-done'; replyId: string; sentMs?: number; heardMs?: number; cut?: 'barge-in' | 'hangup' }
  /** The caller talked over a reply: what they heard of it, from the pacer's played position. */
  | { kind: 'interrupted'; replyId: string; heardMs: number; sentMs: number; by: CutBy; heardText?: string }
  /** Caller's end of speech → the reply's first audio sent to Vonage, ms: the provider's share and ours. */
  | { kind: 'reply-latency'; replyId: string; totalMs: number; providerMs: number; oursMs: number }
  /** What the caller said, as a voice agent's provider heard it (our own transcripts are `transcript` events). */
  | { kind: 'caller-text'; text: string }
  | { kind: 'tool-call'; callId: string; name: string; arguments: unknown }
  | { kind: 'tool-result'; callId: string; name: string; result: string; failed?: boolean }
  /** The app cleared its queued audio (barge-in): what had not played yet was never heard. */
  | { kind: 'clear' }
  /** A coded line on the call's log (warn or error). */
  | { kind: 'error'; code: string; message: string; detail?: string }
  // For the telephony layer (dialling, machine detection, transfers); the record has their fields.
  /** Whether a person or a machine answered (Vonage's `machine_detection`, or our own detector). */
  | { kind: 'machine-detection'; result: 'human' | 'machine' | 'unknown'; detail?: string }
  | { kind: 'transfer'; to: string; mode?: 'cold' | 'warm'; detail?: string }
  | { kind: 'dtmf-sent'; digits: string }
  /** Who placed the call, when the layer that dialled knows it better than the event webhooks. */
  | { kind: 'direction'; direction: 'inbound' | 'outbound' };

export type CallActivityKind = CallActivity['kind'];
