/**
 * A full disk for the I/O fault tests: a 96 KiB tmpfs, about 1.5 s of one call's two 16 kHz tracks.
 * Needs root (CI and the development machines run as root); undefined where it cannot be mounted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function smallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'vs-full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}
