/**
 * A call's logger that also tells of its coded lines: every warn or error line carrying a `code`
 * (`VS_ERR_*`) is passed on as it is logged, so a call's record lists the faults of its call without
 * a second place to report them. Lines are logged exactly as before; only coded warn/error lines
 * (rare, and sampled where they could flood) cost anything more.
 */
import type { Logger } from './logger.js';

export interface CodedLine {
  code: string;
  message: string;
  /** The line's `detail`, or its error's message. */
  detail?: string;
}

function detailOf(object: Record<string, unknown>): string | undefined {
  if (typeof object.detail === 'string') return object.detail;
  const err = object.err as { message?: unknown; code?: unknown } | undefined;
  if (err && typeof err === 'object') {
    const message = typeof err.message === 'string' ? err.message : undefined;
    const code = typeof err.code === 'string' ? err.code : undefined;
    return code && message && !message.includes(code) ? `${code}: ${message}` : (message ?? code);
  }
  return undefined;
}

export function reportingCodedLines(log: Logger, onCoded: (line: CodedLine) => void): Logger {
  const tell = (object: object, message: string | undefined) => {
    const code = (object as { code?: unknown }).code;
    if (typeof code !== 'string') return;
    const detail = detailOf(object as Record<string, unknown>);
    onCoded({ code, message: message ?? '', ...(detail !== undefined ? { detail } : {}) });
  };
  // The arguments are passed on as given: pino tells a line without a message by their count.
  return {
    debug: (object, message) => (message === undefined ? log.debug(object) : log.debug(object, message)),
    info: (object, message) => (message === undefined ? log.info(object) : log.info(object, message)),
    warn: (object, message) => {
      if (message === undefined) log.warn(object);
      else log.warn(object, message);
      tell(object, message);
    },
    error: (object, message) => {
      if (message === undefined) log.error(object);
      else log.error(object, message);
      tell(object, message);
    },
    child: (bindings) => reportingCodedLines(log.child(bindings), onCoded),
  };
}
