// Whether the clone's sources changed since its last build, by the files' times (a few milliseconds):
// bin/voicesocket.js asks it in a clone, so that `npx voicesocket` there (which npm runs from the
// clone itself) runs the CLI as the sources are now; scripts/build.mjs then redoes only what changed.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
};

const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(latest, entry.isDirectory() ? newest(path) : mtime(path));
  }, 0);

/** True when a source or build setting is newer than the last build (dist/.built), or there was none. */
export function changedSinceBuild(root) {
  const built = mtime(join(root, 'dist', '.built'));
  const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'web')), mtime(join(root, 'tsconfig.json')), mtime(join(root, 'tsconfig.build.json')));
  return sources > built;
}
