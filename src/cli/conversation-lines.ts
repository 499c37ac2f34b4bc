/**
 * The conversation in the terminal: `serve` prints a line for each final result of a call that
 * transcribes (`--app transcribe`, `voice-menu`, `parrot`, a module's) and for each turn of an agent
 * (`--app agent`), as they happen: what a newcomer who places a test call wants to see, beside the
 * call's start and end. Each is a log record at `info` whose message is the readable line (one line in
 * a terminal, where pretty-printing hides the record's `conversation` object) and whose
 * `conversation` object carries the same for machines.
 *
 * Transcripts are call events. An agent's turns are not (the turn log is the agent's, src/agents/
 * turn-log.ts): they are read from the call's turn snapshot, as the dashboard reads them, while the
 * call lasts. A reply's text may still grow (the cascade speaks sentence by sentence), so it is
 * printed once it has stopped growing, or the turn is over; what it says later is printed as more.
 */
import type { CallApp } from '../apps/app.js';
import type { CallSession } from '../call/call-session.js';
import type { AgentTurnSnapshot } from '../call/call-types.js';
import type { TranscriptEvent } from '../speech/speech-events.js';

/** How often an agent call's turns are read: the dashboard's own cadence is 1 s. */
export const TURN_POLL_MS = 500;

/** One thing said, as printed. */
export interface ConversationLine {
  who: 'caller' | 'agent';
  text: string;
  /** Call time the caller's words started (transcripts) or ended (agent turns), ms. */
  atMs?: number;
  /** An agent reply's latency, when measured. */
  latency?: NonNullable<AgentTurnSnapshot['latency']>;
  /** The caller talked over the reply: how much of it they heard, of how much was sent, ms. */
  interrupted?: NonNullable<AgentTurnSnapshot['interrupted']>;
  /** The rest of a reply printed before it was done. */
  more?: boolean;
}

export interface ConversationLog {
  info(object: object, message: string): void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const exact = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The readable line: `3f2a1b0c caller at 1.2 s: hello there`. */
export function formatLine(call: string, line: ConversationLine): string {
  const who = `${call.slice(0, 8)} ${line.who}`;
  if (line.interrupted) return `${who} was interrupted: the caller heard ${seconds(line.interrupted.heardMs)} of ${seconds(line.interrupted.sentMs)}`;
  const when = line.atMs !== undefined ? ` at ${seconds(line.atMs)}` : '';
  const latency = line.latency ? ` (${latencyWords(line.latency)})` : '';
  return `${who}${line.more ? ' (more)' : ''}${when}${latency}: ${line.text || '(no words)'}`;
}

/** "reply after 1.20 s: recognition 0.40 s, model 0.62 s, synthesis 0.15 s, ours 0.03 s". */
export function latencyWords(latency: NonNullable<AgentTurnSnapshot['latency']>): string {
  const shares = [
    latency.recognitionMs !== undefined ? `recognition ${exact(latency.recognitionMs)}` : '',
    `model ${exact(latency.modelMs)}`,
    latency.synthesisMs !== undefined ? `synthesis ${exact(latency.synthesisMs)}` : '',
    `ours ${exact(latency.oursMs)}`,
  ].filter(Boolean);
  return `reply after ${exact(latency.totalMs)}: ${shares.join(', ')}`;
}

interface Printed {
  caller?: string;
  /** The reply's text as printed so far. */
  agent?: string;
  interrupted?: boolean;
  /** The reply's text at the previous reading: printed once it reads the same twice. */
  seen?: string;
}

/**
 * Which lines a call's turns call for, reading after reading (pure: readings in, lines out). The turn
 * log keeps the latest 50 turns, so a long call's list loses its head: each reading is matched to the
 * previous one by the turns they share.
 */
export class TurnLines {
  private printed: Printed[] = [];
  private previous: AgentTurnSnapshot[] = [];

  /** The lines this reading of the turns calls for; `ended`: the call is over, print what is left. */
  read(turns: AgentTurnSnapshot[], ended = false): ConversationLine[] {
    const shift = alignment(this.previous, turns);
    this.printed = this.printed.slice(shift);
    this.previous = turns;
    const lines: ConversationLine[] = [];
    turns.forEach((turn, index) => {
      const printed = (this.printed[index] ??= {});
      if (turn.caller !== undefined && printed.caller === undefined) {
        printed.caller = turn.caller;
        lines.push({ who: 'caller', text: turn.caller, ...(turn.callerEndMs !== undefined ? { atMs: turn.callerEndMs } : {}) });
      }
      const text = turn.agent;
      const over = ended || index < turns.length - 1 || turn.interrupted !== undefined;
      if (text !== undefined && text !== printed.agent && (over || text === printed.seen)) {
        const more = printed.agent !== undefined && text.startsWith(printed.agent);
        lines.push({
          who: 'agent',
          text: more ? text.slice(printed.agent!.length).trim() : text,
          ...(more ? { more: true } : {}),
          ...(!more && turn.latency ? { latency: turn.latency } : {}),
        });
        printed.agent = text;
      }
      printed.seen = text;
      if (turn.interrupted && !printed.interrupted) {
        printed.interrupted = true;
        lines.push({ who: 'agent', text: '', interrupted: turn.interrupted });
      }
    });
    return lines;
  }
}

/** How many turns fell off the head of the list between two readings (0 while under the turn log's cap). */
function alignment(previous: AgentTurnSnapshot[], current: AgentTurnSnapshot[]): number {
  for (let shift = 0; shift < previous.length; shift++) {
    const kept = previous.slice(shift);
    if (kept.every((turn, i) => current[i] === undefined || sameTurn(turn, current[i]!))) return shift;
  }
  return previous.length;
}

/** A later reading of the same turn: nothing it had is gone or changed (a reply's text only grows). */
function sameTurn(before: AgentTurnSnapshot, after: AgentTurnSnapshot): boolean {
  return (
    (before.callerEndMs === undefined || before.callerEndMs === after.callerEndMs) &&
    (before.caller === undefined || before.caller === after.caller) &&
    (before.agent === undefined || (after.agent ?? '').startsWith(before.agent))
  );
}

/** The caller's final words, from a call that transcribes (agents' own are their turns). */
export function transcriptLine(event: TranscriptEvent): ConversationLine | undefined {
  if (event.kind !== 'final' || !event.text.trim()) return undefined;
  return { who: 'caller', text: event.text, atMs: event.startMs };
}

/**
 * Prints `session`'s conversation through `log` as it happens. Returns what to call once the app has
 * started on the call (an agent sets its turn log then): reading turns begins if there are any.
 */
export function watchConversation(session: CallSession, log: ConversationLog, pollMs = TURN_POLL_MS): () => void {
  const print = (line: ConversationLine) =>
    log.info({ conversation: { call: session.id, uuid: session.identity.uuid, ...line } }, formatLine(session.id, line));
  session.on('transcript', (event) => {
    if (session.agentTurns) return;
    const line = transcriptLine(event);
    if (line) print(line);
  });
  const turns = new TurnLines();
  const readTurns = (ended: boolean) => {
    const snapshot = session.agentTurns?.();
    if (snapshot) for (const line of turns.read(snapshot, ended)) print(line);
  };
  // Read only on a call that has an agent, never per frame, and only while it lasts; a process that
  // exits does not wait for it.
  let timer: NodeJS.Timeout | undefined;
  const start = () => {
    if (!timer && session.agentTurns && session.state !== 'ended') timer = setInterval(() => readTurns(false), pollMs).unref();
  };
  session.once('connected', start);
  session.once('end', () => {
    clearInterval(timer);
    readTurns(true);
  });
  return start;
}

/** `app`, with every call's conversation printed through `log`. */
export function withConversationLines(app: CallApp, log: ConversationLog): CallApp {
  return (session, context) => {
    const started = watchConversation(session, log);
    const returned = app(session, context);
    started();
    return returned;
  };
}
