/**
 * The call history's routes (docs/records.md "Call history"): the page (`/history`), the past calls
 * from the records folder (`GET /api/history`, newest first, a page at a time), one call's record
 * (`GET /api/history/:name`) and its stereo recording (`GET /api/history/:name/recording`, with byte
 * ranges so the page's player can seek). Guarded like the dashboard. Names are file names the
 * server wrote: anything else, or a path, is a 404.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import type { CallRecords } from '../records/call-records.js';
import { readRecord } from '../records/record-file.js';
import type { CallRecord, HistoryEntry } from '../records/call-record.js';

/** Calls listed per page: a page the browser draws at once. */
const PAGE = 50;
const NAME = /^[\w-]{1,120}$/;

function entryOf(name: string, record: CallRecord): HistoryEntry {
  return {
    name,
    id: record.id,
    startedAt: record.startedAt,
    durationMs: record.durationMs,
    from: record.call.from,
    to: record.call.to,
    direction: record.call.direction,
    app: record.call.app,
    outcome: record.outcome.result,
    ...(record.outcome.label ? { label: record.outcome.label } : {}),
    turns: record.turns.length,
    interruptions: record.interruptions.length,
    toolCalls: record.toolCalls.length,
    medianLatencyMs: record.latency.medianMs,
    recording: record.recording !== null,
  };
}

/** The built page, beside the dashboard's (scripts/build-web.mjs). */
function page(): Buffer | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const file = join(dir, 'dist', 'web', 'history.html');
  return existsSync(file) ? readFileSync(file) : undefined;
}

export function registerHistoryRoutes(app: FastifyInstance, records: () => CallRecords | undefined, guard: preHandlerAsyncHookHandler): void {
  const guarded = { preHandler: guard };
  const html = page();
  const folder = (reply: FastifyReply): string | undefined => {
    const dir = records()?.recordsDir;
    if (!dir) void reply.code(404).send({ error: 'no records folder', hint: 'start the server with --call-records DIR (docs/records.md)' });
    return dir;
  };

  app.get('/history', guarded, (_request, reply) =>
    html ? reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html) : reply.code(503).send({ error: 'VS_ERR_UI_NOT_BUILT' }),
  );

  app.get<{ Querystring: { before?: string } }>('/api/history', guarded, async (request, reply) => {
    const dir = folder(reply);
    if (!dir) return reply;
    const before = request.query.before;
    // Names begin with the call's start time: their order is the calls' order.
    const names = (await readdir(dir))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -5))
      .filter((name) => NAME.test(name) && (!before || name < before))
      .sort()
      .reverse();
    const calls: HistoryEntry[] = [];
    for (const name of names.slice(0, PAGE)) {
      const record = await readRecord(join(dir, `${name}.json`));
      if (record) calls.push(entryOf(name, record));
    }
    return { calls, more: names.length > PAGE ? names[PAGE - 1] : null };
  });

  const recordOf = async (name: string, reply: FastifyReply): Promise<CallRecord | undefined> => {
    const dir = folder(reply);
    if (!dir) return undefined;
    const record = NAME.test(name) ? await readRecord(join(dir, `${name}.json`)) : undefined;
    if (!record) void reply.code(404).send({ error: 'no such call in the records folder' });
    return record;
  };

  app.get<{ Params: { name: string } }>('/api/history/:name', guarded, async (request, reply) => {
    const record = await recordOf(request.params.name, reply);
    return record ?? reply;
  });

  app.get<{ Params: { name: string } }>('/api/history/:name/recording', guarded, async (request, reply) => {
    const record = await recordOf(request.params.name, reply);
    if (!record) return reply;
    // Only a file the server keeps recordings in (or beside the records) is served, whatever the record says.
    const file = record.recording ? basename(record.recording.file) : '';
    const places = [records()?.recordingsDir, records()?.recordsDir].filter((dir): dir is string => !!dir).map((dir) => join(dir, file));
    const path = file.endsWith('.wav') ? places.find((place) => existsSync(place)) : undefined;
    if (!path) return reply.code(404).send({ error: 'this call has no recording here' });
    const size = (await stat(path)).size;
    const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
    reply.type('audio/wav').header('accept-ranges', 'bytes').header('cache-control', 'no-cache');
    if (!range || (!range[1] && !range[2])) return reply.header('content-length', size).send(createReadStream(path));
    const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
    const end = range[1] && range[2] ? Math.min(size - 1, Number(range[2])) : size - 1;
    if (start >= size || start > end) return reply.code(416).header('content-range', `bytes */${size}`).send();
    return reply
      .code(206)
      .header('content-range', `bytes ${start}-${end}/${size}`)
      .header('content-length', end - start + 1)
      .send(createReadStream(path, { start, end }));
  });
}
