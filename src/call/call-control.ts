/**
 * Call control by name: hang up, play to, or clear the playout of a call given its id or its leg
 * uuid, wherever its socket is. A call this process serves is acted on here; any other is handed to
 * a route (another instance over Redis, src/scale/redis-control.ts). Used by the HTTP API
 * (`POST /api/calls/:call/...`) and given to apps as `context.calls`.
 */
import { errorCode, type ErrorName } from '../errors.js';
import type { CallRegistry } from './call-registry.js';
import type { CallSession } from './call-session.js';
import type { Logger } from './logger.js';

export type ControlCommand =
  | { action: 'hangup' }
  | { action: 'clear' }
  | { action: 'play'; wav: Buffer }
  /** To a named destination; warm with a briefing. Its steps and result are events on the call's timeline. */
  | { action: 'transfer'; to: string; briefing?: string }
  | { action: 'dtmf'; digits: string };

export type ControlFailure = Extract<ErrorName, 'CALL_NOT_FOUND' | 'REDIS_UNAVAILABLE' | 'CONTROL_TIMEOUT' | 'REDIS_CONTROL_OFF' | 'REDIS_SECRET_MISMATCH'>;

/** Done (by which instance), or why not. */
export type ControlResult = { ok: true; instance: string } | { ok: false; error: ControlFailure };

export interface CallControl {
  /** Ends the call (close 1000), as if the app had hung up. */
  hangup(call: string): Promise<ControlResult>;
  /** Drops the audio queued for the caller, here and at Vonage (barge-in). */
  clear(call: string): Promise<ControlResult>;
  /** Queues a WAV file (any rate, mono or stereo) after what is already playing. */
  play(call: string, wav: Buffer): Promise<ControlResult>;
  /** Starts a transfer to a named destination (warm when a briefing is given); its steps are the call's events. */
  transfer(call: string, to: string, briefing?: string): Promise<ControlResult>;
  /** Sends DTMF into the call through Vonage's REST API. */
  dtmf(call: string, digits: string): Promise<ControlResult>;
}

/** Reaches calls this process does not serve. */
export interface ControlRoute {
  send(call: string, command: ControlCommand): Promise<ControlResult>;
}

function findSession(registry: CallRegistry, call: string): CallSession | undefined {
  for (const session of registry.activeSessions()) if (session.id === call || session.identity.uuid === call) return session;
  return undefined;
}

/**
 * Applies a command to a call of this process; false if it has no such call. What the session does
 * next (play, clear) goes on without the caller waiting for it.
 */
export function applyLocally(registry: CallRegistry, call: string, command: ControlCommand, log: Logger): boolean {
  const session = findSession(registry, call);
  if (!session) return false;
  session.note(`${command.action} by call control`);
  switch (command.action) {
    case 'hangup':
      session.hangup(1000, 'hangup by call control');
      break;
    case 'clear':
      void session.clear();
      break;
    case 'play':
      session.play({ wav: command.wav }).catch((error: unknown) => {
        log.warn({ code: errorCode('PLAY_INVALID'), call: session.id, err: error }, 'call control: the audio could not be played');
      });
      break;
    case 'transfer': {
      // A refusal or a failure is logged by the transfer (coded) and told on the call's timeline.
      const transferring = command.briefing ? session.warmTransfer(command.to, { briefing: command.briefing }) : session.transfer(command.to);
      transferring.catch((error: unknown) => log.warn({ code: errorCode('TRANSFER_FAILED'), call: session.id, err: error }, 'call control: no transfer'));
      break;
    }
    case 'dtmf':
      session.sendDtmf(command.digits).catch((error: unknown) => {
        log.warn({ code: errorCode('DTMF_FAILED'), call: session.id, err: error }, 'call control: DTMF not sent');
      });
      break;
  }
  return true;
}

export function createCallControl(options: { registry: CallRegistry; instance: string; log: Logger; route?: ControlRoute }): CallControl {
  const run = async (call: string, command: ControlCommand): Promise<ControlResult> => {
    if (applyLocally(options.registry, call, command, options.log)) return { ok: true, instance: options.instance };
    return options.route ? options.route.send(call, command) : { ok: false, error: 'CALL_NOT_FOUND' };
  };
  return {
    hangup: (call) => run(call, { action: 'hangup' }),
    clear: (call) => run(call, { action: 'clear' }),
    play: (call, wav) => run(call, { action: 'play', wav }),
    transfer: (call, to, briefing) => run(call, { action: 'transfer', to, ...(briefing ? { briefing } : {}) }),
    dtmf: (call, digits) => run(call, { action: 'dtmf', digits }),
  };
}
