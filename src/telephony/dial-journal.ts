/**
 * A dial list's journal: one JSON line per step, written and flushed to disk before the step's effect
 * — `dialling` before the request is sent, `placed` once Vonage took it (with the leg's uuid), `result`
 * once the outcome is known. A run killed at any point and started again reads it back: a number with
 * a `dialling` and no result is never dialled again (the call may have gone out); its outcome is looked
 * up at Vonage when its uuid is known. A lock file keeps two runs off one journal.
 */
import { constants, type FileHandle, open, readFile, truncate, unlink } from 'node:fs/promises';
import { VoicesocketError } from '../errors.js';
import type { DialOutcome } from '../call/telephony-types.js';

export type JournalEntry =
  | { kind: 'dialling'; number: string; attempt: number; at: number }
  | { kind: 'placed'; number: string; attempt: number; uuid: string; at: number }
  | { kind: 'result'; number: string; attempt: number; outcome: DialOutcome; status: string; uuid?: string; detail?: string; at: number };

export type ResultEntry = Extract<JournalEntry, { kind: 'result' }>;

/** What the journal says of one number. */
export interface NumberState {
  /** Attempts begun (each `dialling`). */
  attempts: number;
  results: ResultEntry[];
  /** The latest attempt begun and never given a result: the run stopped during it. */
  interrupted?: { attempt: number; uuid?: string };
}

/** Folds the entries into each number's state (pure). */
export function journalState(entries: readonly JournalEntry[]): Map<string, NumberState> {
  const states = new Map<string, NumberState>();
  for (const entry of entries) {
    const state = states.get(entry.number) ?? { attempts: 0, results: [] };
    states.set(entry.number, state);
    if (entry.kind === 'dialling') {
      state.attempts = Math.max(state.attempts, entry.attempt);
      state.interrupted = { attempt: entry.attempt };
    } else if (entry.kind === 'placed') {
      if (state.interrupted?.attempt === entry.attempt) state.interrupted.uuid = entry.uuid;
    } else {
      state.results.push(entry);
      if (state.interrupted?.attempt === entry.attempt) delete state.interrupted;
    }
  }
  return states;
}

const journalError = (detail: string, cause?: unknown) => new VoicesocketError('DIAL_JOURNAL', detail, cause ? { cause } : undefined);

/** Parses the journal's whole lines; any line that is not an entry is an error (a torn last line has no newline and is not passed here). */
export function parseJournal(text: string, path: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      const entry = JSON.parse(line) as JournalEntry;
      if (typeof entry?.number !== 'string' || !['dialling', 'placed', 'result'].includes(entry.kind)) throw new Error('not a journal entry');
      entries.push(entry);
    } catch (error) {
      throw journalError(`${path} line ${index + 1} is not a journal entry`, error);
    }
  });
  return entries;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DialJournal {
  private constructor(
    readonly path: string,
    readonly entries: JournalEntry[],
    private readonly file: FileHandle,
    private readonly lockPath: string,
  ) {}

  /** Opens (or creates) the journal and takes its lock; a lock left by a dead run is taken over. */
  static async open(path: string): Promise<DialJournal> {
    const lockPath = `${path}.lock`;
    for (let tries = 0; ; tries++) {
      try {
        const lock = await open(lockPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
        await lock.writeFile(String(process.pid));
        await lock.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw journalError(`cannot lock ${path}: ${(error as Error).message}`, error);
        const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
        if (Number.isInteger(holder) && holder > 0 && alive(holder) && holder !== process.pid)
          throw journalError(`${path} is in use by another run (pid ${holder})`);
        if (tries > 2) throw journalError(`cannot take the lock ${lockPath}`);
        await unlink(lockPath).catch(() => undefined);
      }
    }
    try {
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '';
        throw error;
      });
      // Every entry ends with its newline: what follows the last one is a line the process died
      // writing, and is cut off so the next entry starts on a line of its own.
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      const entries = parseJournal(complete, path);
      if (complete.length < text.length) await truncate(path, Buffer.byteLength(complete));
      const file = await open(path, 'a');
      return new DialJournal(path, entries, file, lockPath);
    } catch (error) {
      await unlink(lockPath).catch(() => undefined);
      throw error instanceof VoicesocketError ? error : journalError(`cannot open ${path}: ${(error as Error).message}`, error);
    }
  }

  /** Appends an entry and waits until it is on disk. */
  async append(entry: JournalEntry): Promise<void> {
    this.entries.push(entry);
    await this.file.write(`${JSON.stringify(entry)}\n`);
    await this.file.datasync();
  }

  async close(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await unlink(this.lockPath).catch(() => undefined);
  }
}
