/**
 * Server cost of echo calls, side by side in one run: our server (echo app, every product feature on:
 * logging, metrics, limits, registry) against a bare `ws` echo and a bare uWebSockets.js echo, and our
 * server as it scales: `--workers 2` (CPU summed over the primary and its workers) and `--redis` (with
 * a real redis-server, whose own CPU and command rate are read too). The server is pinned to core 0
 * and the load generator (the emulator's `load`) to core 1, as is Redis; CPU and memory are read from
 * /proc over the steady part of the run only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadReport } from '../src/emulator/load.js';
import { staticAnswer } from './answer-url.js';
import { spawn } from 'node:child_process';
import { createClient } from '@redis/client';
import { cpuSeconds, nodePid, spawnNode, startNode, treeCpuSeconds, treeRssBytes, canPin } from './processes.js';

export const TARGETS = [
  'voicesocket',
  'voicesocket-workers-2',
  'voicesocket-redis',
  'voicesocket-record',
  'voicesocket-tracing',
  'voicesocket-no-bufferutil',
  'bare-ws',
  'bare-uws',
] as const;
export type Target = (typeof TARGETS)[number];

/** Redis for the `--redis` target: its process, and its command counter. */
interface BenchRedis {
  pid: number;
  url: string;
  commands(): Promise<number>;
  stop(): Promise<void>;
}

async function startRedis(): Promise<BenchRedis> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = canPin ? spawn('taskset', ['-c', '1', 'redis-server', ...args]) : spawn('redis-server', args);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${output}`)));
  });
  const url = `redis://127.0.0.1:${port}`;
  const client = createClient({ url });
  await client.connect();
  return {
    pid: child.pid!,
    url,
    async commands() {
      return Number(/total_commands_processed:(\d+)/.exec(await client.info('stats'))?.[1] ?? NaN);
    },
    async stop() {
      await client.close();
      child.kill('SIGKILL');
    },
  };
}

export interface EchoResult {
  target: Target;
  calls: number;
  cpuPercent: number;
  cpuPercentPerCall: number;
  rssPerCallKb: number;
  rtt: { p50: number; p99: number } | undefined;
  lossPercent: number;
  connected: number;
  generatorCpuPercent: number;
  generatorSaturated: boolean;
  /** `voicesocket-redis` only: Redis's own CPU, and the commands it ran per call per second. */
  redisCpuPercent?: number;
  redisCommandsPerCallPerSecond?: number;
}

/**
 * A collector that takes every OTLP export and answers 200 (an empty ExportTraceServiceResponse), for
 * the `voicesocket-tracing` target: the server's cost of tracing, not a collector's.
 */
async function otlpSink(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'voicesocket.js');

async function startTarget(
  target: Target,
  redis: BenchRedis | undefined,
): Promise<{ stop(): Promise<void>; pid: number; answerUrl: string; closeAnswer?: () => Promise<void> }> {
  // Ephemeral ports: a benchmark must not collide with anything else on the machine.
  if (target.startsWith('voicesocket')) {
    const scale = target === 'voicesocket-workers-2' ? ['--workers', '2'] : redis ? ['--redis', redis.url] : [];
    // Every call recorded and its record written (docs/records.md), or traced to a local collector.
    const records = target === 'voicesocket-record' ? mkdtempSync(join(tmpdir(), 'voicesocket-bench-records-')) : undefined;
    const sink = target === 'voicesocket-tracing' ? await otlpSink() : undefined;
    const extra = records ? ['--record-calls', records, '--call-records', records] : sink ? ['--otel-endpoint', sink.url] : [];
    const started = await startNode(
      [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--max-calls', '20000', '--log-level', 'info', '--drain-delay', '0', ...scale, ...extra],
      0,
      (line) => line.includes('voicesocket listening'),
      // ws unmasks the caller's frames with bufferutil when it is installed (an optional dependency);
      // this target measures the server without it (ws's own switch).
      target === 'voicesocket-no-bufferutil' ? { WS_NO_BUFFER_UTIL: '1' } : {},
    );
    // The second worker says so a moment after the first.
    if (scale[0] === '--workers') await sleep(1500);
    const answerUrl = String((JSON.parse(started.readyLine) as { answerUrl: string }).answerUrl);
    const stop = async () => {
      await started.stop();
      await sink?.close();
      if (records) rmSync(records, { recursive: true, force: true });
    };
    return { stop, pid: nodePid(started), answerUrl };
  }
  const fixture = join(ROOT, 'bench', 'fixtures', target === 'bare-ws' ? 'bare-ws-echo.mjs' : 'bare-uws-echo.mjs');
  const started = await startNode([fixture, '0'], 0, (line) => line.includes('"ready":true'));
  const { port } = JSON.parse(started.readyLine) as { port: number };
  const answer = await staticAnswer(`ws://127.0.0.1:${port}/socket`);
  return { stop: started.stop, pid: nodePid(started), answerUrl: answer.url, closeAnswer: answer.close };
}

export async function measureEcho(target: Target, calls: number, durationS: number): Promise<EchoResult> {
  const redis = target === 'voicesocket-redis' ? await startRedis() : undefined;
  const server = await startTarget(target, redis);
  try {
    await sleep(500);
    const idleRss = treeRssBytes(server.pid);
    const rampMs = Math.min(10_000, calls * 10);
    // Round trips count only after the ramp plus 2 s, the same steady window as the CPU reading:
    // during the ramp our server also answers webhooks and upgrades, the bare echoes do not.
    const warmupS = rampMs / 1000 + 2;
    const load = spawnNode(
      [CLI, 'load', server.answerUrl, '--calls', String(calls), '--duration', `${durationS + warmupS}s`, '--warmup', `${warmupS}s`, '--json'],
      1,
    );
    let json = '';
    load.stdout!.on('data', (chunk) => (json += chunk));
    load.stderr!.resume();
    const finished = new Promise<void>((resolve) => load.once('exit', () => resolve()));
    // Steady state: all calls up and warmed, until a second before the first hangs up.
    await sleep(rampMs + warmupS * 1000 + 500);
    const cpuStart = treeCpuSeconds(server.pid);
    const redisStart = redis ? { cpu: cpuSeconds(redis.pid), commands: await redis.commands() } : undefined;
    const wallStart = performance.now();
    await sleep(Math.max(1000, durationS * 1000 - 1500));
    const cpuUsed = treeCpuSeconds(server.pid) - cpuStart;
    const wall = (performance.now() - wallStart) / 1000;
    const redisUsed =
      redis && redisStart ? { cpu: cpuSeconds(redis.pid) - redisStart.cpu, commands: (await redis.commands()) - redisStart.commands } : undefined;
    const rss = treeRssBytes(server.pid);
    await finished;
    const report = JSON.parse(json) as LoadReport;
    const cpuPercent = (100 * cpuUsed) / wall;
    return {
      target,
      calls,
      cpuPercent,
      cpuPercentPerCall: cpuPercent / calls,
      rssPerCallKb: Math.max(0, rss - idleRss) / 1024 / calls,
      rtt: report.rtt ? { p50: report.rtt.p50, p99: report.rtt.p99 } : undefined,
      lossPercent: report.lossPercent,
      connected: report.connected,
      generatorCpuPercent: report.generatorCpuPercent,
      generatorSaturated: report.generatorSaturated,
      ...(redisUsed ? { redisCpuPercent: (100 * redisUsed.cpu) / wall, redisCommandsPerCallPerSecond: redisUsed.commands / wall / calls } : {}),
    };
  } finally {
    await server.stop();
    await server.closeAnswer?.();
    await redis?.stop();
  }
}
