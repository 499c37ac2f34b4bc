/**
 * Judging one eval call, pure: what the scripted caller logged (its lines, and per 20 ms whether it
 * heard the agent), what the offline transcriber heard, the tools in the call's record and who ended
 * the call → one check per expectation, each with its reason and the numbers measured.
 */
import { FRAME_MS } from '../protocol/audio-format.js';
import type { CallerLog } from './scripted-caller.js';
import type { Expectations } from './scenario.js';

export type EndedBy = 'agent' | 'caller' | 'time-limit' | 'not-connected';

export interface Observed {
  log: CallerLog;
  /** Phrases heard (lower-case words), or why nothing could be transcribed. */
  heard: string[] | { error: string };
  /** Tool names from the call's record, or why they could not be read. */
  tools: string[] | { error: string };
  endedBy: EndedBy;
  /** What Vonage would not have accepted, and an app's failure (a 1011). */
  problems: string[];
}

export interface Check {
  name: 'call' | 'says' | 'tools' | 'hangup' | 'response' | 'talk-over';
  pass: boolean;
  detail: string;
}

export interface Measured {
  /** Per caller line the agent answered: its end of speech → the agent's first audio after it. */
  responsesMs: number[];
  /** Per said line: agent audio heard while the caller spoke. */
  talkOverMs: number[];
}

/** Lower-case words only: how PocketSphinx's grammar mode reports a phrase. */
export function plainWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .replace(/'/g, '')
    .replace(/ +/g, ' ')
    .trim();
}

/** The phrases the transcriber listens for: every phrase the expectations name and may-also-say. */
export function listenFor(expect: Expectations): string[] {
  const phrases = (expect.says ?? []).flatMap((said) => (typeof said === 'string' ? [said] : said.phrases));
  return [...new Set([...phrases, ...(expect.mayAlsoSay ?? [])].map(plainWords).filter(Boolean))];
}

/** The first 20 ms at or after `fromMs` where the agent's audio starts (silence before it), before `untilMs`. */
function onsetAfter(sounding: boolean[], fromMs: number, untilMs: number): number | undefined {
  for (let k = Math.ceil(fromMs / FRAME_MS); k < sounding.length && k * FRAME_MS < untilMs; k++) {
    if (sounding[k] && (k === 0 || !sounding[k - 1] || k * FRAME_MS === fromMs)) return k * FRAME_MS;
  }
  return undefined;
}

export function measure(log: CallerLog, expect: Expectations): Measured & { unanswered: number[] } {
  const callEndMs = log.agentSounding.length * FRAME_MS;
  const responsesMs: number[] = [];
  const talkOverMs: number[] = [];
  const unanswered: number[] = [];
  log.lines.forEach((line, i) => {
    if (line.kind !== 'say' || line.endMs === undefined) return;
    let over = 0;
    for (let k = Math.floor(line.startMs / FRAME_MS); k < Math.ceil(line.endMs / FRAME_MS) && k < log.agentSounding.length; k++)
      if (log.agentSounding[k]) over++;
    talkOverMs.push(over * FRAME_MS);
    if (line.interrupt) return;
    const untilMs = Math.min(log.lines[i + 1]?.startMs ?? Infinity, callEndMs);
    const onset = onsetAfter(log.agentSounding, line.endMs, untilMs);
    if (onset !== undefined) responsesMs.push(onset - line.endMs);
    // Unanswered only when the caller gave the agent its whole bound and heard nothing.
    else if (expect.maxResponse !== undefined && untilMs - line.endMs >= expect.maxResponse) unanswered.push(line.index + 1);
  });
  return { responsesMs, talkOverMs, unanswered };
}

const list = (values: number[]) => values.map((ms) => `${ms} ms`).join(', ');

export function judge(observed: Observed, expect: Expectations): { checks: Check[]; measured: Measured } {
  const checks: Check[] = [];
  const { responsesMs, talkOverMs, unanswered } = measure(observed.log, expect);
  checks.push(
    observed.problems.length === 0
      ? { name: 'call', pass: true, detail: 'the call ran as Vonage would run it' }
      : { name: 'call', pass: false, detail: observed.problems.join('; ') },
  );
  for (const said of expect.says ?? []) {
    const phrases = typeof said === 'string' ? [said] : said.phrases;
    const keywords = (typeof said === 'string' || !said.keywords ? plainWords(phrases[0]!).split(' ') : said.keywords.map(plainWords)).filter(Boolean);
    const label = `"${phrases[0]}"${typeof said !== 'string' && said.keywords ? ` (keywords: ${keywords.join(', ')})` : ''}`;
    if (!Array.isArray(observed.heard)) {
      checks.push({ name: 'says', pass: false, detail: `${label}: could not transcribe what the caller heard: ${observed.heard.error}` });
      continue;
    }
    const match = observed.heard.find((heard) => {
      const words = new Set(heard.split(' '));
      return keywords.every((keyword) => keyword.split(' ').every((word) => words.has(word)));
    });
    const heardList = observed.heard.length ? observed.heard.map((h) => `"${h}"`).join(', ') : 'nothing the transcriber could place';
    checks.push(
      match
        ? { name: 'says', pass: true, detail: `${label}: heard "${match}"` }
        : { name: 'says', pass: false, detail: `${label}: not heard; heard ${heardList}` },
    );
  }
  if (expect.tools) {
    const tools = observed.tools;
    if (!Array.isArray(tools)) checks.push({ name: 'tools', pass: false, detail: `tools ${expect.tools.join(', ')}: ${tools.error}` });
    else {
      const missing = expect.tools.filter((tool) => !tools.includes(tool));
      const called = tools.length ? tools.join(', ') : 'none';
      checks.push({
        name: 'tools',
        pass: missing.length === 0,
        detail: missing.length ? `${missing.join(', ')} not called; called: ${called}` : `called: ${called}`,
      });
    }
  }
  if (expect.hangup) {
    const who =
      observed.endedBy === 'time-limit'
        ? 'nobody (the caller left at the time limit)'
        : observed.endedBy === 'not-connected'
          ? 'nobody (the call never connected)'
          : `the ${observed.endedBy}`;
    checks.push({ name: 'hangup', pass: observed.endedBy === expect.hangup, detail: `expected the ${expect.hangup} to hang up; ${who} did` });
  }
  if (expect.maxResponse !== undefined) {
    const slow = responsesMs.filter((ms) => ms > expect.maxResponse!);
    const parts = [`responses ${responsesMs.length ? list(responsesMs) : 'none measured'} (bound ${expect.maxResponse} ms)`];
    if (unanswered.length) parts.push(`no reply to line ${unanswered.join(', ')}`);
    const pass = slow.length === 0 && unanswered.length === 0 && responsesMs.length > 0;
    if (responsesMs.length === 0 && unanswered.length === 0) parts.push('no caller line was answered');
    checks.push({ name: 'response', pass, detail: parts.join('; ') });
  }
  if (expect.maxTalkOver !== undefined) {
    const worst = Math.max(0, ...talkOverMs);
    checks.push({
      name: 'talk-over',
      pass: worst <= expect.maxTalkOver,
      detail: `agent audio while the caller spoke: ${talkOverMs.length ? list(talkOverMs) : 'no line said'} (tolerance ${expect.maxTalkOver} ms)`,
    });
  }
  if (observed.log.notReached > 0 && observed.endedBy !== 'agent')
    checks.push({ name: 'call', pass: false, detail: `${observed.log.notReached} caller line(s) never ran: no cue came before the call ended` });
  return { checks, measured: { responsesMs, talkOverMs } };
}
