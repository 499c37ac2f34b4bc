/**
 * The conformance suite (`voicesocket check`): named checks of everything Vonage requires of a
 * WebSocket app, each with a reason. FAIL is what Vonage would not accept (the call breaks); WARN is
 * what Vonage tolerates but is probably a bug; SKIP is what this run could not observe. It runs
 * against any app's answer URL: it knows the protocol, not our server.
 */
import { findWebsocketEndpoint, validateNcco } from '../protocol/ncco.js';
import { CONTENT_TYPE_KEY } from '../protocol/socket-messages.js';
import { placeCall, type CallResult, type PlaceCallOptions } from './call.js';
import type { Signing } from './webhook-client.js';
import { WEBHOOK_TIMEOUTS } from './call.js';
import { dtmfLabel, injectedLabel, type LegResult } from './websocket-leg.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  description: string;
  status: CheckStatus;
  reason: string;
}

export interface CheckOptions {
  answerUrl: string;
  eventUrl?: string;
  signing?: Signing;
  /** How long the main test call stays on the socket (default 3 s). */
  durationMs?: number;
  timeouts?: Partial<typeof WEBHOOK_TIMEOUTS>;
  /** Connect wss:// endpoints as ws:// (an app on this machine without TLS). */
  plainWs?: boolean;
}

/** An app should answer well inside Vonage's 5 s read timeout; past this the call setup is noticeably slow. */
export const ANSWER_SLOW_MS = 1000;
/** An app should answer the caller's close frame about at once. */
export const HANGUP_CLOSE_SLOW_MS = 1000;

/** The key the main check call presses. */
const CHECK_DIGIT = '5';
const UNKNOWN_EVENT = JSON.stringify({ event: 'websocket:voicesocket-check-unknown', note: 'apps must ignore events they do not know' });

export const CHECKS: Record<string, string> = {
  'answer-get': 'GET answer webhook returns a valid NCCO (200, application/json)',
  'answer-post': 'POST answer webhook (JSON body) returns a valid NCCO',
  'answer-in-time': `the answer comes well inside Vonage's timeout (< ${ANSWER_SLOW_MS} ms)`,
  'connects-websocket': 'the NCCO connects the call to a websocket endpoint',
  'wire-keys': `the websocket endpoint spells "${CONTENT_TYPE_KEY}" (Vonage ignores "contentType") with a rate Vonage offers`,
  'socket-accepts': 'the socket accepts the upgrade and the websocket:connected message and stays up',
  'exact-frames': 'every audio frame the app sends is exactly one 20 ms frame',
  'no-stray-text': "the app does not echo Vonage's control messages back (other text is ignored by Vonage)",
  'survives-dtmf': 'a DTMF message does not break the call',
  'survives-unknown-message': 'an unknown event does not break the call',
  'survives-binary-first': 'audio before websocket:connected does not break the call',
  pacing: "the app never overruns Vonage's playback buffer and never underruns while it plays",
  'caller-hangup': 'when the caller hangs up, the app completes the close handshake promptly',
  'clear-notify': 'clear and notify round trips complete when the app uses them',
  'no-app-error': 'the app never ends a call with an error (1011) or by dropping the connection (1006)',
};

/**
 * How the app ended a call if that was a failure: 1011 is the app saying it hit an error it could not
 * handle, 1006 a connection dropped without a close (a crash). Vonage accepts either, and the call is
 * gone: `call`, `load` and `check` say so instead of "accepted".
 */
export function appError(leg: Pick<LegResult, 'end' | 'closeCode' | 'closeReason' | 'durationMs'> | undefined): string | undefined {
  if (leg?.end !== 'app-closed' || (leg.closeCode !== 1011 && leg.closeCode !== 1006)) return undefined;
  const how =
    leg.closeCode === 1011
      ? `closed it with 1011 (an internal error${leg.closeReason ? `: ${leg.closeReason}` : ''})`
      : 'dropped the connection (1006, no close)';
  return `the app ${how} ${Math.round(leg.durationMs)} ms into the call`;
}

function result(name: string, status: CheckStatus, reason: string): CheckResult {
  return { name, description: CHECKS[name] ?? name, status, reason };
}

function answerFailure(call: CallResult): string {
  return call.answer.ok ? '' : `${call.answer.error ?? 'failed'}${call.nccoIssues.length ? ` — ${call.nccoIssues.slice(0, 2).join('; ')}` : ''}`;
}

/** Vonage's own messages, echoed back, are the tutorial's bug; any other text (an "ok") Vonage ignores. */
function strayTextVerdict(texts: string[]): CheckResult {
  if (texts.length === 0) return result('no-stray-text', 'pass', 'no stray text');
  const echoed = texts.filter((text) => /"event"\s*:\s*"websocket:/.test(text));
  if (echoed.length > 0)
    return result(
      'no-stray-text',
      'warn',
      `the app sent back ${echoed.length} of Vonage's own control message(s), e.g. ${JSON.stringify(echoed[0]!.slice(0, 80))}: Vonage ignores them, but an echo of text is usually a bug`,
    );
  return result('no-stray-text', 'pass', `${texts.length} text message(s) Vonage ignores, e.g. ${JSON.stringify(texts[0]!.slice(0, 40))}`);
}

/**
 * Whether the call outlived a scripted message. A message never sent (the socket was already gone)
 * proves nothing: SKIP, not PASS. A call Vonage dropped for another fault is not this message's doing.
 */
function survivedMessage(leg: LegResult, name: string, label: string, what: string): CheckResult {
  const sentAt = leg.scriptSentAtMs[label];
  if (sentAt === undefined) return result(name, 'skip', `the socket had ended before ${what} was due (${leg.end} at ${Math.round(leg.durationMs)} ms)`);
  if (leg.end === 'caller-hangup') return result(name, 'pass', 'the call went on');
  if (leg.end === 'frame-violation' || leg.end === 'buffer-overflow')
    return result(name, 'skip', `Vonage dropped the call for another fault (${leg.end}) ${Math.round(leg.durationMs - sentAt)} ms after ${what}`);
  return result(
    name,
    'fail',
    `the app ended the call (${leg.end}, code ${leg.closeCode ?? '—'}${leg.closeCode === 1006 ? ': no close frame, the connection dropped' : ''}) ${Math.round(leg.durationMs - sentAt)} ms after ${what}`,
  );
}

export async function runChecks(options: CheckOptions): Promise<CheckResult[]> {
  const durationMs = options.durationMs ?? 3000;
  const base: PlaceCallOptions = {
    answerUrl: options.answerUrl,
    ...(options.eventUrl ? { eventUrl: options.eventUrl } : {}),
    ...(options.signing ? { signing: options.signing } : {}),
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.plainWs ? { plainWs: true } : {}),
    talk: 'skip',
  };
  const [main, posted, binaryFirst] = await Promise.all([
    placeCall({
      ...base,
      durationMs,
      audio: { kind: 'tone', frequency: 440 },
      dtmf: [{ digit: CHECK_DIGIT, atMs: durationMs / 3 }],
      inject: [{ atMs: durationMs / 2, text: UNKNOWN_EVENT }],
    }),
    placeCall({ ...base, answerMethod: 'POST', durationMs: 500 }),
    placeCall({ ...base, durationMs: 1000, binaryFirst: true }),
  ]);
  const results: CheckResult[] = [];

  results.push(
    main.answer.ok ? result('answer-get', 'pass', `200 in ${main.answer.latencyMs?.toFixed(1)} ms`) : result('answer-get', 'fail', answerFailure(main)),
  );
  // GET is Vonage's default answer method: a GET-only app is right as long as its application says GET.
  if (posted.answer.ok) results.push(result('answer-post', 'pass', `200 in ${posted.answer.latencyMs?.toFixed(1)} ms`));
  else if (main.answer.ok)
    results.push(
      result('answer-post', 'warn', `POST is not served (${answerFailure(posted)}); fine while the Vonage application's answer_method is GET, the default`),
    );
  else results.push(result('answer-post', 'fail', answerFailure(posted)));
  const latencies = [main, posted, binaryFirst].map((call) => call.answer.latencyMs).filter((value): value is number => value !== undefined);
  const timedOut = [main, posted].some((call) => call.answer.error?.includes('timeout'));
  if (timedOut) results.push(result('answer-in-time', 'fail', 'the answer timed out (Vonage gives up after 5 s, retries once, then ends the call)'));
  else if (latencies.length === 0) results.push(result('answer-in-time', 'skip', 'no answer to time'));
  else {
    const slowest = Math.max(...latencies);
    results.push(result('answer-in-time', slowest < ANSWER_SLOW_MS ? 'pass' : 'fail', `slowest answer ${slowest.toFixed(1)} ms`));
  }

  const validation = main.ncco !== undefined ? validateNcco(main.ncco) : undefined;
  const endpoint = validation?.ok ? findWebsocketEndpoint(validation.ncco) : undefined;
  if (!validation?.ok) results.push(result('connects-websocket', 'skip', 'no valid NCCO'));
  else
    results.push(
      endpoint
        ? result('connects-websocket', 'pass', endpoint.uri)
        : result(
            'connects-websocket',
            'fail',
            `the NCCO has no connect to a websocket endpoint (actions: ${validation.ncco.map((action) => action.action).join(', ')})`,
          ),
    );

  if (!endpoint) results.push(result('wire-keys', 'skip', 'no websocket endpoint'));
  else if (main.nccoWarnings.length > 0) results.push(result('wire-keys', 'fail', main.nccoWarnings.join('; ')));
  else if (endpoint[CONTENT_TYPE_KEY] === undefined)
    results.push(result('wire-keys', 'fail', `no "${CONTENT_TYPE_KEY}": Vonage uses 16 kHz; say so explicitly`));
  else results.push(result('wire-keys', 'pass', String(endpoint[CONTENT_TYPE_KEY])));

  const leg = main.leg;
  if (!leg) {
    for (const name of [
      'socket-accepts',
      'exact-frames',
      'no-stray-text',
      'survives-dtmf',
      'survives-unknown-message',
      'pacing',
      'caller-hangup',
      'clear-notify',
    ])
      results.push(result(name, 'skip', 'no websocket leg'));
  } else if (!leg.connected) {
    results.push(result('socket-accepts', 'fail', leg.connectError ?? 'not connected'));
    for (const name of ['exact-frames', 'no-stray-text', 'survives-dtmf', 'survives-unknown-message', 'pacing', 'caller-hangup', 'clear-notify'])
      results.push(result(name, 'skip', 'socket not connected'));
  } else {
    const survived = leg.end === 'caller-hangup';
    results.push(
      survived || leg.end === 'frame-violation'
        ? result('socket-accepts', 'pass', `${leg.sampleRate} Hz, up ${Math.round(leg.durationMs)} ms`)
        : result('socket-accepts', 'fail', `the socket ended early: ${leg.end} (${leg.closeCode ?? 'no code'}) after ${Math.round(leg.durationMs)} ms`),
    );
    results.push(
      leg.violations.length === 0
        ? result(
            'exact-frames',
            leg.framesReceived > 0 ? 'pass' : 'skip',
            leg.framesReceived > 0 ? `${leg.framesReceived} frames, all ${(leg.sampleRate / 50) * 2} bytes` : 'the app sent no audio',
          )
        : result(
            'exact-frames',
            'fail',
            `${leg.violations[0]!.message} (${leg.violations[0]!.bytes} bytes at ${leg.violations[0]!.atMs} ms): Vonage drops the socket`,
          ),
    );
    results.push(strayTextVerdict(leg.unexpectedText));
    results.push(survivedMessage(leg, 'survives-dtmf', dtmfLabel(CHECK_DIGIT), 'the DTMF message'));
    results.push(survivedMessage(leg, 'survives-unknown-message', injectedLabel(UNKNOWN_EVENT), 'the unknown event'));
    const echoing = leg.framesReceived > 0 && leg.echoed >= leg.framesReceived * 0.9;
    if (leg.overflowDropped > 0 || leg.end === 'buffer-overflow')
      results.push(result('pacing', 'fail', `overran the playback buffer (${leg.overflowDropped} frames dropped, max buffered ${leg.maxBufferedFrames})`));
    else if (leg.framesReceived === 0) results.push(result('pacing', 'skip', 'the app sent no audio'));
    else if (echoing) results.push(result('pacing', 'pass', `echo: paced by the caller, max buffered ${leg.maxBufferedFrames} frames`));
    else {
      // Gaps in echoed audio are the caller's pacing and the round trip, not the app's (playback-buffer.ts).
      const paced = leg.underruns.filter((gap) => !gap.echoed);
      const echoGaps = leg.underruns.length - paced.length;
      const echoNote = echoGaps > 0 ? `; ${echoGaps} gap(s) in echoed audio, paced by the caller` : '';
      results.push(
        paced.length === 0
          ? result('pacing', 'pass', `no underrun, max buffered ${leg.maxBufferedFrames} frames${echoNote}`)
          : result(
              'pacing',
              'fail',
              `${paced.length} underrun(s) while playing (first at frame ${paced[0]!.tick}, ${paced[0]!.frames * 20} ms gap)${echoNote}`,
            ),
      );
    }
    if (!survived) results.push(result('caller-hangup', 'skip', 'the call did not end with the caller hanging up'));
    else if (leg.protocolError)
      results.push(
        result(
          'caller-hangup',
          'warn',
          `the app answered with a malformed close frame (${leg.protocolError}); the caller is gone by then, but it is a protocol error`,
        ),
      );
    else if (leg.hangupCloseMs === undefined) results.push(result('caller-hangup', 'fail', 'the app never answered the close frame'));
    else
      results.push(result('caller-hangup', leg.hangupCloseMs < HANGUP_CLOSE_SLOW_MS ? 'pass' : 'fail', `close answered in ${leg.hangupCloseMs.toFixed(1)} ms`));
    if (leg.clears === 0 && leg.marksSent === 0) results.push(result('clear-notify', 'skip', 'the app used neither clear nor notify'));
    else if (leg.clears > 0)
      results.push(
        result(
          'clear-notify',
          'pass',
          `${leg.clears} clear(s) acknowledged with websocket:cleared; ${leg.marksReported}/${leg.marksSent} notify reported (markers discarded by a clear are not reported)`,
        ),
      );
    else
      results.push(
        leg.marksReported >= leg.marksSent
          ? result('clear-notify', 'pass', `${leg.clears} clear(s) acknowledged, ${leg.marksReported}/${leg.marksSent} notify reported`)
          : result('clear-notify', 'fail', `${leg.marksSent - leg.marksReported} notify marker(s) never reported before the call ended`),
      );
  }

  const early = binaryFirst.leg;
  if (!early?.connected) results.push(result('survives-binary-first', 'skip', 'socket not connected'));
  else if (early.end === 'caller-hangup') results.push(result('survives-binary-first', 'pass', 'the call went on'));
  else if (early.end === 'frame-violation' && early.violations[0]) {
    // Vonage (the emulator) dropped the socket, for the app's frames: say which, not "the app ended it".
    const first = early.violations[0];
    results.push(
      result(
        'survives-binary-first',
        'fail',
        `after audio that came before websocket:connected, the app sent ${first.bytes}-byte frames where ${early.sampleRate} Hz needs ${(early.sampleRate / 50) * 2}: it kept a rate it assumed before the connected message; Vonage drops the socket for that`,
      ),
    );
  } else results.push(result('survives-binary-first', 'fail', `the app ended the call: ${early.end} (${early.closeCode ?? '—'})`));

  // Every call this run placed: an app that fails on its own (1011), whichever call it was.
  const failures = [main, posted, binaryFirst].map((call) => appError(call.leg)).filter((failure): failure is string => failure !== undefined);
  const connected = [main, posted, binaryFirst].filter((call) => call.leg?.connected).length;
  if (failures.length > 0) results.push(result('no-app-error', 'fail', `in ${failures.length} of ${connected} calls: ${failures[0]}`));
  else
    results.push(
      connected > 0 ? result('no-app-error', 'pass', `${connected} calls, none ended by an app error`) : result('no-app-error', 'skip', 'no call connected'),
    );

  const order = Object.keys(CHECKS);
  return results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
}
