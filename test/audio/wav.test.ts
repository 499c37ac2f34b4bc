import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inspectWav, readWav, wavToCallPcm, wavToCallPcmSlices, writeWav, WavError } from '../../src/audio/wav.js';
import { pcm16ToFloat } from '../../src/audio/pcm.js';
import { rmsDbfs } from '../../src/audio/levels.js';

const run = promisify(execFile);

test('reads the WAV encodings sox writes (8/16/24/32-bit int, float, stereo) and converts them to call PCM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-wav-'));
  const variants: Array<[string, string[]]> = [
    ['u8', ['-b', '8', '-e', 'unsigned-integer']],
    ['s16', ['-b', '16']],
    ['s24', ['-b', '24']],
    ['s32', ['-b', '32']],
    ['f32', ['-b', '32', '-e', 'floating-point']],
  ];
  for (const [name, encoding] of variants) {
    const path = join(dir, `${name}.wav`);
    await run('sox', ['-n', '-r', '44100', '-c', '2', ...encoding, path, 'synth', '0.5', 'sine', '1000', 'vol', '0.5']);
    const wav = readWav(await readFile(path));
    assert.equal(wav.sampleRate, 44100, name);
    assert.equal(wav.channels.length, 2, name);
    const pcm = wavToCallPcm(await readFile(path), 16000);
    assert.ok(Math.abs(pcm.length / 2 - 8000) <= 1, `${name}: ${pcm.length / 2} samples at 16 kHz`);
    // A -6 dBFS sine has an RMS of -9 dBFS.
    const level = rmsDbfs(pcm16ToFloat(pcm).subarray(400, 7600));
    assert.ok(Math.abs(level + 9.03) < 0.5, `${name}: ${level.toFixed(2)} dBFS`);
  }
});

test('what we write, sox reads back identically', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-wav-'));
  const pcm = Buffer.alloc(3200);
  for (let i = 0; i < 1600; i++) pcm.writeInt16LE(((i * 37) % 20000) - 10000, i * 2);
  const path = join(dir, 'out.wav');
  await writeFile(path, writeWav(pcm, 8000));
  const { stdout } = await run('sox', [path, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-'], { encoding: 'buffer' });
  assert.deepEqual(stdout, pcm);
});

test('garbage is refused with a clear error', () => {
  assert.throws(() => readWav(Buffer.from('not a wav at all')), WavError);
  const header = writeWav(Buffer.alloc(0), 8000);
  header.writeUInt16LE(2, 20); // ADPCM
  assert.throws(() => readWav(header), /unsupported WAV encoding/);
});

test('a WAV converted a slice at a time gives the same samples as converted whole', () => {
  const rate = 11025;
  const samples = Buffer.alloc((rate * 3 + 3) * 4); // 3 s and 3 frames, stereo 16-bit
  for (let i = 0; i < samples.length / 2; i++) samples.writeInt16LE(Math.round(8000 * Math.sin(i / 7)), i * 2);
  const file = writeWav(samples, rate, 2);
  for (const callRate of [8000, 16000, 24000]) {
    const slices = [...wavToCallPcmSlices(file, callRate, 250)];
    assert.ok(slices.length >= 12, `${slices.length} slices`);
    assert.deepEqual(Buffer.concat(slices), wavToCallPcm(file, callRate), `${callRate} Hz`);
  }
  assert.equal(inspectWav(file).frames, rate * 3 + 3);
});
