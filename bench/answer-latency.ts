/**
 * Answer-webhook throughput and latency under load, with autocannon (the standard Node HTTP load
 * tool), against our server pinned to core 0.
 */
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startNode } from './processes.js';

export interface AnswerResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export async function measureAnswer(durationS: number, connections = 50): Promise<AnswerResult> {
  const cli = join(import.meta.dirname, '..', 'bin', 'voicesocket.js');
  const server = await startNode([cli, 'serve', '--port', '0', '--host', '127.0.0.1', '--log-level', 'info'], 0, (line) =>
    line.includes('voicesocket listening'),
  );
  const { answerUrl } = JSON.parse(server.readyLine) as { answerUrl: string };
  try {
    const result = await autocannon({
      url: `${answerUrl}?uuid=63f61863-4a51-4f6b-86e1-46edebcf9356&conversation_uuid=CON-f972836a-550f-45fa-956c-12a2ab5b7d22&from=447700900000&to=442079460000`,
      connections,
      duration: durationS,
    });
    return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
  } finally {
    await server.stop();
  }
}
