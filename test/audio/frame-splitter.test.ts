import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameSplitter } from '../../src/audio/frame-splitter.js';

test('property: any chunking yields exact frames whose concatenation is the input padded with silence', () => {
  fc.assert(
    fc.property(fc.constantFrom(320, 640, 960), fc.array(fc.uint8Array({ maxLength: 2500 }), { maxLength: 30 }), (size, chunks) => {
      const splitter = new FrameSplitter(size);
      const frames: Buffer[] = [];
      // Copy each frame: a pass-through frame is the caller's buffer.
      for (const chunk of chunks) splitter.push(Buffer.from(chunk), (frame) => frames.push(Buffer.from(frame)));
      const last = splitter.flush();
      if (last) frames.push(last);
      assert.ok(frames.every((frame) => frame.length === size));
      const input = Buffer.concat(chunks.map((chunk) => Buffer.from(chunk)));
      const output = Buffer.concat(frames);
      assert.equal(output.length, Math.ceil(input.length / size) * size);
      assert.deepEqual(output.subarray(0, input.length), input);
      assert.ok(
        output.subarray(input.length).every((byte) => byte === 0),
        'padding is silence',
      );
      assert.equal(splitter.pendingBytes, 0);
    }),
    { numRuns: 300 },
  );
});

test('an exact frame with nothing pending passes through without a copy', () => {
  const splitter = new FrameSplitter(640);
  const frame = Buffer.alloc(640, 7);
  let out: Buffer | undefined;
  splitter.push(frame, (f) => (out = f));
  assert.equal(out, frame);
});

test('reset drops held bytes so old audio cannot leak into the next frame', () => {
  const splitter = new FrameSplitter(320);
  splitter.push(Buffer.alloc(100, 9), () => assert.fail('no frame yet'));
  splitter.reset();
  const frames: Buffer[] = [];
  splitter.push(Buffer.alloc(320, 1), (f) => frames.push(f));
  assert.deepEqual(frames, [Buffer.alloc(320, 1)]);
  assert.throws(() => new FrameSplitter(321), RangeError);
});
