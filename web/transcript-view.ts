/**
 * A call's speech as the dashboard and the softphone show it: who is speaking, then the transcript —
 * finals solid with their sentiment, the interim result greyed (it may still change). The shape is
 * `speech` of `/api/calls` (src/call/call-snapshot.ts).
 */
export type { CallSpeechSnapshot as CallSpeech, AgentTurnSnapshot as AgentTurn } from '../src/call/call-snapshot.js';
import type { CallSpeechSnapshot as CallSpeech, AgentTurnSnapshot as AgentTurn } from '../src/call/call-snapshot.js';

/** m:ss */
export function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const span = (className: string, textContent: string) => Object.assign(document.createElement('span'), { className, textContent });

export function speechView(speech: CallSpeech): HTMLElement[] {
  const who = document.createElement('p');
  who.className = 'speaking';
  const speaking = [speech.callerSpeaking ? 'caller' : '', speech.appSpeaking ? 'app' : ''].filter(Boolean);
  who.textContent = speaking.length > 0 ? `speaking: ${speaking.join(' and ')}` : 'nobody speaking';
  who.classList.toggle('active', speaking.length > 0);
  const lines = document.createElement('ol');
  lines.className = 'transcript';
  for (const line of speech.transcript) {
    const li = document.createElement('li');
    li.className = line.kind;
    li.append(span('at', clock(line.startMs)), span('words', line.text));
    if (line.sentiment) {
      const { label, score } = line.sentiment;
      li.append(span(`sentiment ${label}`, `${label} ${score > 0 ? '+' : ''}${score}`));
    }
    lines.append(li);
  }
  if (speech.transcript.length === 0) lines.append(span('muted', 'no words heard yet'));
  return [who, lines];
}

/**
 * A voice agent's turns: what the caller and the agent said, an interruption (how much of the reply
 * the caller heard), and the reply's latency split into the model's share and ours — for a cascade,
 * our recognition and synthesis apart from the chat model's share.
 */
export function agentView(turns: AgentTurn[], provider?: string): HTMLElement {
  const list = document.createElement('ol');
  list.className = 'agent-turns';
  if (provider) {
    const header = document.createElement('li');
    header.className = 'provider';
    header.textContent = `agent on ${provider}`;
    list.append(header);
  }
  for (const turn of turns) {
    const li = document.createElement('li');
    if (turn.caller !== undefined) li.append(span('caller', `caller: ${turn.caller}`));
    if (turn.agent !== undefined) li.append(span('agent', `agent: ${turn.agent}`));
    if (turn.interrupted) {
      li.append(
        span('interrupted', `interrupted: heard ${(turn.interrupted.heardMs / 1000).toFixed(1)} s of ${(turn.interrupted.sentMs / 1000).toFixed(1)} s`),
      );
    }
    if (turn.latency) li.append(latencyView(turn.latency));
    list.append(li);
  }
  if (turns.length === 0) list.append(span('muted', 'the agent is connecting'));
  return list;
}

/**
 * "1210 ms to first audio (recognition 400 ms + model 620 ms + synthesis 160 ms + voicesocket 30 ms)":
 * each share in its own element. A speech-to-speech model hears and speaks itself: its share is one.
 */
function latencyView(latency: NonNullable<AgentTurn['latency']>): HTMLElement {
  const shares: Array<[string, string, number | undefined]> = [
    ['recognition', 'recognition', latency.recognitionMs],
    ['model', 'model', latency.modelMs],
    ['synthesis', 'synthesis', latency.synthesisMs],
    ['ours', 'voicesocket', latency.oursMs],
  ];
  const box = span('latency', `${latency.totalMs} ms to first audio (`);
  shares
    .filter(([, , ms]) => ms !== undefined)
    .forEach(([className, label, ms], index) => {
      if (index > 0) box.append(' + ');
      box.append(span(className, `${label} ${ms} ms`));
    });
  box.append(')');
  return box;
}
