/**
 * Server cost of echo calls, side by side in one run: our server (echo app, every product feature on:
 * logging, metrics, limits, registry) against a bare `ws` echo and a bare uWebSockets.js echo. The
 * server is pinned to core 0 and the load generator (the emulator's `load`) to core 1; CPU and memory
 * are read from /proc over the steady part of the run only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { LoadReport } from '../src/emulator/load.js';
import { staticAnswer } from './answer-url.js';
import { cpuSeconds, nodePid, rssBytes, spawnNode, startNode } from './processes.js';

export type Target = 'voicesocket' | 'bare-ws' | 'bare-uws';

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
}

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'voicesocket.js');

async function startTarget(target: Target): Promise<{ stop(): Promise<void>; pid: number; answerUrl: string; closeAnswer?: () => Promise<void> }> {
  // Ephemeral ports: a benchmark must not collide with anything else on the machine.
  if (target === 'voicesocket') {
    const started = await startNode([CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--max-calls', '20000', '--log-level', 'info'], 0, (line) =>
      line.includes('voicesocket listening'),
    );
    const answerUrl = String((JSON.parse(started.readyLine) as { answerUrl: string }).answerUrl);
    return { stop: started.stop, pid: nodePid(started), answerUrl };
  }
  const fixture = join(ROOT, 'bench', 'fixtures', target === 'bare-ws' ? 'bare-ws-echo.mjs' : 'bare-uws-echo.mjs');
  const started = await startNode([fixture, '0'], 0, (line) => line.includes('"ready":true'));
  const { port } = JSON.parse(started.readyLine) as { port: number };
  const answer = await staticAnswer(`ws://127.0.0.1:${port}/socket`);
  return { stop: started.stop, pid: nodePid(started), answerUrl: answer.url, closeAnswer: answer.close };
}

export async function measureEcho(target: Target, calls: number, durationS: number): Promise<EchoResult> {
  const server = await startTarget(target);
  try {
    await sleep(500);
    const idleRss = rssBytes(server.pid);
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
    const cpuStart = cpuSeconds(server.pid);
    const wallStart = performance.now();
    await sleep(Math.max(1000, durationS * 1000 - 1500));
    const cpuUsed = cpuSeconds(server.pid) - cpuStart;
    const wall = (performance.now() - wallStart) / 1000;
    const rss = rssBytes(server.pid);
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
    };
  } finally {
    await server.stop();
    await server.closeAnswer?.();
  }
}
