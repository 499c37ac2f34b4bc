/**
 * A real Redis (Debian's redis-server, installed by scripts/setup.mjs) on 127.0.0.1 and a free port,
 * with nothing written to disk. It can be killed and started again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './ports.js';

export interface TestRedis {
  url: string;
  port: number;
  /** Kills it (SIGKILL: no goodbye to clients), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that keeps its sockets open and answers nothing (a hung host). */
  pause(): void;
  resume(): void;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const spawned = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      spawned.stdout!.on('data', (chunk) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      spawned.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`redis-server could not be run (npm run setup -- --test-deps installs it): ${error.message}`));
      });
      spawned.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${output}`));
      });
    });
  };
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  const stop = async () => {
    child?.kill('SIGCONT');
    await kill();
  };
  return { url: `redis://127.0.0.1:${port}`, port, kill, start, stop, pause: () => child?.kill('SIGSTOP'), resume: () => child?.kill('SIGCONT') };
}
