import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { synthesizeSpeech } from '../../src/emulator/caller-audio.js';
import type { Transcriber, TranscriberEvents } from '../../src/speech/transcriber.js';
import { UtteranceDetector } from '../../src/speech/utterance-detector.js';
import { frames } from '../helpers/audio.js';

/** Writes down what the detector tells an engine. */
class Spy extends EventEmitter<TranscriberEvents> implements Transcriber {
  readonly engine = 'spy';
  readonly calls: string[] = [];
  ready(): Promise<void> {
    return Promise.resolve();
  }
  speechStart(atMs: number): void {
    this.calls.push(`start ${atMs}`);
  }
  audio(_frame: Buffer, atMs: number, voiced?: boolean): void {
    this.calls.push(voiced ? 'voiced' : 'unvoiced');
  }
  speechEnd(atMs: number): void {
    this.calls.push(`end ${atMs}`);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

test("every frame reaches the engines with the detector's verdict: the silence before speech end is unvoiced", async () => {
  const rate = 16000;
  const { pcm } = await synthesizeSpeech('hello, how are you', rate);
  const line = Buffer.concat([Buffer.alloc(rate), pcm, Buffer.alloc(rate)]);
  const detector = await UtteranceDetector.create(rate);
  const spy = new Spy();
  const all = frames(line, 640);
  try {
    for (const [i, frame] of all.entries()) await detector.push(frame, i * 20, [spy]);
  } finally {
    detector.close();
  }
  const start = spy.calls.findIndex((c) => c.startsWith('start'));
  const end = spy.calls.findIndex((c) => c.startsWith('end'));
  assert.ok(start >= 0 && end > start, spy.calls.filter((c) => !/voiced/.test(c)).join(', '));
  assert.equal(spy.calls.filter((c) => /voiced/.test(c)).length, all.length, 'every frame, speech or not');
  const during = spy.calls.slice(start + 1, end);
  assert.ok(during.filter((c) => c === 'voiced').length >= 20, 'the speech is voiced');
  // The 500 ms of silence that ended the utterance: its last 25 frames, the one that ended it included.
  assert.deepEqual(
    during.slice(-25),
    Array.from({ length: 25 }, () => 'unvoiced'),
  );
  assert.equal(during.at(-26), 'voiced', 'the last voiced frame is where the end is counted from');
});
