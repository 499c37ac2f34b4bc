/**
 * Every behaviour of the Vonage side that the public sources leave UNCONFIRMED (docs/protocol.md §13) is a
 * switch here, defaulting to the documented or most likely behaviour. Tests and `voicesocket call`
 * flip them to check that an app copes with either.
 */
export interface EmulatorSwitches {
  /** Playback buffer capacity in frames: 3 072 (current tutorial, ≈ 61 s) or 1 024 (2021 guide). */
  bufferFrames: number;
  /** What a full playback buffer does with one more frame (UNCONFIRMED). */
  overflow: 'drop-newest' | 'drop-oldest' | 'disconnect';
  /** Whether `clear` also discards pending notify markers (true) or still reports them (UNCONFIRMED). */
  clearDropsMarks: boolean;
  /** An app frame of the wrong size: drop the TCP connection like Vonage (default), or only log it. */
  badFrame: 'disconnect' | 'log';
  /** Also send the NCCO `headers` as HTTP headers on the upgrade (one SDK says so; default off, docs/protocol.md §1.2). */
  headersAsHttpHeaders: boolean;
  /** Close code when the caller hangs up (UNCONFIRMED; 1000 by default). */
  callerHangupCode: number;
  /** Whether a `connect` blocks the NCCO until its leg ends (table says yes) or lets later actions run once the socket is up (docs/protocol.md §6.4). */
  connectBlocks: boolean;
  /** Events the websocket leg reports before its socket is up (UNCONFIRMED which). */
  websocketLegEvents: Array<'started' | 'ringing' | 'answered'>;
  /** Post the caller leg's started/ringing/answered before the answer fetch (false: after, UNCONFIRMED). */
  eventsBeforeAnswer: boolean;
  /** Send numeric event fields (duration, rate, price) as strings, as captured payloads do (docs/protocol.md §8). */
  numbersAsStrings: boolean;
  /** Handshake time limit for the websocket leg, ms (UNCONFIRMED; Video's connector allows 6 s). */
  socketConnectTimeoutMs: number;
  /** Delay between the socket opening and the playback mixer's first tick (phase of the 20 ms mix clock). */
  mixerPhaseMs: number;
  /** A gap in the app's audio shorter than this is an underrun; longer is a pause between utterances. */
  underrunWindowMs: number;
  /**
   * Whether audio Vonage plays into the call on a REST request (talk, stream, DTMF tones) also reaches
   * the websocket, mixed into the caller's audio, as it would for a member of the conversation (UNCONFIRMED).
   */
  restAudioToSocket: boolean;
  /** Whether a REST DTMF request also sends the websocket a `websocket:dtmf` message per digit (UNCONFIRMED). */
  restDtmfAsEvent: boolean;
  // The phone network (docs/protocol.md §16):
  /** Whether an earmuffed leg also stops hearing what is played into itself (REST or NCCO talk, stream, DTMF; UNCONFIRMED). */
  earmuffBlocksOwnAudio: boolean;
  /** The key that names the leg on `human`/`machine` events: `call_uuid`, as the reference documents it, `uuid`, or both (UNCONFIRMED for advanced detection). */
  machineEventUuidKey: 'call_uuid' | 'uuid' | 'both';
  /** Detection modes whose answer webhook (or NCCO) waits for the verdict: the SDKs call `detect`/`detect_beep` synchronous, `default` asynchronous; standard detection is not described. */
  answerWaitsForVerdict: Array<'standard' | 'default' | 'detect' | 'detect_beep'>;
  /** Beep detection: a `machine` event at the verdict, then one with `sub_state` (true); or only the one with `sub_state` (false). UNCONFIRMED. */
  machineVerdictBeforeBeep: boolean;
  /** What `beep_timeout` counts from: the answer, or the machine verdict (UNCONFIRMED). */
  beepTimeoutFrom: 'answered' | 'verdict';
  /** `beep_timeout` when a request leaves it out, seconds (UNCONFIRMED; the SDKs accept 45-120). */
  defaultBeepTimeoutS: number;
  /** Unconnected outcomes that send `ringing` before their status (a callee who does not answer always rings; UNCONFIRMED for these). */
  ringsBefore: Array<'busy' | 'reject' | 'unavailable' | 'unreachable'>;
  /** A callee who declines: `rejected` with detail `declined` (as the Java SDK's detail says), or `unanswered` (the reference's text for it). */
  declinedAs: 'rejected' | 'unanswered';
  /** A REST transfer of a leg ends the legs its NCCO connected (true), or leaves them in the conversation (UNCONFIRMED). */
  transferEndsConnectedLegs: boolean;
}

export const DEFAULT_SWITCHES: EmulatorSwitches = {
  bufferFrames: 3072,
  overflow: 'drop-newest',
  clearDropsMarks: true,
  badFrame: 'disconnect',
  headersAsHttpHeaders: false,
  callerHangupCode: 1000,
  connectBlocks: true,
  websocketLegEvents: ['started', 'ringing', 'answered'],
  eventsBeforeAnswer: false,
  numbersAsStrings: true,
  socketConnectTimeoutMs: 6000,
  // Half a frame: the app's echo of a caller frame lands mid-period, away from the mixer tick.
  mixerPhaseMs: 10,
  underrunWindowMs: 200,
  restAudioToSocket: true,
  restDtmfAsEvent: false,
  earmuffBlocksOwnAudio: false,
  machineEventUuidKey: 'call_uuid',
  answerWaitsForVerdict: ['detect', 'detect_beep'],
  machineVerdictBeforeBeep: true,
  beepTimeoutFrom: 'answered',
  defaultBeepTimeoutS: 45,
  ringsBefore: ['reject'],
  declinedAs: 'rejected',
  transferEndsConnectedLegs: true,
};
