/**
 * The conversation mixer and the emulated phones on injected time (ManualTime): exact, and fast.
 * Mix-minus, mute, earmuff and the switches for audio played into a leg; DTMF to the other parties;
 * a person's turn-taking (`afterSilenceMs`), key presses and hang-up; a machine's beep and voicemail;
 * the documented scenario.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameClock } from '../../src/audio/frame-clock.js';
import { ManualTime } from '../../src/audio/time-source.js';
import { Conversation, MIX_FRAME_BYTES, type Participant } from '../../src/emulator/network/conversation.js';
import { PhoneParty } from '../../src/emulator/network/phone-party.js';
import { loadScenario, parseScenario } from '../../src/emulator/network/scenario.js';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function constant(value: number): Buffer {
  const frame = Buffer.alloc(MIX_FRAME_BYTES);
  for (let i = 0; i < frame.length; i += 2) frame.writeInt16LE(value, i);
  return frame;
}

/** A party that says one value every tick, has another played into it, and keeps the first sample it heard each tick. */
function party(uuid: string, says: number, playedInto = 0): Participant & { heard: number[]; keys: string[] } {
  return {
    uuid,
    muted: false,
    earmuffed: false,
    heard: [],
    keys: [],
    say: () => (says ? constant(says) : undefined),
    played: () => (playedInto ? constant(playedInto) : undefined),
    hear(frame) {
      this.heard.push(frame.readInt16LE(0));
    },
    dtmfFrom(digit) {
      this.keys.push(digit);
    },
  };
}

function room(switches: { restAudioToSocket: boolean; earmuffBlocksOwnAudio: boolean }) {
  const time = new ManualTime();
  const conversation = new Conversation({ clock: new FrameClock(time), switches });
  const a = party('a', 1000);
  const b = party('b', 100, 10);
  conversation.join(a);
  conversation.join(b);
  /** One tick's mix, as [what a heard, what b heard]. */
  const tick = () => {
    time.advance(20);
    return [a.heard.at(-1), b.heard.at(-1)];
  };
  return { conversation, a, b, tick };
}

test('mix-minus: each party hears the others and what is played into the conversation, never itself', () => {
  const { tick } = room({ restAudioToSocket: true, earmuffBlocksOwnAudio: true });
  assert.deepEqual(tick(), [100 + 10, 1000 + 10]);
});

test('mute: nobody hears the muted party; earmuff: the earmuffed party hears nothing, its own played audio as the switch says', () => {
  const muted = room({ restAudioToSocket: true, earmuffBlocksOwnAudio: true });
  muted.a.muted = true;
  assert.deepEqual(muted.tick(), [110, 10]);

  const deaf = room({ restAudioToSocket: true, earmuffBlocksOwnAudio: true });
  deaf.b.earmuffed = true;
  assert.deepEqual(deaf.tick(), [110, 0], 'the others still hear b and what is played into b');

  const hearsOwn = room({ restAudioToSocket: true, earmuffBlocksOwnAudio: false });
  hearsOwn.b.earmuffed = true;
  assert.deepEqual(hearsOwn.tick(), [110, 10]);
});

test('restAudioToSocket off: audio played into a leg is heard by that leg only', () => {
  const { tick } = room({ restAudioToSocket: false, earmuffBlocksOwnAudio: true });
  assert.deepEqual(tick(), [100, 1000 + 10]);
});

test('a key pressed by one party is told to the others; a tap hears everyone', () => {
  const { conversation, a, b, tick } = room({ restAudioToSocket: true, earmuffBlocksOwnAudio: true });
  const tapped: number[] = [];
  conversation.tap((mix) => tapped.push(mix.readInt16LE(0)));
  conversation.dtmf('a', '7');
  assert.deepEqual([a.keys, b.keys], [[], ['7']]);
  tick();
  assert.deepEqual(tapped, [1110]);
  conversation.leave('a');
  conversation.leave('b');
  tick();
  assert.equal(tapped.length, 1, 'an empty conversation stops mixing');
});

const loud = constant(8000);
const quiet = Buffer.alloc(MIX_FRAME_BYTES);

test('a person answers a turn after the other side has spoken and then been quiet for afterSilenceMs, presses keys, hangs up', async () => {
  const phone = parseScenario({
    phones: {
      '447700900601': {
        kind: 'person',
        script: [
          { say: 'no thanks', afterSilenceMs: 200 },
          { dtmf: '29', atMs: 0 },
          { hangup: true, afterSilenceMs: 100, timeoutMs: 1000 },
        ],
      },
    },
  }).phones['447700900601']!;
  const keys: string[] = [];
  let hungUp = false;
  const person = await PhoneParty.answer(phone as never, { dtmf: (digit) => keys.push(digit), hangup: () => (hungUp = true) });
  const ticks = (frame: Buffer, n: number) => {
    const said: boolean[] = [];
    for (let i = 0; i < n; i++) {
      said.push(person.say() !== undefined);
      person.hear(frame);
    }
    return said;
  };
  assert.ok(!ticks(quiet, 50).includes(true), 'silence alone is no cue');
  ticks(loud, 10);
  assert.ok(!ticks(quiet, 9).includes(true), '180 ms of quiet is not enough');
  ticks(quiet, 1);
  assert.equal(person.say() !== undefined, true, 'it speaks on the tick after 200 ms of quiet');
  person.hear(quiet);
  // It talks its line out, then presses 2 and 9 at once (atMs passed), then waits for its hang-up cue.
  let spoken = 1;
  while (person.say() !== undefined) {
    person.hear(quiet);
    spoken++;
  }
  assert.ok(spoken > 20, `a line, not a click (${spoken} frames)`);
  person.hear(quiet);
  assert.deepEqual(keys, ['2', '9']);
  // The hang-up line hears nothing (the keys were its own): its timeout makes it go.
  ticks(quiet, 60);
  assert.equal(hungUp, true);
});

test('a machine plays its greeting, beeps when the scenario says, and keeps what it hears after the beep as the voicemail', async () => {
  const phone = parseScenario({
    default: { kind: 'machine', greeting: 'leave a message', greetingAfterMs: 100, beepAfterMs: 200, beepMs: 400, recordMs: 1000 },
  }).default!;
  let beeps = 0;
  let hungUp = false;
  const machine = await PhoneParty.answer(phone as never, { dtmf: () => {}, hangup: () => (hungUp = true), beep: () => beeps++ });
  const beepAt = machine.beepAtMs!;
  assert.ok(beepAt > 100 + 200 + 500, `the beep follows the greeting (${beepAt} ms)`);
  let tick = 0;
  while (!hungUp && tick < 1000) {
    machine.say();
    // The caller speaks only after the beep, from 100 ms after it ends.
    machine.hear(tick * 20 >= beepAt + 500 ? loud : quiet);
    if (tick * 20 === beepAt) assert.equal(beeps, 1, 'the beep callback comes at the beep');
    tick++;
  }
  assert.equal(hungUp, true, 'it hangs up after recordMs');
  assert.equal(tick * 20, beepAt + 400 + 1000, 'recordMs after the end of the beep');
  const { voicemail, voicemailAtMs, heard } = machine.recording();
  assert.equal(voicemailAtMs, beepAt + 400);
  assert.equal(voicemail!.length, (1000 / 20) * MIX_FRAME_BYTES);
  assert.equal(voicemail!.readInt16LE(0), 0, 'the first 100 ms after the beep were quiet');
  assert.equal(voicemail!.readInt16LE(6 * MIX_FRAME_BYTES), 8000);
  assert.equal(heard.length, tick * MIX_FRAME_BYTES);
});

test('the scenario in docs/emulator.md is one the emulator accepts, every kind of phone in it', async () => {
  const doc = await readFile(join(import.meta.dirname, '..', '..', 'docs', 'emulator.md'), 'utf8');
  const yaml = /```yaml\n(phones:[\s\S]*?)```/.exec(doc)![1]!;
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-scenario-'));
  await writeFile(join(dir, 'phones.yaml'), yaml);
  const scenario = await loadScenario(join(dir, 'phones.yaml'));
  assert.deepEqual(
    new Set(Object.values(scenario.phones).map((phone) => phone.kind)),
    new Set(['person', 'machine', 'busy', 'no-answer', 'reject', 'unavailable', 'unreachable']),
  );
  assert.throws(() => parseScenario({ phones: { '447700900001': { kind: 'person', script: [{ say: 'hi', atMs: -1 }] } } }), /phones\.447700900001\.script\.0/);
});
