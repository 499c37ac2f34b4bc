/**
 * `transcribe`: a live transcript of every call. Results reach the dashboard (interim greyed, final
 * solid, with sentiment), `/api/calls`, one JSON line per final result in `--dir/<call>.jsonl` when a
 * folder is given, and a POST of each final result to `--transcript-url` when one is given. A failing
 * file or URL is logged once per call and the transcript goes on everywhere else. What a call has in
 * flight is bounded: a few POSTs at once (a slow URL, or an engine flooding results, had 5400 in
 * flight), lines written to the file in order; past either limit a result is dropped there, with a
 * coded line (`VS_ERR_TRANSCRIPT_DROPPED`, sampled). What the file and the URL get is one result per
 * turn of the caller (call/turn-ends.ts): a caller who pauses after "and" or between the digits of
 * a number is not cut into two results (docs/turn-taking.md); the dashboard shows the engine's own.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VoicesocketError, errorCode } from '../errors.js';
import { errorDetail } from '../error-detail.js';
import type { CallSession } from '../call/call-session.js';
import { SampledLog } from '../call/logger.js';
import type { TranscriptEvent } from '../speech/speech-events.js';
import type { EndOfTurnOptions } from '../speech/end-of-turn-policy.js';
import { sentimentOf } from '../speech/sentiment.js';
import { TurnEnds } from '../call/turn-ends.js';
import type { AppDefinition } from './app.js';
import { writableDirOption } from './options.js';
import { safeName } from './record.js';

export interface TranscribeAppOptions {
  dir?: string;
  transcriptUrl?: string;
  /** Speech-to-text engine; the server's default when unset. */
  engine?: string;
  /** The silence that ends a turn, by its words (docs/turn-taking.md). */
  endOfTurn?: EndOfTurnOptions;
}

/** One result of a turn's final results: their words in order, from the first's start to the last's end. */
export function turnResult(text: string, results: TranscriptEvent[]): TranscriptEvent {
  const first = results[0]!;
  const last = results.at(-1)!;
  const confidences = results.flatMap((r) => (r.confidence === undefined ? [] : [r.confidence]));
  return {
    kind: 'final',
    text,
    startMs: first.startMs,
    endMs: last.endMs,
    ...(confidences.length > 0 ? { confidence: Math.min(...confidences) } : {}),
    words: results.flatMap((r) => r.words),
    engine: first.engine,
    sentiment: sentimentOf(text),
  };
}

/** A transcript POST that takes longer than this is abandoned (the next one is still sent). */
const POST_TIMEOUT_MS = 5000;
/** POSTs in flight per call: results come a few a minute; more waiting is a URL that cannot keep up. */
export const MAX_POSTS_IN_FLIGHT = 8;
/** Lines waiting for the call's file, at most (they are appended one at a time, in order). */
const MAX_LINES_WAITING = 256;

export function transcribeCalls(options: TranscribeAppOptions = {}) {
  const folder = options.dir ? writableDirOption({ dir: options.dir }, 'dir', options.dir) : undefined;
  return (session: CallSession): void => {
    let file: string | undefined;
    let posting = 0;
    let linesWaiting = 0;
    let written: Promise<unknown> = Promise.resolve();
    const dropped = new SampledLog(session.log);
    const failedOnce = new Set<string>();
    const failed = (where: string, error: unknown) => {
      if (failedOnce.has(where)) return;
      failedOnce.add(where);
      session.log.warn(
        { code: errorCode('TRANSCRIPT_DELIVERY'), where, detail: errorDetail(error, where === 'url' ? options.transcriptUrl : undefined), err: error },
        'transcript delivery failed; the call and its transcript go on',
      );
    };
    const append = async (path: string, line: string) => {
      try {
        await appendFile(path, line);
      } catch (error) {
        failed('dir', error);
      } finally {
        linesWaiting--;
      }
    };
    const drop = (where: string, limit: number) =>
      dropped.warn(errorCode('TRANSCRIPT_DROPPED'), { where, limit }, 'transcript result not delivered: too many in flight');
    const deliver = async (event: TranscriptEvent) => {
      const record = { call: session.id, uuid: session.identity.uuid, ...event };
      const writes: Array<Promise<unknown>> = [];
      if (file && linesWaiting >= MAX_LINES_WAITING) drop('dir', MAX_LINES_WAITING);
      else if (file) {
        const path = file;
        const line = `${JSON.stringify(record)}\n`;
        linesWaiting++;
        written = written.then(() => append(path, line));
        writes.push(written);
      }
      if (options.transcriptUrl && posting >= MAX_POSTS_IN_FLIGHT) drop('url', MAX_POSTS_IN_FLIGHT);
      else if (options.transcriptUrl) {
        posting++;
        writes.push(
          fetch(options.transcriptUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(record),
            signal: AbortSignal.timeout(POST_TIMEOUT_MS),
          })
            .then(async (response) => {
              // The answer's body is not needed: released now rather than when it is collected.
              await response.body?.cancel();
              if (!response.ok) throw new Error(`HTTP ${response.status}`);
            })
            .catch((error: unknown) => failed('url', error))
            .finally(() => posting--),
        );
      }
      await Promise.all(writes);
    };
    session.once('connected', (identity) => {
      if (folder) file = join(folder, `${safeName(identity.uuid ?? session.id)}-${Date.now()}.jsonl`);
      session.transcribe(options.engine ? { engine: options.engine } : {});
    });
    const turns = new TurnEnds(session, options.endOfTurn ?? {}, (text, results) => void deliver(turnResult(text, results)));
    // The call ended inside a turn (the caller hung up mid-pause): what they said is still delivered.
    session.once('end', () => turns.flush());
  };
}

export const transcribeApp: AppDefinition = {
  name: 'transcribe',
  description: 'live transcript of each call: dashboard, /api/calls, --dir (JSONL per call), --transcript-url (POST per result)',
  create: (options) => {
    const dir = typeof options.dir === 'string' && options.dir !== '' ? options.dir : undefined;
    const url = typeof options.transcriptUrl === 'string' && options.transcriptUrl !== '' ? options.transcriptUrl : undefined;
    if (url !== undefined && !/^https?:\/\//.test(url)) {
      throw new VoicesocketError('CONFIG_INVALID', `--transcript-url=${JSON.stringify(url)} is not allowed; expected an http:// or https:// URL`);
    }
    return transcribeCalls({ ...(dir ? { dir } : {}), ...(url ? { transcriptUrl: url } : {}) });
  },
};
