/**
 * `voicesocket dial <number>` and `voicesocket dial --list people.csv`: serves the app (any of
 * `serve`'s settings and app options), places the call or the list through Vonage's Voice API, and
 * runs the app on each answered call with its context (docs/outbound.md). One call: its outcome is the
 * output (a line, or JSON) and the exit status. A list: a line per result, a results CSV, a journal
 * that lets a stopped run be started again without calling anyone twice. Logs go to stderr.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { VoicesocketError } from '../errors.js';
import type { DialOutcome } from '../call/telephony-types.js';
import { loadConfig } from '../server/settings.js';
import { createLogger } from '../server/logger.js';
import { addServeOptions, settingsFromFlags, startServing, type AppFlags } from './serve.js';
import { parseDuration, parseInteger } from './parse.js';
import { OUTCOME_EXIT_CODES, outcomeOfFinalStatus } from '../telephony/dial-outcome.js';
import { csvRecord, readDialList, type DialListRow } from '../telephony/dial-csv.js';
import { DialJournal, journalState } from '../telephony/dial-journal.js';
import { numberDone, runDialList } from '../telephony/dial-list.js';
import type { DialResult } from '../telephony/live-dial.js';
import { checkDial } from '../telephony/outbound-call.js';
import type { Telephony } from '../telephony/telephony.js';

interface DialFlags extends AppFlags {
  context?: string;
  list?: string;
  results?: string;
  journal?: string;
  concurrency: string;
  dialRate: string;
  retries: string;
  retryDelay: string;
  json?: boolean;
}

const DIAL_OPTIONS = 'Dialling (docs/outbound.md):';
/** The results file's columns: a row per number, once it is done. */
const RESULT_COLUMNS = ['line', 'number', 'outcome', 'status', 'attempts', 'uuid', 'detail', 'finished_at'];

/** `2/s`, `30/min`, `0.5` (per second): new calls per second. */
export function parseDialRate(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|second|m|min|minute))?$/.exec(raw.trim());
  const per = match ? Number(match[1]) / (match[2]?.startsWith('m') ? 60 : 1) : NaN;
  if (!(per > 0 && per <= 100))
    throw new VoicesocketError(
      'CONFIG_INVALID',
      `--dial-rate=${JSON.stringify(raw)} is not allowed; expected calls per second or minute such as 2/s or 30/min (at most 100/s)`,
    );
  return per;
}

function contextOf(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new VoicesocketError('CONFIG_INVALID', `--context is not JSON: ${raw.slice(0, 80)}`);
  }
}

function describe(result: DialResult): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const parts = [`${result.outcome.padEnd(10)} ${result.to}`, `(${result.status})`];
  if (result.answeredAt !== undefined) parts.push(`answered after ${seconds(result.answeredAt - result.startedAt)}`);
  if (result.endedAt !== undefined && result.answeredAt !== undefined) parts.push(`call ${seconds(result.endedAt - result.answeredAt)}`);
  if (result.uuid) parts.push(`uuid ${result.uuid}`);
  if (result.detail) parts.push(`— ${result.detail}`);
  return parts.join(' ');
}

/** What Vonage's record of a call says of it, as an outcome (for an attempt a stopped run left behind). */
async function lookUp(telephony: Telephony, uuid: string): Promise<{ outcome: DialOutcome; status: string } | undefined> {
  const detail = await telephony.vonage.getCall(uuid);
  const status = String(detail.status ?? '');
  if (status === 'started' || status === 'ringing') {
    // Still ringing for a run that is gone: nobody is there to take it.
    await telephony.vonage.hangupCall(uuid).catch(() => undefined);
    return { outcome: 'cancelled', status };
  }
  const outcome = outcomeOfFinalStatus(status);
  return outcome ? { outcome, status } : undefined;
}

export function dialCommand(): Command {
  const command = addServeOptions(new Command('dial'))
    .description('place a call (or a list of calls) through Vonage and run the app on each answered call')
    .argument('[number]', 'the number to call (E.164, + allowed), or a sip: URI');
  const grouped = (flags: string, description: string, value?: string) =>
    command.addOption(new Option(flags, description).default(value).helpGroup(DIAL_OPTIONS));
  grouped('--context <json>', "JSON for the call's app: who is called and why (call.dialed())");
  grouped('--list <file.csv>', "dial every row of a CSV: a number column, the other columns become each call's context");
  grouped('--results <file.csv>', "where a list writes each number's outcome (default: the list's name with .results.csv)");
  grouped('--journal <file>', "where a list keeps its journal (default: the list's name with .journal)");
  grouped('--concurrency <n>', 'a list: calls in progress at once', '1');
  grouped('--dial-rate <n/s|n/min>', 'a list: new calls per second or minute at most', '1/s');
  grouped('--retries <n>', 'a list: further attempts for a busy or unanswered number', '0');
  grouped('--retry-delay <time>', 'a list: wait before trying a number again', '5m');
  grouped('--json', 'one call: print its result as JSON');
  command.action(async (number: string | undefined, flags: Record<string, unknown> & DialFlags) => {
    const config = loadConfig(settingsFromFlags(flags));
    if (!number === !flags.list) throw new VoicesocketError('CONFIG_INVALID', 'give a number to call, or --list <file.csv> (not both)');
    const context = contextOf(flags.context);
    // A number that cannot be dialled is said before anything starts.
    if (number) checkDial({ to: number, ...(context !== undefined ? { context } : {}) }, config.vonageNumber);
    const list = flags.list ? readDialList(await readListFile(flags.list)) : undefined;
    const listOptions = list
      ? {
          concurrency: parseInteger(flags.concurrency, '--concurrency', 1, 1000),
          ratePerS: parseDialRate(flags.dialRate),
          retries: parseInteger(flags.retries, '--retries', 0, 10),
          retryDelayMs: parseDuration(flags.retryDelay, '--retry-delay', 24 * 3600_000),
        }
      : undefined;
    const journal = flags.list ? await DialJournal.open(flags.journal ?? `${flags.list.replace(/\.csv$/i, '')}.journal`) : undefined;
    const logger = createLogger(config.logLevel, { destination: 2 });
    let serving: Awaited<ReturnType<typeof startServing>>;
    try {
      serving = await startServing(config, flags, undefined, { logger });
    } catch (error) {
      await journal?.close();
      throw error;
    }
    const { server } = serving;
    const telephony = server.telephony;
    const stop = new AbortController();
    const signals = () => {
      if (stop.signal.aborted) process.exit(130);
      stop.abort();
    };
    process.on('SIGINT', signals).on('SIGTERM', signals);
    try {
      if (!telephony) throw new VoicesocketError('TELEPHONY_UNAVAILABLE', 'set VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY (--application-id, --private-key)');
      if (!list) {
        const call = telephony.dial({ to: number!, ...(context !== undefined ? { context } : {}) });
        stop.signal.addEventListener('abort', () => void call.cancel(), { once: true });
        const result = await call.ended;
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${describe(result)}\n`);
        process.exitCode = OUTCOME_EXIT_CODES[result.outcome];
        return;
      }
      const resultsPath = flags.results ?? `${flags.list!.replace(/\.csv$/i, '')}.results.csv`;
      await writeResults(resultsPath, list, journal!, listOptions!.retries);
      const summary = await runDialList({
        rows: list,
        journal: journal!,
        ...listOptions!,
        dial: (row) => telephony.dial({ to: row.number, context: row.context }),
        lookup: (uuid) => lookUp(telephony, uuid),
        signal: stop.signal,
        onResult: (row, entry, final) => {
          const line = `${entry.outcome.padEnd(10)} ${row.number} (line ${row.line}, attempt ${entry.attempt}${final ? '' : ', will try again'})${entry.detail ? ` — ${entry.detail}` : ''}\n`;
          process.stdout.write(line);
          if (final) void appendFile(resultsPath, csvRecord(resultRow(row, entry.attempt, entry))).catch(() => undefined);
        },
      });
      const counts = Object.entries(summary.outcomes)
        .filter(([, count]) => count > 0)
        .map(([outcome, count]) => `${outcome} ${count}`);
      process.stdout.write(
        `dialled ${summary.placed} call(s); ${counts.join(', ') || 'no outcomes'}${summary.pending ? `; ${summary.pending} number(s) still to dial (run again to go on)` : ''}${summary.duplicates.length ? `; duplicate rows skipped: lines ${summary.duplicates.join(', ')}` : ''}; results in ${resultsPath}\n`,
      );
      process.exitCode = summary.pending > 0 ? 1 : 0;
    } finally {
      process.off('SIGINT', signals).off('SIGTERM', signals);
      await journal?.close();
      await server.close();
    }
  });
  return command;
}

async function readListFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new VoicesocketError('DIAL_LIST_INVALID', (error as Error).message);
  }
}

function resultRow(row: DialListRow, attempts: number, entry: { outcome: string; status: string; uuid?: string; detail?: string; at: number }) {
  return [row.line, row.number, entry.outcome, entry.status, attempts, entry.uuid, entry.detail, new Date(entry.at).toISOString()];
}

/** The results file as the journal has it so far: each number done in an earlier run, then this run's as they come. */
async function writeResults(path: string, list: DialListRow[], journal: DialJournal, retries: number): Promise<void> {
  const states = journalState(journal.entries);
  let text = csvRecord(RESULT_COLUMNS);
  const written = new Set<string>();
  for (const row of list) {
    const state = states.get(row.number);
    const last = state?.results.at(-1);
    if (!last || written.has(row.number) || !numberDone(state, retries)) continue;
    written.add(row.number);
    text += csvRecord(resultRow(row, states.get(row.number)!.attempts, last));
  }
  await writeFile(path, text);
}
