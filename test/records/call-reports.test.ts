/**
 * Call reports reach their receiver whatever it does: down for a minute (injected time: the minute
 * takes milliseconds), a process killed with reports still waiting (the next one sends them), and the
 * server end to end. Every report arrives signed, each can be told apart by its id, none is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualTime } from '../../src/audio/time-source.js';
import { ReportSender } from '../../src/records/report-sender.js';
import { ReportSpool } from '../../src/records/report-spool.js';
import { placeCall } from '../../src/emulator/call.js';
import { echo } from '../../src/apps/echo.js';
import { freePort } from '../helpers/ports.js';
import { memoryLogger, startTestServer, waitFor } from '../helpers/server.js';
import { reportReceiver } from '../helpers/report-receiver.js';
import { ROOT } from '../helpers/cli.js';

const SECRET = 'a-long-report-secret-0123';
const report = (id: string) => JSON.stringify({ type: 'voicesocket.call-record', version: 1, id, turns: [] });

test('a receiver down for a minute: every report is delivered when it is back, once each, signed; the spool is empty after', async (t) => {
  const time = new ManualTime();
  const wallStart = Date.now();
  const wall = () => wallStart + time.now();
  const receiver = reportReceiver(await freePort(), SECRET, wall);
  const spool = await ReportSpool.open(mkdtempSync(join(tmpdir(), 'vs-spool-')));
  const { logger, lines } = memoryLogger();
  const sender = new ReportSender({ url: receiver.url, secret: SECRET, spool, log: logger, time, wallNow: wall });
  t.after(async () => {
    await sender.close();
    await receiver.down();
  });
  await sender.start();
  // Five calls end in the first five seconds of the outage.
  for (let n = 0; n < 5; n++) {
    await sender.send(`report-${n}`, report(`report-${n}`));
    await sender.settled();
    time.advance(1000);
    await sender.settled();
  }
  // The rest of the minute, a second at a time; every attempt is refused by the closed port.
  for (let second = 5; second < 60; second++) {
    time.advance(1000);
    await sender.settled();
  }
  assert.equal(receiver.posts, 0);
  assert.equal(sender.pending, 5);
  assert.equal(readdirSync(spool.dir).length, 5, 'all five wait on disk');
  const refusals = lines.filter((line) => line.code === 'VS_ERR_REPORT_DELIVERY');
  // Each report tried at 0, 1, 3, 7, 15, 31 s…: a few lines per report, not one per attempt.
  assert.ok(refusals.length >= 5 && refusals.length <= 10, `${refusals.length} lines`);
  assert.equal(refusals[0]!.problem, 'ECONNREFUSED');

  await receiver.up();
  // The longest wait after a minute of failures is 64 s (doubling from 1 s).
  for (let second = 0; second < 70 && receiver.reports.size < 5; second++) {
    time.advance(1000);
    await sender.settled();
  }
  assert.deepEqual([...receiver.reports.keys()].sort(), ['report-0', 'report-1', 'report-2', 'report-3', 'report-4']);
  assert.equal(receiver.badSignatures, 0);
  assert.equal(receiver.repeats, 0);
  assert.equal(sender.pending, 0);
  assert.deepEqual(readdirSync(spool.dir), [], 'delivered reports leave the spool');
});

test('a process killed with reports waiting: the next one claims them from the spool and delivers them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vs-spool-'));
  const receiver = reportReceiver(await freePort(), SECRET);
  t.after(() => receiver.down());
  // A process whose receiver is down spools three reports, and is killed.
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `
      import { ReportSender } from './src/records/report-sender.ts';
      import { ReportSpool } from './src/records/report-spool.ts';
      import { silentLogger } from './src/call/logger.ts';
      const sender = new ReportSender({ url: ${JSON.stringify(receiver.url)}, secret: 'x'.repeat(16), spool: await ReportSpool.open(${JSON.stringify(dir)}), log: silentLogger });
      for (const id of ['a', 'b', 'c']) await sender.send(id, JSON.stringify({ id }));
      console.log('spooled');
      setInterval(() => {}, 1000);
      `,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('spooled') && resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(readdirSync(dir).filter((name) => name.includes(`.claimed-${child.pid}`)).length, 3, 'the dead process held three');

  await receiver.up();
  const { logger } = memoryLogger();
  const sender = new ReportSender({ url: receiver.url, secret: SECRET, spool: await ReportSpool.open(dir), log: logger });
  t.after(() => sender.close());
  await sender.start();
  await waitFor(() => receiver.reports.size === 3, 5000, 'the three reports');
  assert.deepEqual([...receiver.reports.keys()].sort(), ['a', 'b', 'c']);
  await waitFor(() => readdirSync(dir).length === 0, 2000, 'an empty spool');
});

test('the server end to end: each call is POSTed as its record, signed, with its id, after the receiver comes back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vs-reports-'));
  const receiver = reportReceiver(await freePort(), SECRET);
  const server = await startTestServer({
    app: echo,
    config: { callReportUrl: receiver.url, callReportSecret: SECRET, callReportSpool: join(dir, 'spool') },
    // Quick retries: this test is about the wiring; the minute-long outage is the test above.
    records: { retry: { firstMs: 50, maxMs: 200 } },
  });
  t.after(async () => {
    await server.close();
    await receiver.down();
  });
  const calls = await Promise.all(
    [0, 1].map(() => placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 600, talk: 'skip', audio: { kind: 'tone', frequency: 440 } })),
  );
  await waitFor(() => server.server.records!.reportsPending === 2, 5000, 'two reports waiting');
  assert.ok(server.logs.some((line) => line.code === 'VS_ERR_REPORT_DELIVERY'));
  await receiver.up();
  await waitFor(() => receiver.reports.size === 2, 5000, 'both reports');
  assert.deepEqual([...receiver.reports.values()].map((record) => record.call.uuid).sort(), calls.map((call) => call.uuid).sort());
  for (const [id, record] of receiver.reports) {
    assert.equal(record.id, id, "the header's id is the record's");
    assert.equal(record.type, 'voicesocket.call-record');
  }
  await waitFor(() => server.server.records!.reportsPending === 0, 2000, 'nothing pending');
});
