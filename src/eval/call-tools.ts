/**
 * The tools an agent called on one call, from the call's record (docs/records.md) where the server is
 * ours: through its call-history API (`GET /api/history`, then each record) or straight from its
 * records folder. A record is written when its call has ended (and, with analysis, once that is
 * done), so it is waited for; it is known by the conversation uuid the emulator gave the call.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a record may take to appear after its call ended: the server's analysis is bounded at 30 s. */
export const RECORD_WAIT_MS = 35_000;
const POLL_MS = 250;
/** One history request: a loopback server answers at once; a remote one gets this long. */
const REQUEST_MS = 5_000;

interface RecordShape {
  call?: { conversationUuid?: string | null; uuid?: string | null };
  toolCalls?: Array<{ name?: unknown }>;
}

async function fetchJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_MS) });
  return { status: response.status, body: response.ok ? await response.json() : undefined };
}

async function fromHistory(base: string, matches: (record: RecordShape) => boolean): Promise<RecordShape | string | undefined> {
  const list = await fetchJson(new URL('/api/history', base).href);
  if (list.status === 404) return `${base} keeps no call records (start the server with --call-records DIR)`;
  if (list.status !== 200) return `${base}/api/history answered ${list.status}`;
  for (const entry of (list.body as { calls?: Array<{ name: string }> }).calls ?? []) {
    const one = await fetchJson(new URL(`/api/history/${encodeURIComponent(entry.name)}`, base).href);
    if (one.status === 200 && matches(one.body as RecordShape)) return one.body as RecordShape;
  }
  return undefined;
}

async function fromFolder(dir: string, matches: (record: RecordShape) => boolean): Promise<RecordShape | undefined> {
  const names = (await readdir(dir))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .reverse();
  for (const name of names) {
    try {
      const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as RecordShape;
      if (matches(record)) return record;
    } catch {
      // Not a record (or one being replaced): records are renamed into place whole.
    }
  }
  return undefined;
}

/** The names of the tools called on the call of `conversationUuid`, in order; or why they cannot be known. */
export async function toolsCalled(source: string, conversationUuid: string, waitMs = RECORD_WAIT_MS): Promise<string[] | { error: string }> {
  const matches = (record: RecordShape) => record.call?.conversationUuid === conversationUuid;
  const deadline = Date.now() + waitMs;
  const remote = /^https?:\/\//.test(source);
  for (;;) {
    let found: RecordShape | string | undefined;
    try {
      found = remote ? await fromHistory(source, matches) : await fromFolder(source, matches);
    } catch (error) {
      return { error: `the call's record could not be read from ${source}: ${(error as Error).message}` };
    }
    if (typeof found === 'string') return { error: found };
    if (found) return (found.toolCalls ?? []).map((call) => String(call.name));
    if (Date.now() >= deadline) return { error: `no record of this call (conversation ${conversationUuid}) in ${source} after ${Math.round(waitMs / 1000)} s` };
    await sleep(POLL_MS);
  }
}
