/**
 * The build does only what changed (scripts/build.mjs): the web bundle is made again when an input
 * esbuild read changed, and not otherwise; in a clone the CLI (what `npx voicesocket` runs there)
 * builds what changed before it starts. Built in copies, so that the dist/ the other tests run is
 * never touched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, stat, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test('in a clone, the CLI builds what changed first (npx voicesocket there runs it), and nothing when nothing did', async (t) => {
  const copy = await mkdtemp(join(tmpdir(), 'vs-clone-'));
  t.after(() => rm(copy, { recursive: true, force: true }));
  for (const path of ['bin', 'dist', 'scripts', 'src', 'web', 'package.json', 'tsconfig.json', 'tsconfig.build.json'])
    await cp(join(ROOT, path), join(copy, path), { recursive: true, preserveTimestamps: true });
  await symlink(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const cli = () => run(process.execPath, [join(copy, 'bin', 'voicesocket.js'), '--version'], { cwd: copy });
  const builtAt = async () => (await stat(join(copy, 'dist', 'web', 'phone.js'))).mtimeMs;

  const before = await builtAt();
  const unchanged = await cli();
  assert.equal(unchanged.stderr, '', 'nothing changed: nothing built');
  assert.match(unchanged.stdout, /^\d+\.\d+\.\d+\n$/);

  // An edit now, after the copied build.
  const now = new Date();
  await utimes(join(copy, 'web', 'phone.ts'), now, now);
  const changed = await cli();
  assert.match(changed.stderr, /^voicesocket: building what changed in the clone/);
  assert.ok((await builtAt()) > before, 'the softphone was bundled again');
  assert.match(changed.stdout, /^\d+\.\d+\.\d+\n$/);
  assert.equal((await cli()).stderr, '', 'built: nothing more to do');
});
