import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
/** The installed entry point, on the build `npm test` makes first: the tests run what users run. */
const BIN = join(ROOT, 'bin', 'voicesocket.js');

/** Runs `voicesocket ...args`. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCliIn(ROOT, args, env);
}

/** Runs `voicesocket ...args` in another working directory (where its `.env` is read). */
export async function runCliIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, env, cwd);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  // 'close', not 'exit': at exit the pipes may still hold output not yet read (seen on a busy machine:
  // a call's timeline missing from stdout although the process printed it and exited 0).
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Waits for a JSON log line matching `predicate` on the child's stdout. */
export function waitForLogLine(
  child: ChildProcess,
  predicate: (line: Record<string, unknown>) => boolean,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; got: ${buffered}`)), timeoutMs);
    child.stdout!.on('data', (chunk) => {
      buffered += chunk;
      for (const line of buffered.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (predicate(parsed)) {
            clearTimeout(timer);
            resolve(parsed);
            return;
          }
        } catch {
          // a partial line; wait for the rest
        }
      }
    });
  });
}

/** Every JSON log line the child prints, parsed, as it arrives (partial lines held until complete). */
export function collectLogLines(child: ChildProcess): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop()!;
    for (const line of complete) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return lines;
}

/**
 * `serve --app agent --agent-provider cascade` on a loopback port, its chat model the fake at `chat`
 * (the server's PocketSphinx and voice around it); `extra` flags and `env` added.
 */
export function spawnCascadeAgent(
  chat: { baseUrl: string; apiKey: string },
  greeting: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): ChildProcess {
  return spawnCli(
    [
      'serve',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--app',
      'agent',
      '--agent-provider',
      'cascade',
      '--llm-url',
      chat.baseUrl,
      '--agent-greeting',
      greeting,
      ...extra,
    ],
    { LLM_API_KEY: chat.apiKey, OPENAI_API_KEY: '', ...env },
  );
}
