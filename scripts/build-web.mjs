#!/usr/bin/env node
// Bundles the dashboard and softphone (web/*.ts) with esbuild into dist/web, next to their HTML and CSS.
// The browser code imports the project's own protocol/ and audio/ modules; the `buffer` package
// stands in for Node's Buffer there. Skipped when no input changed since the last bundle: the inputs
// esbuild read (from its metafile), this script and esbuild itself, listed in dist/.web-build.json.
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const stampFile = join(root, 'dist', '.web-build.json');
const COPIED = ['dashboard.html', 'phone.html', 'styles.css', 'history.html', 'history.css'];
const OUTPUTS = ['dashboard.js', 'phone.js', 'history.js', 'worklets.js', ...COPIED];

const mtime = async (path) => (await stat(path).catch(() => undefined))?.mtimeMs;

/** Whether dist/web is older than any input of its last bundle (or missing). */
async function stale() {
  const stamp = await readFile(stampFile, 'utf8').then(JSON.parse, () => undefined);
  if (!stamp) return true;
  for (const output of OUTPUTS) if ((await mtime(join(out, output))) === undefined) return true;
  for (const input of stamp.inputs) {
    const changed = await mtime(join(root, input));
    if (changed === undefined || changed > stamp.builtAt) return true;
  }
  return false;
}

export async function buildWeb({ force = false } = {}) {
  if (!force && !(await stale())) return false;
  const builtAt = Date.now();
  await mkdir(out, { recursive: true });
  const common = {
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
    outdir: out,
    absWorkingDir: root,
  };
  const pages = await build({
    ...common,
    entryPoints: { dashboard: join(root, 'web', 'dashboard.ts'), phone: join(root, 'web', 'phone.ts'), history: join(root, 'web', 'history.ts') },
    inject: [join(root, 'web', 'buffer-shim.ts')],
  });
  // Worklets run in their own scope and need nothing injected.
  const worklets = await build({ ...common, entryPoints: { worklets: join(root, 'web', 'worklets.ts') } });
  for (const file of COPIED) await copyFile(join(root, 'web', file), join(out, file));
  // The metafile names its inputs relative to absWorkingDir (the root).
  const read = [...Object.keys(pages.metafile.inputs), ...Object.keys(worklets.metafile.inputs)];
  const inputs = [
    ...new Set([
      ...read,
      ...COPIED.map((file) => join('web', file)),
      relative(root, fileURLToPath(import.meta.url)),
      join('node_modules', 'esbuild', 'package.json'),
    ]),
  ];
  await writeFile(stampFile, JSON.stringify({ builtAt, inputs }, null, 1));
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb({ force: process.argv.includes('--force') });
