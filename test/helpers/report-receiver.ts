/**
 * A receiver of call reports as docs/records.md tells one to be written: it checks each report's
 * `Voicesocket-Signature` against the shared secret, keeps the reports it takes, and drops a repeat by
 * its id (`Voicesocket-Report-Id`). It can be down (not listening) and come back on the same port.
 */
import { createServer, type Server } from 'node:http';
import { REPORT_ID_HEADER, SIGNATURE_HEADER, verifyReportSignature } from '../../src/records/report-signature.js';
import type { CallRecord } from '../../src/records/call-record.js';

export interface ReportReceiver {
  url: string;
  /** Each report taken, once (repeats dropped by id). */
  reports: Map<string, CallRecord>;
  /** Every POST that arrived, repeats and refusals included. */
  posts: number;
  repeats: number;
  badSignatures: number;
  up(): Promise<void>;
  down(): Promise<void>;
}

export function reportReceiver(port: number, secret: string, now: () => number = Date.now): ReportReceiver {
  let server: Server | undefined;
  const receiver: ReportReceiver = {
    url: `http://127.0.0.1:${port}/calls`,
    reports: new Map(),
    posts: 0,
    repeats: 0,
    badSignatures: 0,
    async up() {
      server = createServer((request, response) => {
        const parts: Buffer[] = [];
        request.on('data', (part: Buffer) => parts.push(part));
        request.on('end', () => {
          receiver.posts++;
          const body = Buffer.concat(parts).toString('utf8');
          if (!verifyReportSignature(body, request.headers[SIGNATURE_HEADER] as string | undefined, secret, now())) {
            receiver.badSignatures++;
            return void response.writeHead(401).end();
          }
          const id = String(request.headers[REPORT_ID_HEADER]);
          if (receiver.reports.has(id)) receiver.repeats++;
          else receiver.reports.set(id, JSON.parse(body) as CallRecord);
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    },
    async down() {
      if (!server) return;
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
      server = undefined;
    },
  };
  return receiver;
}
