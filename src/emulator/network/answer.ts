/**
 * What happens the moment a leg is answered, whoever placed it (`POST /v1/calls` or a `connect`): its
 * party joins the conversation (a socket through its adapter), `answered` is posted (a socket leg's as
 * the `websocketLegEvents` switch says), the length timer starts, machine detection starts on a phone,
 * and a phone's recording is handed over when the leg ends. A socket the app closes is reported, not
 * ended here: what follows depends on who placed the leg (docs/protocol.md §5.3).
 */
import type { EmulatorSwitches } from '../switches.js';
import type { DialResult } from './dial.js';
import type { NetworkLeg } from './leg.js';
import { detect, detectionMode, type DetectionSettings, type Verdict } from './machine-detection.js';
import type { PartyRecording } from './phone-party.js';

export interface AnswerOptions {
  /** Seconds the answered leg may last (`length_timer`, a connect's `limit`). */
  lengthS: number;
  detection: DetectionSettings;
  switches: EmulatorSwitches;
  /** A phone's recording, when its leg ends. */
  keep(leg: NetworkLeg, kind: 'person' | 'machine', recording: PartyRecording): void;
}

export interface Answered {
  /** True once the app closed the socket (the leg is still up); false when the leg ended another way. */
  appClosed: Promise<boolean>;
  /** Machine detection's verdict, when it runs. */
  verdict: Promise<Verdict | undefined> | undefined;
}

export function answer(leg: NetworkLeg, dialled: Extract<DialResult, { answered: true }>, options: AnswerOptions): Answered {
  if (dialled.kind === 'socket') {
    const { party } = dialled;
    leg.answer(
      { say: () => party.say(), hear: (frame) => party.hear(frame), dtmfFrom: (digit) => party.dtmfFrom(digit), close: () => party.leg.hangupByPlatform() },
      options.switches.websocketLegEvents.includes('answered'),
    );
  } else leg.answer(dialled.party);
  const lengthTimer = setTimeout(() => leg.hangup(), options.lengthS * 1000);
  void leg.ended.then(() => clearTimeout(lengthTimer));
  if (dialled.kind === 'socket') {
    const appClosed = dialled.socketEnded.then((result) => {
      if (leg.live && result.end === 'app-closed') return true;
      if (leg.live) leg.end({ by: 'platform' });
      return false;
    });
    return { appClosed, verdict: undefined };
  }
  const { party, phone } = dialled;
  void leg.ended.then(() => options.keep(leg, phone.kind, party.recording()));
  const verdict = detectionMode(options.detection) ? detect(leg, phone, options.detection, dialled.beepStarted, options.switches).verdict : undefined;
  return { appClosed: leg.ended.then(() => false), verdict };
}
