/**
 * The NCCO `record` action on the phone network (docs/protocol.md §6.6): it records the leg's
 * conversation — every voice and everything played — in the background, from the action until the
 * call ends, `timeOut` seconds pass, the leg's party presses `endOnKey`, or `endOnSilence` seconds of
 * silence follow speech. Then it posts the `record` event, whose `recording_url` the Voice API serves
 * (`GET /v1/files/{id}`, with the application's JWT). The emulator keeps WAV whatever `format` says.
 */
import { randomUUID } from 'node:crypto';
import type { NccoAction } from '../../protocol/ncco.js';
import { pcm16RmsDbfs } from '../../audio/levels.js';
import { floatToPcm16 } from '../../audio/pcm.js';
import { sine } from '../../audio/tone.js';
import { writeWav } from '../../audio/wav.js';
import { FRAME_MS } from '../../protocol/audio-format.js';
import { MIX_RATE } from './conversation.js';
import type { NetworkLeg } from './leg.js';

/** Files kept for download; the oldest go first. */
const MAX_FILES = 100;
/** `timeOut` when the action has none: the NCCO reference's longest recording. */
const DEFAULT_TIMEOUT_S = 7200;
/** A frame louder than this is speech, for `endOnSilence`. */
const SPEECH_DBFS = -45;

export interface StoredFile {
  id: string;
  contentType: string;
  body: Buffer;
}

export interface RecorderDeps {
  /** The API base a `recording_url` is under. */
  regionUrl(leg: NetworkLeg): string;
}

export class NccoRecorder {
  private readonly files = new Map<string, StoredFile>();

  constructor(private readonly deps: RecorderDeps) {}

  file(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  start(leg: NetworkLeg, action: Extract<NccoAction, { action: 'record' }>): void {
    const id = randomUUID();
    const startedAt = Date.now();
    const frames: Buffer[] = [];
    let heardSpeech = false;
    let silentMs = 0;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      removeTap();
      removeKey();
      clearTimeout(timer);
      const body = writeWav(Buffer.concat(frames), MIX_RATE);
      this.files.set(id, { id, contentType: 'audio/wav', body });
      for (const old of [...this.files.keys()].slice(0, Math.max(0, this.files.size - MAX_FILES))) this.files.delete(old);
      leg.timeline.add('ncco', `record: ${frames.length * FRAME_MS} ms kept as ${id}`);
      leg.options.events.post(action.eventUrl?.[0] ?? leg.options.eventUrl, {
        start_time: new Date(startedAt).toISOString(),
        end_time: new Date().toISOString(),
        recording_url: `${this.deps.regionUrl(leg)}/v1/files/${id}`,
        size: body.length,
        recording_uuid: id,
        conversation_uuid: leg.conversation.uuid,
        timestamp: new Date().toISOString(),
      });
    };
    if (action.beepStart) leg.nccoAudio.start('dtmf', floatToPcm16(sine(1000, 400, MIX_RATE, 0.4)), 1, 0);
    const removeTap = leg.conversation.tap((frame) => {
      frames.push(frame);
      const voiced = pcm16RmsDbfs(frame) > SPEECH_DBFS;
      heardSpeech ||= voiced;
      silentMs = voiced ? 0 : silentMs + FRAME_MS;
      if (action.endOnSilence !== undefined && heardSpeech && silentMs >= action.endOnSilence * 1000) finish();
    });
    const removeKey = leg.onKey((digit) => {
      if (digit === action.endOnKey) finish();
    });
    const timer = setTimeout(finish, (action.timeOut ?? DEFAULT_TIMEOUT_S) * 1000);
    void leg.ended.then(finish);
  }
}
