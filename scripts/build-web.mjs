#!/usr/bin/env node
// Bundles the dashboard and softphone (web/*.ts) with esbuild into dist/web, next to their HTML and CSS.
// The browser code imports the project's own protocol/ and audio/ modules; the `buffer` package
// stands in for Node's Buffer there.
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
await mkdir(out, { recursive: true });
const common = { bundle: true, format: 'esm', target: 'es2022', platform: 'browser', minify: true, sourcemap: true, logLevel: 'warning', outdir: out };
await build({
  ...common,
  entryPoints: { dashboard: join(root, 'web', 'dashboard.ts'), phone: join(root, 'web', 'phone.ts'), history: join(root, 'web', 'history.ts') },
  inject: [join(root, 'web', 'buffer-shim.ts')],
});
// Worklets run in their own scope and need nothing injected.
await build({ ...common, entryPoints: { worklets: join(root, 'web', 'worklets.ts') } });
for (const file of ['dashboard.html', 'phone.html', 'styles.css', 'history.html', 'history.css']) await copyFile(join(root, 'web', file), join(out, file));
