/**
 * `transcribe`: a live transcript of every call. Results reach the dashboard (interim greyed, final
 * solid, with sentiment), `/api/calls`, one JSON line per final result in `--dir/<call>.jsonl` when a
 * folder is given, and a POST of each final result to `--transcript-url` when one is given. A failing
 * file or URL is logged once per call and the transcript goes on everywhere else.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VoicesocketError, errorCode } from '../errors.js';
import { errorDetail } from '../error-detail.js';
import type { CallSession } from '../call/call-session.js';
import type { TranscriptEvent } from '../speech/speech-events.js';
import type { AppDefinition } from './app.js';
import { writableDirOption } from './options.js';
import { safeName } from './record.js';

export interface TranscribeAppOptions {
  dir?: string;
  transcriptUrl?: string;
  /** Speech-to-text engine; the server's default when unset. */
  engine?: string;
}

/** A transcript POST that takes longer than this is abandoned (the next one is still sent). */
const POST_TIMEOUT_MS = 5000;

export function transcribeCalls(options: TranscribeAppOptions = {}) {
  const folder = options.dir ? writableDirOption({ dir: options.dir }, 'dir', options.dir) : undefined;
  return (session: CallSession): void => {
    let file: string | undefined;
    const failedOnce = new Set<string>();
    const failed = (where: string, error: unknown) => {
      if (failedOnce.has(where)) return;
      failedOnce.add(where);
      session.log.warn(
        { code: errorCode('TRANSCRIPT_DELIVERY'), where, detail: errorDetail(error, where === 'url' ? options.transcriptUrl : undefined), err: error },
        'transcript delivery failed; the call and its transcript go on',
      );
    };
    const deliver = async (event: TranscriptEvent) => {
      const record = { call: session.id, uuid: session.identity.uuid, ...event };
      const writes: Array<Promise<unknown>> = [];
      if (file) writes.push(appendFile(file, `${JSON.stringify(record)}\n`).catch((error: unknown) => failed('dir', error)));
      if (options.transcriptUrl) {
        writes.push(
          fetch(options.transcriptUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(record),
            signal: AbortSignal.timeout(POST_TIMEOUT_MS),
          })
            .then((response) => {
              if (!response.ok) throw new Error(`HTTP ${response.status}`);
            })
            .catch((error: unknown) => failed('url', error)),
        );
      }
      await Promise.all(writes);
    };
    session.once('connected', (identity) => {
      if (folder) file = join(folder, `${safeName(identity.uuid ?? session.id)}-${Date.now()}.jsonl`);
      session.transcribe(options.engine ? { engine: options.engine } : {});
    });
    session.on('transcript', (event) => (event.kind === 'final' ? deliver(event) : undefined));
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
