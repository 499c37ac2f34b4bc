import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFrameTag, tagFrame } from '../../src/audio/frame-tag.js';

test('a tagged frame reads back its sequence number; untagged frames almost never do', () => {
  for (const seq of [0, 1, 999, 123_456, (1 << 20) - 1]) {
    const frame = randomBytes(640);
    tagFrame(frame, seq);
    assert.equal(readFrameTag(frame), seq);
  }
  let false_positives = 0;
  for (let i = 0; i < 20_000; i++) if (readFrameTag(randomBytes(640)) >= 0) false_positives++;
  assert.ok(false_positives < 20, `${false_positives} random frames looked tagged`);
});

test('the tag changes no sample by more than one step', () => {
  const frame = randomBytes(640);
  const before = Buffer.from(frame);
  tagFrame(frame, 777);
  for (let i = 0; i < 320; i++) assert.ok(Math.abs(frame.readInt16LE(i * 2) - before.readInt16LE(i * 2)) <= 1);
});
