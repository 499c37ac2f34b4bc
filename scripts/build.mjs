#!/usr/bin/env node
// `npm run build` (also run by `prepare` and by setup.mjs --build): the TypeScript compiled to dist/
// and the web pages bundled into dist/web, each only where a source changed since the last build, so
// that a build with nothing to do takes a fraction of a second. `--force` builds everything again.
//   - TypeScript: `tsc --build`, whose up-to-date check reads dist/.tsbuildinfo;
//   - then files in dist/ that no source makes any more (a module deleted or renamed) are removed,
//     so that the package never ships one;
//   - the web bundle: scripts/build-web.mjs, which keeps its inputs in dist/.web-build.json;
//   - dist/.built: when this build began, for scripts/stale.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from './build-web.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const began = new Date();

const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--build', 'tsconfig.build.json', ...(force ? ['--force'] : [])],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

/** dist/x.js and dist/x.d.ts for each src/x.ts; anything else under dist/ but web/ and the build records is left over. */
function pruneLeftovers(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const fromDist = relative(join(root, 'dist'), path);
    if (entry.isDirectory()) {
      if (fromDist !== 'web') pruneLeftovers(path);
      continue;
    }
    if (dir === join(root, 'dist') && entry.name.startsWith('.')) continue;
    const source = join(root, 'src', fromDist.replace(/(\.d\.ts|\.js)$/, '.ts'));
    if (!/\.(d\.ts|js)$/.test(entry.name) || !existsSync(source)) rmSync(path);
  }
}
pruneLeftovers(join(root, 'dist'));

await buildWeb({ force });
// When this build began (a source changed during it is newer): what scripts/stale.mjs compares with.
const stamp = join(root, 'dist', '.built');
writeFileSync(stamp, `${began.toISOString()}\n`);
utimesSync(stamp, began, began);
