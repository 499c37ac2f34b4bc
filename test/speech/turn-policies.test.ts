import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BargeInPolicy } from '../../src/speech/barge-in-policy.js';
import { EndOfTurnPolicy, hangoverFor } from '../../src/speech/end-of-turn-policy.js';

/** Feeds `voiced` verdicts from `startMs`, one per 20 ms frame; returns the first decision. */
function feed(policy: BargeInPolicy, verdicts: boolean[], startMs = 0) {
  for (const [i, voiced] of verdicts.entries()) {
    const decision = policy.frame(voiced, startMs + i * 20);
    if (decision) return decision;
  }
  return undefined;
}
const voicedFor = (ms: number) => Array.from({ length: ms / 20 }, () => true);

test('without words: a cough or a short "yeah" does not interrupt; speech of minSpeechMs voiced does', () => {
  const policy = new BargeInPolicy({ minSpeechMs: 500 });
  policy.speechStart(60);
  assert.equal(feed(policy, [...voicedFor(200), false, false]), undefined, '260 ms voiced');
  policy.speechEnd();
  policy.speechStart(60);
  // Gaps do not count: 440 ms of voice over 640 ms of frames.
  const decision = feed(policy, [...voicedFor(200), ...Array.from({ length: 10 }, () => false), ...voicedFor(300)], 1000);
  assert.deepEqual(decision, { atMs: 1000 + (10 + 10 + 11) * 20, reason: 'speech', voicedMs: 500 });
  assert.equal(policy.frame(true, 2000), undefined, 'once per utterance');
});

test('with words: acknowledgements never interrupt, however long; another word does at once', () => {
  const policy = new BargeInPolicy({ words: true, minSpeechMs: 100, maxWaitForWordsMs: 1200 });
  for (const said of ['uh-huh', 'Yeah.', 'okay okay', 'mm hmm', 'All right, I see.']) {
    policy.speechStart(60);
    assert.equal(feed(policy, voicedFor(400)), undefined, said);
    assert.equal(policy.words(said, 400), undefined, said);
    assert.equal(feed(policy, voicedFor(1400), 420), undefined, `${said}: words heard, so the wait for words is over`);
    policy.speechEnd();
  }
  policy.speechStart(60);
  assert.equal(policy.words('yeah', 300), undefined);
  assert.deepEqual(policy.words('yeah but wait', 700), { atMs: 700, reason: 'words', voicedMs: 60 });
});

test('with words: speech whose words are slow to come interrupts after maxWaitForWordsMs', () => {
  const policy = new BargeInPolicy({ words: true, maxWaitForWordsMs: 1000 });
  policy.speechStart(60);
  assert.equal(feed(policy, voicedFor(900)), undefined);
  assert.equal(feed(policy, voicedFor(100), 900)?.reason, 'speech');
});

test('the acknowledgement list is configurable', () => {
  const policy = new BargeInPolicy({ words: true, acknowledgements: ["d'accord", 'oui'] });
  assert.equal(policy.isAcknowledgement("oui d'accord"), true);
  assert.equal(policy.isAcknowledgement('okay'), false);
});

test('the hangover adapts to the words: finished, continuing, a number, none', () => {
  assert.deepEqual(hangoverFor('I would like to pay my bill.'), { ms: 300, reason: 'finished' });
  assert.deepEqual(hangoverFor('that is all thanks'), { ms: 300, reason: 'finished' });
  assert.deepEqual(hangoverFor('I want to pay my bill and'), { ms: 1200, reason: 'continuing' });
  assert.deepEqual(hangoverFor('so um'), { ms: 1200, reason: 'continuing' });
  assert.deepEqual(hangoverFor('my account number is four five six'), { ms: 1500, reason: 'number' });
  assert.deepEqual(hangoverFor('it is 4 5'), { ms: 1500, reason: 'number' });
  assert.deepEqual(hangoverFor('I want to pay my bill'), { ms: 500, reason: 'base' });
  assert.deepEqual(hangoverFor(''), { ms: 500, reason: 'base' });
  assert.deepEqual(hangoverFor('and', { continuingMs: 2000 }), { ms: 2000, reason: 'continuing' });
});

test('the turn ends where the silence reaches the hangover its words call for', () => {
  const run = (words: string) => {
    const policy = new EndOfTurnPolicy();
    let end;
    for (let i = 0; i < 150 && !end; i++) {
      if (i === 50) policy.heard(words);
      end = policy.frame(i < 50, i * 20);
    }
    return end;
  };
  // Speech ends at 1000 ms (the end of frame 49).
  assert.deepEqual(run('thank you.'), { atMs: 1280, lastVoicedMs: 1000, hangoverMs: 300, reason: 'finished' });
  assert.deepEqual(run('the number is nine'), { atMs: 2480, lastVoicedMs: 1000, hangoverMs: 1500, reason: 'number' });
  assert.deepEqual(run(''), { atMs: 1480, lastVoicedMs: 1000, hangoverMs: 500, reason: 'base' });
  assert.equal(new EndOfTurnPolicy().frame(false, 0), undefined, 'no speech, no turn to end');
});

test('an onset already as long as minSpeechMs decides at the speech start (minSpeechMs 0: the cut at onset)', () => {
  const atOnset = new BargeInPolicy({ minSpeechMs: 0 });
  assert.deepEqual(atOnset.speechStart(60, 1000), { atMs: 1000, reason: 'speech', voicedMs: 60 });
  const waiting = new BargeInPolicy();
  assert.equal(waiting.speechStart(60, 1000), undefined);
  // With words the words decide, whatever the onset.
  assert.equal(new BargeInPolicy({ minSpeechMs: 0, words: true }).speechStart(60, 1000), undefined);
});
