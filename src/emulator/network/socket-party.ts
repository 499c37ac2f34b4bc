/**
 * A websocket endpoint as a party of a conversation: Vonage opens the socket (websocket-leg.ts does
 * everything the protocol asks: headers, pacing, the playback buffer, frame-size checks) and the
 * socket hears the mix of the other parties and is heard by them. Between the conversation's mixer
 * and the leg's own 20 ms clocks sit two short queues; a socket at 8 or 24 kHz is converted at this edge.
 */
import type { FrameClock } from '../../audio/frame-clock.js';
import { dtmfMessage } from '../../protocol/socket-messages.js';
import type { WebsocketEndpoint } from '../../protocol/ncco.js';
import type { CallerAudio } from '../caller-audio.js';
import type { EmulatorSwitches } from '../switches.js';
import type { Timeline } from '../timeline.js';
import { WebsocketLeg, type LegResult } from '../websocket-leg.js';
import { MIX_RATE } from './conversation.js';
import { FrameConverter } from './frame-converter.js';

/**
 * Frames waiting between the mixer and the socket's clocks. The two tick at the same rate, a phase
 * apart, so one or two wait; more means one side stalled, and the oldest are dropped rather than
 * turned into delay.
 */
const MAX_QUEUED_FRAMES = 5;
/** How long a key press lasts in its `websocket:dtmf` message (the SDK samples show 50-260 ms). */
const DTMF_EVENT_DURATION_MS = 150;

export interface SocketPartyOptions {
  endpoint: WebsocketEndpoint;
  clock: FrameClock;
  switches: EmulatorSwitches;
  timeline: Timeline;
  authorization?: string;
  plainWs?: boolean;
}

export class SocketParty {
  readonly leg: WebsocketLeg;
  private readonly toSocket: Buffer[] = [];
  private readonly fromSocket: Buffer[] = [];
  private readonly inbound: FrameConverter;
  private readonly outbound: FrameConverter;

  constructor(options: SocketPartyOptions) {
    const audio: CallerAudio = {
      description: 'the conversation',
      fill: (frame) => {
        const next = this.toSocket.shift();
        if (next) next.copy(frame);
        else frame.fill(0);
      },
    };
    this.leg = new WebsocketLeg({
      endpoint: options.endpoint,
      clock: options.clock,
      audio,
      durationMs: Infinity,
      switches: options.switches,
      timeline: options.timeline,
      ...(options.authorization ? { authorization: options.authorization } : {}),
      ...(options.plainWs ? { plainWs: true } : {}),
      onPlayed: (frame) => {
        if (!frame) return;
        for (const converted of this.outbound.push(frame)) push(this.fromSocket, converted);
      },
    });
    this.inbound = new FrameConverter(MIX_RATE, this.leg.sampleRate);
    this.outbound = new FrameConverter(this.leg.sampleRate, MIX_RATE);
  }

  /** Opens the socket; resolves when it ends (never rejects). */
  run(): Promise<LegResult> {
    return this.leg.run();
  }

  say(): Buffer | undefined {
    return this.fromSocket.shift();
  }

  hear(frame: Buffer): void {
    for (const converted of this.inbound.push(frame)) push(this.toSocket, converted);
  }

  dtmfFrom(digit: string): void {
    this.leg.sendText(dtmfMessage(digit, DTMF_EVENT_DURATION_MS));
  }
}

function push(queue: Buffer[], frame: Buffer): void {
  queue.push(frame);
  if (queue.length > MAX_QUEUED_FRAMES) queue.shift();
}
