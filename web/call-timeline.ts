/**
 * A past call as a picture: who spoke when (the caller's lane and the agent's), where the caller
 * talked over a reply (the reply's heard part solid, what was never heard faded, a cut mark), how long
 * each reply took to start (latency), the tools the agent ran and the digits pressed. An SVG drawn
 * from the call's record; its time axis is the record's (ms since the socket opened), and a playhead
 * follows the recording.
 */
import type { CallRecord } from '../src/records/call-record.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 1000;
const LEFT = 70;
const RIGHT = 16;
const LANES = { caller: 34, agent: 78, events: 122 } as const;
const BAR = 20;
export const TIMELINE_HEIGHT = 160;

function element<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Nodes with a tooltip: a group whose <title> names them (a title inside a <text> would be part of its text). */
function titled(title: string, ...nodes: SVGElement[]): SVGGElement {
  const group = element('g', {});
  group.append(element('title', {}, title), ...nodes);
  return group;
}

/** A tick every 1, 2, 5, 10, 15, 30 or 60 s…: at most about ten along the call. */
function tickStep(durationMs: number): number {
  for (const step of [1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000]) if (durationMs / step <= 10) return step;
  return 900_000;
}

export interface DrawnTimeline {
  svg: SVGSVGElement;
  /** Moves the playhead to a time of the record, ms. */
  playhead(atMs: number): void;
  /** The record's time at a horizontal position of the picture (for seeking), ms. */
  timeAt(clientX: number): number;
}

export function drawTimeline(record: CallRecord): DrawnTimeline {
  const duration = Math.max(1000, record.durationMs);
  const x = (ms: number) => LEFT + (Math.max(0, Math.min(ms, duration)) / duration) * (WIDTH - LEFT - RIGHT);
  const svg = element('svg', { viewBox: `0 0 ${WIDTH} ${TIMELINE_HEIGHT}`, class: 'call-timeline', role: 'img' });
  svg.setAttribute('aria-label', `timeline of the call: ${record.turns.length} turns over ${(duration / 1000).toFixed(1)} s`);
  for (const [name, y] of Object.entries(LANES)) {
    svg.append(element('text', { x: 4, y: y + 4, class: 'lane-label' }, name === 'events' ? 'tools, keys' : name));
    svg.append(element('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y, y2: y, class: 'lane' }));
  }
  const step = tickStep(duration);
  for (let at = 0; at <= duration; at += step) {
    svg.append(element('line', { x1: x(at), x2: x(at), y1: 12, y2: TIMELINE_HEIGHT - 18, class: 'tick' }));
    svg.append(element('text', { x: x(at), y: TIMELINE_HEIGHT - 4, class: 'tick-label' }, `${Math.round(at / 1000)}s`));
  }
  record.turns.forEach((turn, index) => {
    const y = LANES[turn.speaker] - BAR / 2;
    const end = turn.endMs ?? duration;
    const bar = element('rect', { x: x(turn.startMs), y, width: Math.max(2, x(end) - x(turn.startMs)), height: BAR, rx: 3, class: `turn ${turn.speaker}` });
    bar.dataset.index = String(index);
    svg.append(titled(`${turn.speaker} ${(turn.startMs / 1000).toFixed(1)}–${(end / 1000).toFixed(1)} s: ${turn.text || '(speech)'}`, bar));
    // What the caller never heard of a cut reply: the rest of its audio, faded, after the cut (drawn
    // up to the agent's next turn at most, so it never hides one; its tooltip has the whole length).
    if (turn.cut === 'barge-in' && turn.sentMs !== undefined && turn.heardMs !== undefined && turn.sentMs > turn.heardMs) {
      const next = record.turns.find((later, at) => at > index && later.speaker === 'agent' && later.startMs >= end);
      const restEnd = Math.min(end + turn.sentMs - turn.heardMs, next?.startMs ?? Infinity);
      const rest = element('rect', { x: x(end), y, width: Math.max(2, x(restEnd) - x(end)), height: BAR, rx: 3, class: 'unheard' });
      svg.append(titled(`not heard: ${Math.round(turn.sentMs - turn.heardMs)} ms of the reply`, rest));
    }
    if (turn.latency && turn.speaker === 'agent') {
      const from = turn.startMs - turn.latency.totalMs;
      const mid = (LANES.caller + LANES.agent) / 2;
      const split = turn.latency.providerMs !== undefined ? ` (provider ${turn.latency.providerMs}, ours ${turn.latency.oursMs ?? 0})` : '';
      svg.append(
        titled(
          `caller's end of speech → first audio: ${turn.latency.totalMs} ms${split}`,
          element('line', { x1: x(from), x2: x(turn.startMs), y1: mid, y2: mid, class: 'latency' }),
          element('text', { x: x(turn.startMs) + 3, y: mid + 4, class: 'latency-label' }, `${turn.latency.totalMs} ms`),
        ),
      );
    }
  });
  for (const cut of record.interruptions) {
    svg.append(
      titled(
        `barge-in (${cut.by}) at ${(cut.atMs / 1000).toFixed(2)} s: heard ${cut.heardMs} of ${cut.sentMs} ms`,
        element('line', { x1: x(cut.atMs), x2: x(cut.atMs), y1: LANES.caller - BAR, y2: LANES.agent + BAR, class: 'barge-in' }),
        element('text', { x: x(cut.atMs), y: LANES.caller - BAR + 2, class: 'barge-in-label' }, '✂'),
      ),
    );
  }
  for (const tool of record.toolCalls) {
    const at = x(tool.atMs);
    const y = LANES.events;
    const diamond = element('polygon', { points: `${at},${y - 7} ${at + 7},${y} ${at},${y + 7} ${at - 7},${y}`, class: `tool${tool.failed ? ' failed' : ''}` });
    svg.append(
      titled(
        `${tool.name}(${JSON.stringify(tool.arguments)}) → ${tool.result ?? '…'}`,
        diamond,
        element('text', { x: at + 9, y: y + 4, class: 'tool-label' }, tool.name),
      ),
    );
  }
  for (const press of record.dtmf) {
    const key = element('text', { x: x(press.atMs), y: LANES.events + 20, class: `dtmf ${press.direction}` }, press.digit);
    svg.append(titled(`${press.direction === 'in' ? 'the caller pressed' : 'sent'} ${press.digit}`, key));
  }
  const head = element('line', { x1: x(0), x2: x(0), y1: 10, y2: TIMELINE_HEIGHT - 16, class: 'playhead' });
  svg.append(head);
  return {
    svg,
    playhead(atMs) {
      head.setAttribute('x1', String(x(atMs)));
      head.setAttribute('x2', String(x(atMs)));
    },
    timeAt(clientX) {
      const box = svg.getBoundingClientRect();
      const viewX = ((clientX - box.left) / box.width) * WIDTH;
      return Math.max(0, Math.min(duration, ((viewX - LEFT) / (WIDTH - LEFT - RIGHT)) * duration));
    },
  };
}
