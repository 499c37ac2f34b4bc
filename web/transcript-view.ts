/**
 * A call's speech as the dashboard and the softphone show it: who is speaking, then the transcript —
 * finals solid with their sentiment, the interim result greyed (it may still change). The shape is
 * `speech` of `/api/calls` (src/call/call-snapshot.ts).
 */
export type { CallSpeechSnapshot as CallSpeech } from '../src/call/call-snapshot.js';
import type { CallSpeechSnapshot as CallSpeech } from '../src/call/call-snapshot.js';

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
