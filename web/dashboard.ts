/**
 * The live dashboard: one Server-Sent Events stream (`/api/stream`) drives everything; the chart is
 * drawn on a canvas from the last five minutes of snapshots.
 */
interface TimelineItem { at: number; source: 'webhook' | 'socket'; text: string }
interface Call {
  id: string; uuid?: string; conversationUuid?: string; from?: string; to?: string; state: string;
  durationMs: number; rate: number; framesIn: number; framesOut: number; framesDropped: number;
  levelInDb: number | null; levelOutDb: number | null; closeCode?: number; timeline: TimelineItem[];
}
interface ServerStats { at: number; activeCalls: number; framesPerSecond: number; eventLoopLagMs: number; rssMb: number; heapMb: number; uptimeS: number }
interface Snapshot { server: ServerStats; calls: Call[]; recent: Call[] }

const HISTORY_MS = 5 * 60_000;
const history: ServerStats[] = [];
const expanded = new Set<string>();

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

function text(value: string | number | undefined | null): string {
  return value === undefined || value === null || value === '' ? '–' : String(value);
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
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

function callLabel(call: Call, row: HTMLTableRowElement): HTMLElement {
  const button = document.createElement('button');
  button.className = 'link';
  button.textContent = call.uuid ?? call.id.slice(0, 8);
  button.title = `conversation ${text(call.conversationUuid)} · click for the timeline`;
  button.addEventListener('click', () => {
    if (expanded.has(call.id)) expanded.delete(call.id);
    else expanded.add(call.id);
    row.dataset.toggle = '1';
    render(lastSnapshot!);
  });
  return button;
}

/** Fills a table body with one row per call (cells from `columns`), each followed by its timeline when opened. */
function renderTable(selector: string, calls: Call[], columns: Array<(call: Call) => string | HTMLElement>): void {
  const body = $(`${selector} tbody`);
  body.replaceChildren();
  for (const call of calls) {
    const row = document.createElement('tr');
    row.dataset.uuid = call.uuid ?? call.id;
    cell(row, callLabel(call, row), 'mono');
    for (const column of columns) cell(row, column(call));
    body.append(row);
    if (expanded.has(call.id)) body.append(timelineRow(call, columns.length + 1));
  }
}

const parties = (call: Call) => `${text(call.from)} → ${text(call.to)}`;

function renderCalls(calls: Call[]): void {
  renderTable('#calls', calls, [
    parties,
    (call) => call.state,
    (call) => duration(call.durationMs),
    (call) => `${call.rate / 1000} kHz`,
    (call) => `${call.framesIn} / ${call.framesOut}${call.framesDropped ? ` (${call.framesDropped} dropped)` : ''}`,
    (call) => meter(call.levelInDb),
    (call) => meter(call.levelOutDb),
  ]);
  $('#no-calls').hidden = calls.length > 0;
}

function renderRecent(calls: Call[]): void {
  renderTable('#recent', calls, [parties, (call) => duration(call.durationMs), (call) => `${call.framesIn} / ${call.framesOut}`, (call) => text(call.closeCode)]);
}

function renderServer(server: ServerStats): void {
  $('#active-calls').textContent = String(server.activeCalls);
  $('#frames-per-second').textContent = String(server.framesPerSecond);
  $('#loop-lag').textContent = `${server.eventLoopLagMs} ms`;
  $('#memory').textContent = `${server.rssMb} / ${server.heapMb} MB`;
  $('#uptime').textContent = duration(server.uptimeS * 1000);
}

function drawChart(): void {
  const canvas = $<HTMLCanvasElement>('#chart');
  const context = canvas.getContext('2d');
  if (!context) return;
  const { width, height } = canvas;
  context.clearRect(0, 0, width, height);
  if (history.length < 2) return;
  const end = history[history.length - 1]!.at;
  // The axis spans what we have, up to five minutes, so a fresh page is not a sliver at the edge.
  const span = Math.max(10_000, Math.min(HISTORY_MS, end - history[0]!.at));
  const x = (at: number) => width - ((end - at) / span) * width;
  const series: Array<[string, (s: ServerStats) => number]> = [['#d9480f', (s) => s.activeCalls], ['#1971c2', (s) => s.framesPerSecond]];
  series.forEach(([color, pick], index) => {
    const max = Math.max(1, ...history.map(pick));
    context.strokeStyle = color;
    context.lineWidth = 2;
    context.beginPath();
    history.forEach((s, i) => {
      const y = height - 8 - (pick(s) / max) * (height - 24);
      if (i === 0) context.moveTo(x(s.at), y);
      else context.lineTo(x(s.at), y);
    });
    context.stroke();
    context.fillStyle = color;
    context.font = '12px sans-serif';
    context.fillText(`${index === 0 ? 'active calls' : 'frames/s'} (max ${max})`, 8 + index * 170, 14);
  });
}

let lastSnapshot: Snapshot | undefined;

function render(snapshot: Snapshot): void {
  lastSnapshot = snapshot;
  renderServer(snapshot.server);
  renderCalls(snapshot.calls);
  renderRecent(snapshot.recent);
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

connect();
