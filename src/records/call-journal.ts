/**
 * The journal of one call: its session's events, timed on the call's clock, into a record builder
 * (record-builder.ts). Nothing per audio frame: connected, speech, final transcripts, digits, the
 * `activity` the agent and telephony layers report, and the end. A fault here is the record's, never
 * the call's: it is logged once, coded, and the record is built from what was kept.
 *
 * Times: ms since the socket opened (`session.durationMs`). The caller's speech comes in caller
 * audio time (frame n at n × 20 ms); it is placed back from the latest frame, which is now.
 */
import type { CallSession } from '../call/call-session.js';
import type { CallEnd } from '../call/call-types.js';
import { errorCode } from '../errors.js';
import { FRAME_MS } from '../protocol/audio-format.js';
import { CallRecordBuilder, type JournalEvent } from './record-builder.js';

export function startJournal(session: CallSession, onEnd: (builder: CallRecordBuilder, end: CallEnd) => void): CallRecordBuilder {
  const builder = new CallRecordBuilder();
  let broken = false;
  const guard =
    <A extends unknown[]>(handle: (...args: A) => void) =>
    (...args: A): void => {
      if (broken) return;
      try {
        handle(...args);
      } catch (error) {
        broken = true;
        session.log.warn({ code: errorCode('RECORD_FAILED'), err: error }, 'call record stopped taking events; the call goes on');
      }
    };
  const add = (atMs: number, event: JournalEvent) => builder.add(atMs, event);
  const now = () => session.durationMs;
  /** Caller audio time → call time: the latest frame's end is now. */
  const heardAt = (audioMs: number) => Math.max(0, now() - (session.stats.framesIn * FRAME_MS - audioMs));

  session.on(
    'connected',
    guard((identity) => add(now(), { type: 'connected', identity, rate: session.sampleRate })),
  );
  session.on(
    'speech-start',
    guard(({ atMs }) => add(heardAt(atMs), { type: 'speech-start' })),
  );
  // speech-end names the last voiced frame: the speech ends with it.
  session.on(
    'speech-end',
    guard(({ atMs }) => add(heardAt(atMs + FRAME_MS), { type: 'speech-end' })),
  );
  session.on(
    'transcript',
    guard((event) => {
      if (event.kind !== 'final') return;
      add(now(), { type: 'transcript', startMs: heardAt(event.startMs), endMs: heardAt(event.endMs), text: event.text, engine: event.engine });
    }),
  );
  session.on(
    'dtmf',
    guard(({ digit, duration }) => add(now(), { type: 'dtmf', digit, ...(typeof duration === 'number' ? { durationMs: duration } : {}) })),
  );
  session.on(
    'activity',
    guard((activity) => {
      // A reply's audio may still be queued when its maker is done: it ends when that has played.
      const playsUntilMs = activity.kind === 'reply-done' ? now() + Math.max(0, session.scheduledMs - session.playedMs) : undefined;
      add(now(), { type: 'activity', activity, ...(playsUntilMs !== undefined ? { playsUntilMs } : {}) });
    }),
  );
  session.once('end', (end) => {
    try {
      onEnd(builder, end);
    } catch (error) {
      session.log.error({ code: errorCode('RECORD_FAILED'), err: error }, 'call record could not be finished');
    }
  });
  return builder;
}
