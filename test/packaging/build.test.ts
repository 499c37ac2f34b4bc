/**
 * The build does only what changed (scripts/build.mjs): the web bundle is made again when an input
 * esbuild read changed, and not otherwise; `npx voicesocket` in the clone finds the CLI linked in
 * node_modules/.bin instead of installing the clone into npx's cache. The bundle is built in a copy
 * of the sources, so that the dist/ the other tests run is never touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readlink, rm, stat, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);

test('the web bundle is built again only when one of its inputs changed', async (t) => {
  const copy = await mkdtemp(join(tmpdir(), 'vs-build-'));
  t.after(() => rm(copy, { recursive: true, force: true }));
  for (const dir of ['scripts', 'web', 'src']) await cp(join(ROOT, dir), join(copy, dir), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const build = () => run(process.execPath, [join(copy, 'scripts', 'build-web.mjs')], { cwd: copy });
  const builtAt = async () => (await stat(join(copy, 'dist', 'web', 'phone.js'))).mtimeMs;

  await build();
  const first = await builtAt();
  await build();
  assert.equal(await builtAt(), first, 'nothing changed: the bundle is left as it is');

  // An input of the softphone's bundle (the resampler, from src/audio), as an edit would leave it.
  const later = new Date(Date.now() + 2000);
  await utimes(join(copy, 'src', 'audio', 'resampler.ts'), later, later);
  await build();
  assert.ok((await builtAt()) > first, 'an input changed: the bundle is made again');
});

test('npx voicesocket in the clone: the CLI is linked in node_modules/.bin by the build', async () => {
  const link = join(ROOT, 'node_modules', '.bin', 'voicesocket');
  assert.equal(resolve(join(ROOT, 'node_modules', '.bin'), await readlink(link)), join(ROOT, 'bin', 'voicesocket.js'));
  const { stdout } = await run('npx', ['--no-install', 'voicesocket', '--version'], { cwd: ROOT });
  assert.match(stdout.trim(), /^\d+\.\d+\.\d+$/);
});
