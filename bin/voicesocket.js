#!/usr/bin/env node
// The published entry point runs the compiled CLI. In a clone (its build scripts beside it, which the
// package does not ship) what changed since the last build is built first: `npx voicesocket` there,
// which npm runs from the clone itself, runs the CLI as the sources are now.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const build = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url));
if (existsSync(build)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const { changedSinceBuild } = await import('../scripts/stale.mjs');
  if (changedSinceBuild(root)) {
    process.stderr.write('voicesocket: building what changed in the clone (npm run build)\n');
    const built = spawnSync(process.execPath, [build], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
}
await import('../dist/cli/main.js');
