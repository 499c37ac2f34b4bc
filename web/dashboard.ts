/**
 * The live dashboard: one Server-Sent Events stream (`/api/stream`) drives everything; the chart is
 * drawn on a canvas from the snapshots this page has received, up to the last five minutes (the server
 * keeps no history: a page opened a minute ago has a minute, and its caption says so).
 */
import { describeCloseCode } from '../src/protocol/close-codes.js';
import { agentView, clock, speechView, type AgentTurn, type CallSpeech } from './transcript-view.js';

interface TimelineItem {
  at: number;
  source: 'webhook' | 'socket';
  text: string;
}
interface Call {
  id: string;
  uuid?: string;
  conversationUuid?: string;
  from?: string;
  to?: string;
  state: string;
  durationMs: number;
  rate: number;
  framesIn: number;
  framesOut: number;
  framesDropped: number;
  levelInDb: number | null;
  levelOutDb: number | null;
  closeCode?: number;
  speech?: CallSpeech;
  agent?: { provider?: string; turns: AgentTurn[] };
  timeline: TimelineItem[];
}
interface ServerStats {
  at: number;
  activeCalls: number;
  framesPerSecond: number;
  eventLoopLagMs: number;
  rssMb: number;
  heapMb: number;
  uptimeS: number;
  /** The server drains (SIGTERM): it finishes its calls and takes no new ones. */
  draining?: boolean;
}
/** A call this server placed (src/telephony/): a row from the request to its outcome and end. */
interface Dial {
  dialId: string;
  to: string;
  state: string;
  outcome?: string;
  status?: string;
  detail?: string;
  verdicts: string[];
  startedAt: number;
}
interface Snapshot {
  server: ServerStats;
  calls: Call[];
  recent: Call[];
  dials?: Dial[];
}

const HISTORY_MS = 5 * 60_000;
const history: ServerStats[] = [];
const expanded = new Set<string>();

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

function text(value: string | number | undefined | null): string {
  return value === undefined || value === null || value === '' ? '–' : String(value);
}

function meter(db: number | null): HTMLElement {
  const wrap = document.createElement('div');
  wrap.className = 'meter';
  const bar = document.createElement('span');
  // -60 dBFS … 0 dBFS mapped to 0 … 100 %.
  const percent = db === null ? 0 : Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
  bar.style.width = `${percent}%`;
  wrap.title = db === null ? 'silence' : `${db} dBFS`;
  wrap.append(bar);
  return wrap;
}

function cell(row: HTMLTableRowElement, content: string | HTMLElement, className?: string): void {
  const td = row.insertCell();
  if (className) td.className = className;
  if (typeof content === 'string') td.textContent = content;
  else td.append(content);
}

function timelineRow(call: Call, columns: number): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.className = 'timeline';
  const td = row.insertCell();
  td.colSpan = columns;
  const list = document.createElement('ol');
  for (const item of call.timeline) {
    const li = document.createElement('li');
    li.className = item.source;
    li.textContent = `${new Date(item.at).toLocaleTimeString()} · ${item.source === 'webhook' ? 'event' : 'socket'} · ${item.text}`;
    list.append(li);
  }
  if (call.timeline.length === 0) list.append(Object.assign(document.createElement('li'), { textContent: 'no events yet' }));
  td.append(list);
  return row;
}

/** A row under the call's own, always shown: its speech or its agent's turns (web/transcript-view.ts). */
function detailRow(className: string, columns: number, content: HTMLElement[]): HTMLTableRowElement {
  const row = document.createElement('tr');
  row.className = className;
  const td = row.insertCell();
  td.colSpan = columns;
  td.append(...content);
  return row;
}

/** Opens or closes a call's timeline. */
function toggle(call: Call): void {
  if (expanded.has(call.id)) expanded.delete(call.id);
  else expanded.add(call.id);
  render(lastSnapshot!);
}

function callLabel(call: Call): HTMLElement {
  // A button for the keyboard; a click anywhere on the row does the same (the row's handler).
  const button = document.createElement('button');
  button.className = 'link';
  button.textContent = call.uuid ?? call.id.slice(0, 8);
  button.title = `conversation ${text(call.conversationUuid)} · click for the timeline`;
  return button;
}

/** Fills a table body with one row per call (cells from `columns`), each followed by its timeline when opened. */
function renderTable(selector: string, calls: Call[], columns: Array<(call: Call) => string | HTMLElement>): void {
  const body = $(`${selector} tbody`);
  body.replaceChildren();
  for (const call of calls) {
    const row = document.createElement('tr');
    row.dataset.uuid = call.uuid ?? call.id;
    row.className = 'call';
    row.addEventListener('click', () => toggle(call));
    cell(row, callLabel(call), 'mono');
    for (const column of columns) cell(row, column(call));
    body.append(row);
    if (call.speech) body.append(detailRow('speech', columns.length + 1, speechView(call.speech)));
    if (call.agent) body.append(detailRow('agent', columns.length + 1, [agentView(call.agent.turns, call.agent.provider)]));
    if (expanded.has(call.id)) body.append(timelineRow(call, columns.length + 1));
  }
}

const parties = (call: Call) => `${text(call.from)} → ${text(call.to)}`;

function renderCalls(calls: Call[]): void {
  renderTable('#calls', calls, [
    parties,
    (call) => call.state,
    (call) => clock(call.durationMs),
    (call) => `${call.rate / 1000} kHz`,
    (call) => `${call.framesIn} / ${call.framesOut}${call.framesDropped ? ` (${call.framesDropped} dropped)` : ''}`,
    (call) => meter(call.levelInDb),
    (call) => meter(call.levelOutDb),
  ]);
  $('#no-calls').hidden = calls.length > 0;
}

/** The empty state's lead: "No calls yet" only while no call has ended either. */
function renderEmptyState(snapshot: Snapshot): void {
  $('#no-calls-lead').textContent = snapshot.recent.length > 0 ? 'No live calls.' : 'No calls yet.';
  $('#no-recent').hidden = snapshot.recent.length > 0;
}

function renderRecent(calls: Call[]): void {
  renderTable('#recent', calls, [
    parties,
    (call) => clock(call.durationMs),
    (call) => `${call.framesIn} / ${call.framesOut}`,
    (call) => (call.closeCode === undefined ? '–' : describeCloseCode(call.closeCode)),
  ]);
}

function renderDials(dials: Dial[] = []): void {
  $('#dials-panel').hidden = dials.length === 0;
  const body = $('#dials tbody');
  body.replaceChildren();
  for (const dial of dials) {
    const row = document.createElement('tr');
    row.dataset.dial = dial.dialId;
    cell(row, dial.to, 'mono');
    cell(row, dial.state);
    cell(row, dial.outcome ? `${dial.outcome} (${text(dial.status)})${dial.detail ? ` — ${dial.detail}` : ''}` : '–');
    cell(row, dial.verdicts.join(', ') || '–');
    cell(row, new Date(dial.startedAt).toLocaleTimeString());
    body.append(row);
  }
}

function renderServer(server: ServerStats): void {
  $('#active-calls').textContent = String(server.activeCalls);
  $('#frames-per-second').textContent = String(server.framesPerSecond);
  $('#loop-lag').textContent = `${server.eventLoopLagMs} ms`;
  $('#memory').textContent = `${server.rssMb} / ${server.heapMb} MB`;
  $('#uptime').textContent = clock(server.uptimeS * 1000);
  $('#server-state').textContent = server.draining ? 'draining: finishing its calls, taking no new ones' : 'ready';
  $('#server-state').classList.toggle('warning', server.draining === true);
}

const SERIES: Array<{ label: string; color: string; pick: (s: ServerStats) => number }> = [
  { label: 'active calls', color: '#d9480f', pick: (s) => s.activeCalls },
  { label: 'frames/s', color: '#1971c2', pick: (s) => s.framesPerSecond },
];
/** Plot margins: the left and right axes carry each series' scale, the bottom axis the time. */
const MARGIN = { left: 44, right: 56, top: 8, bottom: 22 };

/** A round upper bound for an axis: 1, 2, 5 × 10^n. */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(1, value)));
  return [1, 2, 5, 10].map((step) => step * power).find((bound) => bound >= value) ?? 10 * power;
}

/** "42 s", "1.5 min". */
function duration(ms: number): string {
  return ms >= 60_000 ? `${+(ms / 60_000).toFixed(1)} min` : `${Math.round(ms / 1000)} s`;
}

/**
 * The canvas drawn at the size it is shown, in device pixels: on a phone the 900-unit drawing would
 * be scaled down to a third and its labels unreadable. Returns the size in CSS pixels.
 */
function fitCanvas(canvas: HTMLCanvasElement, context: CanvasRenderingContext2D): { width: number; height: number } {
  const width = Math.max(200, Math.round(canvas.clientWidth || canvas.width));
  const height = Math.max(100, Math.round(canvas.clientHeight || canvas.height));
  const ratio = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { width, height };
}

function drawChart(): void {
  const canvas = $<HTMLCanvasElement>('#chart');
  const context = canvas.getContext('2d');
  if (!context) return;
  const { width, height } = fitCanvas(canvas, context);
  const plot = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };
  context.clearRect(0, 0, width, height);
  context.font = '11px sans-serif';
  const end = history.at(-1)?.at ?? Date.now();
  // The axis spans what we have, up to five minutes, so a fresh page is not a sliver at the edge.
  const covered = Math.min(HISTORY_MS, end - (history[0]?.at ?? end));
  const span = Math.max(10_000, covered);
  const x = (at: number) => plot.right - ((end - at) / span) * (plot.right - plot.left);

  // Axes and grid.
  context.strokeStyle = '#ced4da';
  context.lineWidth = 1;
  context.beginPath();
  for (const fraction of [0, 0.5, 1]) {
    const y = plot.bottom - fraction * (plot.bottom - plot.top);
    context.moveTo(plot.left, y);
    context.lineTo(plot.right, y);
  }
  context.stroke();
  context.fillStyle = '#495057';
  context.textAlign = 'center';
  const ticks = [span, span / 2, 0];
  const tickLabels = ticks.map((ago) => (ago === 0 ? 'now' : `−${duration(ago)}`));
  ticks.forEach((ago, i) => context.fillText(tickLabels[i]!, x(end - ago), height - 6));

  const axes: string[] = [];
  SERIES.forEach((series, index) => {
    const max = niceMax(Math.max(1, ...history.map(series.pick)));
    axes.push(`${series.label}:0-${max}`);
    legend(index, series, max);
    // Scale labels: active calls on the left axis, frames/s on the right.
    context.fillStyle = series.color;
    context.textAlign = index === 0 ? 'right' : 'left';
    const labelX = index === 0 ? plot.left - 6 : plot.right + 6;
    context.fillText(String(max), labelX, plot.top + 8);
    context.fillText(String(max / 2), labelX, (plot.top + plot.bottom) / 2 + 4);
    context.fillText('0', labelX, plot.bottom);
    if (history.length < 2) return;
    context.strokeStyle = series.color;
    // Each line is drawn narrower than the one before it, so where they meet (both at zero when the
    // server is idle, both at the top of their axes under load) the first still shows around the second.
    context.lineWidth = 2 + 3 * (SERIES.length - 1 - index);
    context.lineJoin = 'round';
    context.beginPath();
    history.forEach((s, i) => {
      const y = plot.bottom - (series.pick(s) / max) * (plot.bottom - plot.top);
      if (i === 0) context.moveTo(x(s.at), y);
      else context.lineTo(x(s.at), y);
    });
    context.stroke();
  });
  // What was drawn, for people using assistive technology and for the browser tests.
  canvas.dataset.axes = `${axes.join(' ')} time:${tickLabels.join(',')}`;
  canvas.dataset.points = String(history.length);
  // What the chart covers: what this page has received, not a window the server keeps.
  const caption =
    history.length < 2
      ? 'Waiting for a second snapshot to draw the lines (one a second).'
      : covered >= HISTORY_MS
        ? `The last ${duration(HISTORY_MS)}, one point a second.`
        : `The last ${duration(covered)}: since this page was opened (it keeps up to ${duration(HISTORY_MS)}), one point a second.`;
  $('#chart-caption').textContent = caption;
  canvas.setAttribute('aria-label', `active calls and frames per second. ${caption}`);
}

/** The legend sits above the chart, in the page: it never covers the lines. */
function legend(index: number, series: (typeof SERIES)[number], max: number): void {
  const item = $(`#chart-legend li:nth-child(${index + 1})`);
  item.style.color = series.color;
  item.textContent = `${series.label} (axis 0–${max}, ${index === 0 ? 'left' : 'right'})`;
}

let lastSnapshot: Snapshot | undefined;

function render(snapshot: Snapshot): void {
  lastSnapshot = snapshot;
  renderServer(snapshot.server);
  renderCalls(snapshot.calls);
  renderRecent(snapshot.recent);
  renderEmptyState(snapshot);
  renderDials(snapshot.dials);
  drawChart();
}

function connect(): void {
  const stream = new EventSource('/api/stream');
  const status = $('#connection');
  stream.onopen = () => {
    status.textContent = 'live';
    status.className = 'pill live';
  };
  stream.onerror = () => {
    status.textContent = 'reconnecting…';
    status.className = 'pill';
  };
  stream.onmessage = (message) => {
    const snapshot = JSON.parse(message.data as string) as Snapshot;
    history.push(snapshot.server);
    while (history.length > 0 && snapshot.server.at - history[0]!.at > HISTORY_MS) history.shift();
    render(snapshot);
  };
}

/** The command the empty state suggests, for the address this page was loaded from. */
$('#call-command').textContent = `voicesocket call ${location.protocol}//${location.host}/webhooks/answer`;
window.addEventListener('resize', drawChart);
connect();
