/**
 * Every call leaves a record, end to end through the emulator: a stereo recording on the call's clock
 * and a JSON record, for an echo call and for a reply the caller talks over — the cut is where it
 * happened in the recording, the record says what was heard of the reply, and both agree with what
 * the emulator's caller heard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeCall } from '../../src/emulator/call.js';
import { echo } from '../../src/apps/echo.js';
import { bargeIn } from '../../src/apps/barge-in.js';
import { readWav } from '../../src/audio/wav.js';
import { floatToPcm16 } from '../../src/audio/pcm.js';
import type { CallRecord } from '../../src/records/call-record.js';
import type { CallSession } from '../../src/call/call-session.js';
import { startTestServer, waitFor } from '../helpers/server.js';
import { soundFrames, toneLevel } from '../helpers/audio.js';

const LONG =
  'Thank you for calling the shop. We are open from nine to six on every weekday. I can help you with your orders, your deliveries and your bills, and I will explain each of them.';

function folders() {
  const root = mkdtempSync(join(tmpdir(), 'vs-records-'));
  return { recordCalls: join(root, 'recordings'), callRecords: join(root, 'records') };
}

async function recordsIn(dir: string, count: number): Promise<CallRecord[]> {
  await waitFor(() => readdirSync(dir).filter((name) => name.endsWith('.json')).length >= count, 10_000, `${count} records in ${dir}`);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as CallRecord);
}

/** The two channels of a stereo WAV as s16le mono. */
function channels(path: string): { left: Buffer; right: Buffer; rate: number } {
  const wav = readWav(readFileSync(path));
  assert.equal(wav.channels.length, 2, 'stereo');
  return { left: floatToPcm16(wav.channels[0]!), right: floatToPcm16(wav.channels[1]!), rate: wav.sampleRate };
}

test('an echo call: the stereo recording has the caller left and the echo right, in step; the record has its digit, counters and outcome', async (t) => {
  const dirs = folders();
  const server = await startTestServer({ app: echo, config: { ...dirs } });
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    eventUrl: `${server.baseUrl}/webhooks/event`,
    durationMs: 2000,
    talk: 'skip',
    audio: { kind: 'tone', frequency: 440 },
    dtmf: [{ digit: '7', atMs: 1000 }],
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  const [record] = await recordsIn(dirs.callRecords, 1);
  assert.equal(record!.call.uuid, result.uuid);
  assert.equal(record!.call.direction, 'inbound', "from the caller's leg's event webhooks");
  assert.equal(record!.outcome.result, 'normal');
  assert.deepEqual(
    record!.dtmf.map((press) => press.digit),
    ['7'],
  );
  assert.ok(record!.stats.framesIn >= 90 && record!.stats.framesOut === record!.stats.framesIn, JSON.stringify(record!.stats));
  const recording = record!.recording!;
  assert.equal(recording.file.replace(/\.wav$/, ''), readdirSync(dirs.callRecords)[0]!.replace(/\.json$/, ''), 'the recording and the record share a name');
  const { left, right, rate } = channels(recording.path);
  assert.equal(rate, 16000);
  assert.ok(Math.abs(recording.durationMs - (record!.durationMs - recording.startMs)) <= 100, `${recording.durationMs} ms recorded`);
  // The emulator's tone is at 0.3 of full scale: a mean square of 0.045.
  assert.ok(toneLevel(left, 440, rate) > 0.01 && toneLevel(right, 440, rate) > 0.01, 'the tone both ways');
  // The echo is the caller's frame sent back as it came: the same samples at the same place.
  const leftSound = soundFrames(left, rate);
  assert.deepEqual(soundFrames(right, rate), leftSound);
  assert.ok(left.subarray(20 * 640, 60 * 640).equals(right.subarray(20 * 640, 60 * 640)), 'sample for sample');
  assert.equal(record!.analysis.status, 'skipped');
  assert.equal(record!.call.app, 'custom', 'an app given as a function, no name configured');
  assert.equal(server.server.records!.recordsDir, dirs.callRecords);
});

test('a reply the caller talks over: the cut is in the recording where the record says, and the record has the words that were heard', async (t) => {
  const dirs = folders();
  const app = (session: CallSession) => {
    // Cut at the speech start (no minimum speech length): what is under test is the record's timing, not the barge-in policy.
    bargeIn(session, 'speech', undefined, { minSpeechMs: 0 });
    session.once('connected', () => void session.say(LONG));
  };
  const server = await startTestServer({ app, config: { ...dirs } });
  t.after(() => server.close());
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 6000,
    talk: 'skip',
    record: true,
    audio: { kind: 'script', utterances: [{ text: 'stop please', atMs: 3000 }] },
  });
  assert.equal(result.accepted, true, result.problems.join('; '));
  const [record] = await recordsIn(dirs.callRecords, 1);
  const reply = record!.turns.find((turn) => turn.speaker === 'agent')!;
  assert.equal(reply.by, 'say');
  assert.equal(reply.text, LONG);
  assert.equal(reply.cut, 'barge-in');
  assert.ok(reply.heardMs! > 1000 && reply.heardMs! < reply.sentMs!, `heard ${reply.heardMs} of ${reply.sentMs} ms`);
  assert.ok(reply.heard!.length > 0 && LONG.startsWith(reply.heard!) && reply.heard!.length < LONG.length, `heard "${reply.heard}"`);
  const caller = record!.turns.find((turn) => turn.speaker === 'caller')!;
  // The caller speaks 3 s after the emulator's socket opened; ours opened a moment after theirs, and
  // caller speech is placed back from the latest frame (a frame or two of arrival jitter).
  assert.ok(caller.startMs >= 2900 && caller.startMs < 3600, `the caller spoke at ${caller.startMs} ms`);
  assert.equal(record!.interruptions.length, 1);
  const cutAtMs = record!.interruptions[0]!.atMs;
  assert.equal(reply.endMs, cutAtMs);
  assert.ok(cutAtMs >= caller.startMs && cutAtMs - caller.startMs < 200, `cut at ${cutAtMs} ms, the caller at ${caller.startMs} ms`);

  const recording = record!.recording!;
  const { left, right, rate } = channels(recording.path);
  const replySound = soundFrames(right, rate);
  const said = soundFrames(left, rate);
  const cutInRecording = cutAtMs - recording.startMs;
  // The reply's sound ends at the cut (within two frames: the one playing then, and the frame's edge) …
  const lastReplyMs = (replySound.at(-1)! + 1) * 20;
  assert.ok(Math.abs(lastReplyMs - cutInRecording) <= 40, `the reply's sound ends at ${lastReplyMs} ms, the cut is at ${cutInRecording} ms`);
  // … with silence on the app's side to the end, and the caller's words on theirs where the record has them.
  assert.ok(right.length / 2 / rate >= 5, 'the recording runs to the end of the call');
  assert.ok(Math.abs(said[0]! * 20 + recording.startMs - caller.startMs) <= 100, `the caller's first sound at ${said[0]! * 20} ms of the recording`);
  // The recording from the reply's first audio to the cut is what the record says was heard (the
  // synthesized voice begins with a moment of silence, so this counts from the record's start) …
  const playedMs = lastReplyMs - (reply.startMs - recording.startMs);
  assert.ok(Math.abs(playedMs - reply.heardMs!) <= 60, `recorded ${playedMs} ms of the reply, the record says ${reply.heardMs} ms heard`);
  // … and the sound of it is what the emulated caller heard, first sound to cut.
  const recordedMs = lastReplyMs - replySound[0]! * 20;
  const heard = soundFrames(result.heard!.pcm, result.heard!.sampleRate);
  const callerHeardMs = result.leg!.clearsAtHeardMs[0]! - heard[0]! * 20;
  assert.ok(Math.abs(callerHeardMs - recordedMs) <= 60, `the emulated caller heard ${callerHeardMs} ms of sound, the recording has ${recordedMs} ms`);
  t.diagnostic(`heard ${reply.heardMs} of ${reply.sentMs} ms: "${reply.heard}"`);
});
