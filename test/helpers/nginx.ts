/**
 * A real nginx (Debian's, installed by scripts/setup.mjs) running the configuration we ship,
 * deploy/nginx/voicesocket.conf, with only its addresses changed: it listens on a free loopback port
 * and its upstream lists the instances under test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { freePort } from './ports.js';

export const SHIPPED_CONFIG = join(ROOT, 'deploy', 'nginx', 'voicesocket.conf');

function nginxBinary(): string {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(candidate)) return candidate;
  const found = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('nginx is not installed (npm run setup -- --test-deps installs it)');
  return found;
}

/** The shipped site configuration, pointed at these upstream ports and listening on `port`. */
export function siteConfig(port: number, upstreams: number[]): string {
  const shipped = readFileSync(SHIPPED_CONFIG, 'utf8');
  const servers = shipped.match(/^ {4}server 127\.0\.0\.1:\d+ (.*);$/m);
  if (!servers || !/^ {4}listen 80;$/m.test(shipped)) throw new Error('deploy/nginx/voicesocket.conf no longer has the lines this test rewrites');
  const options = servers[1];
  return shipped
    .replace(/^ {4}server 127\.0\.0\.1:\d+ .*;\n/gm, '')
    .replace(/^( {4}keepalive .*;)$/m, `${upstreams.map((upstream) => `    server 127.0.0.1:${upstream} ${options};`).join('\n')}\n$1`)
    .replace(/^ {4}listen 80;$/m, `    listen 127.0.0.1:${port};`);
}

export interface TestNginx {
  url: string;
  stop(): Promise<void>;
}

export async function startNginx(upstreams: number[]): Promise<TestNginx> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'voicesocket-nginx-'));
  writeFileSync(join(dir, 'voicesocket.conf'), siteConfig(port, upstreams));
  // The smallest main configuration around the shipped site: foreground, logs to stderr, files in dir.
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      'error_log stderr warn;',
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`),
      `  include ${join(dir, 'voicesocket.conf')};`,
      '}',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(nginxBinary(), ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk) => (errors += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${errors}`);
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not listen: ${errors}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
