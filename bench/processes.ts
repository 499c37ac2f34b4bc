/**
 * Child processes for benchmarks: start one pinned to a core, wait for it to be ready, read its CPU
 * time and memory from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export const canPin = availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);

export interface Started {
  child: ChildProcess;
  /** The output line that said it was ready (it carries the bound port). */
  readyLine: string;
  stop(): Promise<void>;
}

/** Spawns `node args…`, pinned to `core` when the machine allows. */
export function spawnNode(args: string[], core: number | undefined, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const command = canPin && core !== undefined ? 'taskset' : process.execPath;
  const commandArgs = canPin && core !== undefined ? ['-c', String(core), process.execPath, ...args] : args;
  return spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
}

/** Spawns `node args…` (pinned) and resolves once `ready(line)` matches a line of its output. */
export function startNode(args: string[], core: number | undefined, ready: (line: string) => boolean, env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawnNode(args, core, env);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`not ready in 15 s: ${args.join(' ')}\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const readyLine = output.split('\n').find(ready);
      if (readyLine !== undefined) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({
          child,
          readyLine,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 3000).unref();
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident memory of a process, bytes. */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/** The process that actually runs node (taskset execs it, so the pid is the same). */
export function nodePid(started: Started): number {
  return started.child.pid!;
}

/** A process and all its descendants (a `--workers` primary and its workers). */
export function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`))
      children = children.concat(readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    // Gone meanwhile: it has no descendants left to count.
  }
  return [pid, ...children.flatMap(processTree)];
}

/** A per-process figure summed over a process tree; a process that ends between listing and reading counts 0. */
function treeSum(pid: number, read: (member: number) => number): number {
  return processTree(pid).reduce((sum, member) => {
    try {
      return sum + read(member);
    } catch {
      return sum;
    }
  }, 0);
}

/** CPU seconds of a process tree. */
export const treeCpuSeconds = (pid: number): number => treeSum(pid, cpuSeconds);

/** Resident memory of a process tree, bytes. */
export const treeRssBytes = (pid: number): number => treeSum(pid, rssBytes);
