/**
 * The browser softphone: Vonage's side of the call, against this server. It uses the project's own
 * protocol and audio modules — the same message builders, resampler, frame splitter and frame tags as
 * the server and the emulator — so there is no second implementation to drift.
 *
 * Automation (tests, docs): `/phone?autostart=1` calls on load (`&fast=1` skips the spoken greeting);
 * `window.voicesocket` exposes `state`, `stats`, `start()`, `hangup()`.
 */
import { DEFAULT_SAMPLE_RATE, contentTypeFor, frameBytes, parseContentType, type SampleRate } from '../src/protocol/audio-format.js';
import { clearedMessage, connectedMessage, dtmfMessage, notifiedMessage, parseAppCommand } from '../src/protocol/socket-messages.js';
import { FrameSplitter } from '../src/audio/frame-splitter.js';
import { Resampler } from '../src/audio/resampler.js';
import { floatToPcm16, pcm16ToFloat } from '../src/audio/pcm.js';
import { readFrameTag, tagFrame } from '../src/audio/frame-tag.js';
import { rmsDbfs } from '../src/audio/levels.js';
import { speechView, type CallSpeech } from './transcript-view.js';

type State = 'idle' | 'connecting' | 'connected' | 'ended';

interface Stats {
  framesSent: number;
  framesReceived: number;
  /** Received frames that carried one of our tags: our own audio, byte-identical. */
  echoed: number;
  rttMs: number | null;
  rttAvgMs: number | null;
  micLevelDb: number | null;
  receivedLevelDb: number | null;
  sampleRate: number | null;
}

interface Endpoint {
  type: string;
  uri: string;
  'content-type'?: string;
  headers?: Record<string, unknown>;
}
type NccoAction = { action: string; text?: string; endpoint?: Endpoint[] };

const params = new URLSearchParams(location.search);
const stats: Stats = { framesSent: 0, framesReceived: 0, echoed: 0, rttMs: null, rttAvgMs: null, micLevelDb: null, receivedLevelDb: null, sampleRate: null };
let state: State = 'idle';
let ws: WebSocket | undefined;
let context: AudioContext | undefined;
let microphone: MediaStream | undefined;
let playerQueuedMs = 0;
const sentAt = new Map<number, number>();
let rttSum = 0;

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

function log(text: string): void {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('#log').prepend(item);
}

function setState(next: State): void {
  state = next;
  const pill = $('#state');
  pill.textContent = next;
  pill.className = `pill${next === 'connected' ? ' live' : ''}`;
  const button = $<HTMLButtonElement>('#call');
  button.textContent = next === 'connected' || next === 'connecting' ? 'Hang up' : 'Call';
  button.classList.toggle('hangup', next === 'connected' || next === 'connecting');
}

function showLevels(): void {
  const width = (db: number | null) => `${db === null ? 0 : Math.max(0, Math.min(100, ((db + 60) / 60) * 100))}%`;
  $<HTMLElement>('#mic-level span').style.width = width(stats.micLevelDb);
  $<HTMLElement>('#out-level span').style.width = width(stats.receivedLevelDb);
  $('#rtt').textContent = stats.rttAvgMs === null ? '–' : `${stats.rttAvgMs.toFixed(1)} ms`;
  $('#frames').textContent = `${stats.framesSent} / ${stats.framesReceived}`;
  $('#rate').textContent = stats.sampleRate ? `${stats.sampleRate / 1000} kHz` : '–';
}

function speak(text: string): Promise<void> {
  if (params.get('fast') === '1' || !('speechSynthesis' in window)) return Promise.resolve();
  return new Promise((resolve) => {
    const utterance = new SpeechSynthesisUtterance(text);
    // Speech may be unavailable (no voices); never wait longer than the text would take.
    const timer = setTimeout(resolve, Math.min(8000, 400 + text.length * 70));
    utterance.onend = () => {
      clearTimeout(timer);
      resolve();
    };
    speechSynthesis.speak(utterance);
  });
}

/** This call's uuid, as the answer webhook and the server's call list know it. */
let callUuid: string | undefined;
let heardStream: EventSource | undefined;
/** The final words the server heard on this call, for automation. */
let heardFinals: string[] = [];

/**
 * What the server heard: this call's speech from the dashboard's stream (`/api/stream`), shown when
 * the server's app transcribes. Nothing is shown for apps that do not listen.
 */
function followHeard(): void {
  heardStream?.close();
  heardFinals = [];
  $('#heard').replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'the app is not transcribing this call' }));
  heardStream = new EventSource('/api/stream');
  heardStream.onmessage = (message) => {
    const { calls, recent } = JSON.parse(message.data as string) as { calls: Array<{ uuid?: string; speech?: CallSpeech }>; recent: typeof calls };
    const mine = [...calls, ...recent].find((call) => call.uuid === callUuid);
    if (!mine?.speech) return;
    heardFinals = mine.speech.transcript.filter((line) => line.kind === 'final').map((line) => line.text);
    $('#heard').replaceChildren(...speechView(mine.speech));
  };
}

async function fetchNcco(): Promise<NccoAction[]> {
  const id = crypto.randomUUID();
  callUuid = id;
  const query = new URLSearchParams({ uuid: id, conversation_uuid: `CON-${crypto.randomUUID()}`, from: 'browser', to: 'voicesocket' });
  const response = await fetch(`/webhooks/answer?${query}`);
  if (!response.ok) throw new Error(`answer webhook: HTTP ${response.status}`);
  const ncco = (await response.json()) as NccoAction[];
  if (!Array.isArray(ncco)) throw new Error('answer webhook: not an NCCO array');
  return ncco;
}

async function startAudio(rate: SampleRate, socket: WebSocket): Promise<AudioWorkletNode> {
  context = new AudioContext({ latencyHint: 'interactive' });
  await context.audioWorklet.addModule('/assets/worklets.js');
  microphone = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false },
  });
  const capture = new AudioWorkletNode(context, 'capture');
  context.createMediaStreamSource(microphone).connect(capture);
  const player = new AudioWorkletNode(context, 'player', { outputChannelCount: [2] });
  player.connect(context.destination);
  player.port.onmessage = (event: MessageEvent<{ queuedMs: number }>) => (playerQueuedMs = event.data.queuedMs);

  const up = new Resampler(context.sampleRate, rate);
  const splitter = new FrameSplitter(frameBytes(rate));
  let seq = 0;
  capture.port.onmessage = (event: MessageEvent<Float32Array>) => {
    if (socket.readyState !== WebSocket.OPEN) return;
    stats.micLevelDb = Number.isFinite(rmsDbfs(event.data)) ? Math.round(rmsDbfs(event.data)) : null;
    splitter.push(floatToPcm16(up.process(event.data)), (frame) => {
      const own = Buffer.from(frame); // the splitter may hand out a view of its input
      tagFrame(own, seq);
      sentAt.set(seq, performance.now());
      if (sentAt.size > 500) sentAt.delete(seq - 500);
      seq++;
      socket.send(own);
      stats.framesSent++;
    });
  };
  return player;
}

async function start(): Promise<void> {
  if (state === 'connecting' || state === 'connected') return;
  setState('connecting');
  Object.assign(stats, { framesSent: 0, framesReceived: 0, echoed: 0, rttMs: null, rttAvgMs: null });
  rttSum = 0;
  try {
    const ncco = await fetchNcco();
    log(`NCCO: ${ncco.map((action) => action.action).join(', ')}`);
    for (const action of ncco) if (action.action === 'talk' && action.text) await speak(action.text);
    const endpoint = ncco.find((action) => action.action === 'connect')?.endpoint?.find((e) => e.type === 'websocket');
    if (!endpoint) throw new Error('the NCCO connects to no websocket');
    const rate = parseContentType(endpoint['content-type']) ?? DEFAULT_SAMPLE_RATE;
    stats.sampleRate = rate;
    const socket = new WebSocket(endpoint.uri);
    socket.binaryType = 'arraybuffer';
    ws = socket;
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error(`could not open ${endpoint.uri}`));
    });
    socket.send(connectedMessage(contentTypeFor(rate), endpoint.headers ?? {}));
    log(`connected ${endpoint.uri} at ${rate} Hz`);
    const player = await startAudio(rate, socket);
    const down = new Resampler(rate, context!.sampleRate);
    socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
      if (typeof event.data === 'string') {
        const command = parseAppCommand(event.data);
        if (!command.ok) return log(`ignored text: ${event.data.slice(0, 60)}`);
        if (command.message.type === 'clear') {
          player.port.postMessage({ type: 'clear' });
          socket.send(clearedMessage());
          log('clear → websocket:cleared');
        } else {
          // Reported once what is queued before it has played.
          const payload = command.message.payload;
          setTimeout(() => socket.readyState === WebSocket.OPEN && socket.send(notifiedMessage(payload)), playerQueuedMs);
        }
        return;
      }
      const frame = Buffer.from(event.data);
      stats.framesReceived++;
      const tag = readFrameTag(frame);
      const at = sentAt.get(tag);
      if (at !== undefined) {
        stats.echoed++;
        stats.rttMs = performance.now() - at;
        rttSum += stats.rttMs;
        stats.rttAvgMs = rttSum / stats.echoed;
        sentAt.delete(tag);
      }
      const samples = pcm16ToFloat(frame);
      const level = rmsDbfs(samples);
      stats.receivedLevelDb = Number.isFinite(level) ? Math.round(level) : null;
      const out = down.process(samples);
      player.port.postMessage(out, [out.buffer]);
    };
    socket.onclose = (event) => {
      log(`socket closed ${event.code}${event.reason ? ` (${event.reason})` : ''}`);
      stop();
    };
    setState('connected');
    followHeard();
  } catch (error) {
    log(`call failed: ${(error as Error).message}`);
    stop();
  }
}

function stop(): void {
  if (ws && ws.readyState === WebSocket.OPEN) ws.close(1000, 'caller hung up');
  ws = undefined;
  microphone?.getTracks().forEach((track) => track.stop());
  microphone = undefined;
  void context?.close();
  context = undefined;
  // Levels are of a live call: an ended one shows empty meters, not its last level.
  stats.micLevelDb = null;
  stats.receivedLevelDb = null;
  showLevels();
  // One more snapshot shows the last final result, then the stream closes.
  const stream = heardStream;
  heardStream = undefined;
  setTimeout(() => stream?.close(), 2000);
  if (state !== 'idle') setState('ended');
}

function keypad(): void {
  const pad = $('#keypad');
  for (const digit of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
    const button = document.createElement('button');
    button.textContent = digit;
    button.addEventListener('click', () => {
      if (ws?.readyState !== WebSocket.OPEN) return;
      ws.send(dtmfMessage(digit, 250));
      log(`dtmf ${digit}`);
    });
    pad.append(button);
  }
}

declare global {
  interface Window {
    voicesocket: { readonly state: State; readonly stats: Stats; readonly heard: string[]; start(): Promise<void>; hangup(): void };
  }
}

window.voicesocket = {
  get state() {
    return state;
  },
  get stats() {
    return { ...stats };
  },
  get heard() {
    return [...heardFinals];
  },
  start,
  hangup: stop,
};

keypad();
$('#call').addEventListener('click', () => (state === 'connected' || state === 'connecting' ? stop() : void start()));
showLevels();
setInterval(showLevels, 200);
if (params.get('autostart') === '1') void start();
