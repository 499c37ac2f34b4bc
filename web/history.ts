/**
 * The call history: past calls from the records folder (`/api/history`), and for one of them its
 * timeline (call-timeline.ts), its stereo recording playable in the page (the caller left, the app
 * right; the playhead follows it and a click on the picture seeks), the transcript with what the
 * caller never heard of each cut reply struck through, its tools, faults and analysis.
 */
import type { CallRecord, HistoryEntry, RecordTurn } from '../src/records/call-record.js';
import { drawTimeline } from './call-timeline.js';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

function make<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const when = (iso: string) => new Date(iso).toLocaleString();

let older: string | null = null;

async function loadList(before?: string): Promise<void> {
  const response = await fetch(`/api/history${before ? `?before=${encodeURIComponent(before)}` : ''}`);
  const body = (await response.json()) as { calls?: HistoryEntry[]; more?: string | null; hint?: string };
  const rows = $<HTMLTableSectionElement>('#history tbody');
  if (!response.ok) {
    $('#empty').textContent = `No call history here: ${body.hint ?? response.statusText}.`;
    return;
  }
  if (!before) rows.replaceChildren();
  for (const call of body.calls ?? []) rows.append(listRow(call));
  older = body.more ?? null;
  $<HTMLButtonElement>('#older').hidden = older === null;
  $('#empty').hidden = rows.children.length > 0;
}

function listRow(call: HistoryEntry): HTMLTableRowElement {
  const row = make('tr', 'call');
  row.dataset.name = call.name;
  const cells = [
    when(call.startedAt),
    `${call.from ?? '?'} → ${call.to ?? '?'}`,
    call.direction,
    seconds(call.durationMs),
    call.label ? `${call.outcome} · ${call.label}` : call.outcome,
    String(call.turns),
    String(call.interruptions),
    String(call.toolCalls),
    call.medianLatencyMs === null ? '–' : `${call.medianLatencyMs} ms`,
    call.recording ? '●' : '',
  ];
  for (const text of cells) row.append(make('td', undefined, text));
  row.addEventListener('click', () => {
    location.hash = call.name;
  });
  return row;
}

/** A turn's words: a cut reply's heard part, then what was never heard, struck through. */
function words(turn: RecordTurn): HTMLElement {
  const span = make('span', 'words');
  if (turn.speaker !== 'agent' || !turn.cut || turn.heard === undefined) {
    // A caller heard only by voice activity, or a reply with no words (one that called a tool).
    span.textContent = turn.text || (turn.speaker === 'caller' ? '(speech)' : '(no words)');
    return span;
  }
  const heard = turn.text.startsWith(turn.heard) ? turn.heard : '';
  span.append(make('span', 'heard', heard || turn.heard));
  const rest = turn.text.slice(heard.length);
  if (rest.trim()) span.append(make('span', 'unheard', rest));
  const note = turn.cut === 'hangup' ? 'the call ended' : `✂ cut: heard ${turn.heardMs ?? 0} of ${Math.round(turn.sentMs ?? 0)} ms`;
  span.append(make('span', 'cut-note', note));
  return span;
}

function transcript(record: CallRecord): HTMLElement {
  const list = make('ol', 'history-transcript');
  for (const turn of record.turns) {
    const item = make('li', `${turn.speaker}${turn.cut ? ' cut' : ''}`);
    item.append(make('span', 'at', seconds(turn.startMs)), make('span', 'speaker', turn.speaker === 'caller' ? 'caller' : (turn.by ?? 'agent')), words(turn));
    if (turn.latency) item.append(make('span', 'latency', `${turn.latency.totalMs} ms`));
    list.append(item);
  }
  return list;
}

function facts(record: CallRecord): HTMLElement {
  const list = make('dl', 'stats');
  const add = (label: string, value: string) => {
    const div = make('div');
    div.append(make('dt', undefined, label), make('dd', undefined, value));
    list.append(div);
  };
  add('When', when(record.startedAt));
  add('From → to', `${record.call.from ?? '?'} → ${record.call.to ?? '?'}`);
  add('Duration', seconds(record.durationMs));
  add('Outcome', `${record.outcome.result} (${record.outcome.closeCode}${record.outcome.closeReason ? ` ${record.outcome.closeReason}` : ''})`);
  add('Latency', record.latency.medianMs === null ? '–' : `${record.latency.medianMs} ms median, ${record.latency.maxMs} ms max`);
  add('App', record.call.app);
  return list;
}

function analysis(record: CallRecord): HTMLElement {
  const box = make('div', 'analysis');
  const result = record.analysis;
  if (result.status !== 'done') {
    box.append(make('p', 'muted', `Analysis ${result.status}: ${result.reason ?? ''}`));
    return box;
  }
  box.append(make('p', 'summary', result.summary ?? ''), make('p', 'label', `Outcome: ${result.outcome ?? '–'}`));
  const fields = make('table', 'fields');
  for (const [key, value] of Object.entries(result.fields ?? {})) {
    const row = make('tr');
    row.append(make('th', undefined, key), make('td', undefined, JSON.stringify(value)));
    fields.append(row);
  }
  box.append(fields);
  return box;
}

function extras(record: CallRecord): HTMLElement {
  const box = make('div', 'extras');
  if (record.toolCalls.length > 0) {
    box.append(make('h3', undefined, 'Tools'));
    const list = make('ul', 'tools');
    for (const tool of record.toolCalls)
      list.append(
        make('li', tool.failed ? 'failed' : undefined, `${seconds(tool.atMs)} ${tool.name}(${JSON.stringify(tool.arguments)}) → ${tool.result ?? '…'}`),
      );
    box.append(list);
  }
  if (record.errors.length > 0) {
    box.append(make('h3', undefined, 'Faults'));
    const list = make('ul', 'faults');
    for (const error of record.errors)
      list.append(make('li', undefined, `${seconds(error.atMs)} ${error.code}: ${error.message}${error.detail ? ` (${error.detail})` : ''}`));
    box.append(list);
  }
  for (const note of record.truncated) box.append(make('p', 'muted truncated', `${note.field}: ${note.dropped} left out — ${note.reason}`));
  return box;
}

async function show(name: string): Promise<void> {
  const panel = $('#detail');
  for (const row of document.querySelectorAll<HTMLTableRowElement>('#history tr.call')) row.classList.toggle('selected', row.dataset.name === name);
  const response = await fetch(`/api/history/${encodeURIComponent(name)}`);
  if (!response.ok) {
    panel.replaceChildren(make('p', 'muted', 'This call is not in the records folder.'));
    panel.hidden = false;
    return;
  }
  const record = (await response.json()) as CallRecord;
  const timeline = drawTimeline(record);
  const parts: HTMLElement[] = [make('h2', undefined, `Call ${record.call.uuid ?? record.call.id}`), facts(record)];
  const figure = make('figure', 'timeline');
  figure.append(timeline.svg);
  parts.push(figure);
  if (record.recording) {
    const audio = make('audio');
    audio.controls = true;
    audio.preload = 'metadata';
    audio.src = `/api/history/${encodeURIComponent(name)}/recording`;
    const offset = record.recording.startMs;
    audio.addEventListener('timeupdate', () => timeline.playhead(offset + audio.currentTime * 1000));
    timeline.svg.addEventListener('click', (event) => {
      audio.currentTime = Math.max(0, (timeline.timeAt(event.clientX) - offset) / 1000);
    });
    const player = make('div', 'player');
    const stopped = record.recording.stopped ? ` — stopped at ${seconds(record.recording.stopped.atMs)}: ${record.recording.stopped.detail}` : '';
    player.append(audio, make('span', 'muted', `stereo: the caller left, the app right${stopped}`));
    parts.push(player);
  }
  parts.push(analysis(record), make('h3', undefined, 'Transcript'), transcript(record), extras(record));
  panel.replaceChildren(...parts);
  panel.hidden = false;
}

const route = () => {
  const name = decodeURIComponent(location.hash.slice(1));
  if (name) void show(name);
};
window.addEventListener('hashchange', route);
$<HTMLButtonElement>('#older').addEventListener('click', () => void (older ? loadList(older) : undefined));
void loadList().then(route);
