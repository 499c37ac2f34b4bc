/**
 * The WAV written as audio arrives: valid at any moment, and a disk that fills in the middle of a
 * write (the kernel takes part of it and says how much, with no error) stops the writer with
 * ENOSPC, its header covering only what reached the disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavFileWriter } from '../../src/audio/wav-file-writer.js';
import { inspectWav } from '../../src/audio/wav.js';

/** A 64 KiB tmpfs (needs root, as test/faults' full-disk tests). */
function smallDisk(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'vs-wav-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

test('a write the disk takes only part of stops the writer with ENOSPC; the header covers what is on disk', async (t) => {
  const disk = smallDisk();
  if (!disk) return t.skip('cannot mount a tmpfs here (needs root)');
  t.after(() => execFileSync('umount', [disk]));
  const path = join(disk, 'call.wav');
  const writer = await WavFileWriter.create(path, 16000, 2);
  const errors: Error[] = [];
  writer.onError = (error) => errors.push(error);
  // 40 KB fits; the next 40 KB only partly (64 KiB in all); the third finds no room at all.
  const chunk = Buffer.alloc(40_000, 1);
  await writer.write(chunk);
  await writer.write(chunk);
  await writer.write(chunk);
  await writer.close();
  assert.equal(errors.length, 1, 'one error, at the first short write');
  assert.equal((errors[0] as NodeJS.ErrnoException).code, 'ENOSPC');
  const size = statSync(path).size;
  assert.ok(size < 44 + 80_000, `${size} bytes on disk`);
  const wav = inspectWav(readFileSync(path));
  assert.equal(wav.data.length, size - 44, "the header's data size is what reached the disk");
  assert.equal(readFileSync(path).readUInt32LE(40), size - 44);
});
