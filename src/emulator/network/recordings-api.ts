/**
 * What the emulated phones heard, over HTTP, for tests written in any language: not a Vonage API
 * (Vonage cannot hear the far end of a call), so it lives under `/emulator/` and needs no JWT.
 *
 * - `GET /emulator/recordings[?number=447700900001]` → `{ recordings: [...] }`, oldest first
 * - `GET /emulator/recordings/{leg_uuid}/heard.wav` → everything the phone heard on that call
 * - `GET /emulator/recordings/{leg_uuid}/voicemail.wav` → a machine's voicemail (after its beep)
 */
import type { FastifyInstance } from 'fastify';
import { writeWav } from '../../audio/wav.js';
import { problem } from '../rest-problem.js';
import type { PhoneNetwork, PhoneRecording } from './phone-network.js';

function describe(recording: PhoneRecording) {
  const base = `/emulator/recordings/${recording.legUuid}`;
  return {
    leg_uuid: recording.legUuid,
    number: recording.number,
    kind: recording.kind,
    started_at: recording.startedAt,
    ended_at: recording.endedAt,
    sample_rate: recording.sampleRate,
    heard_url: `${base}/heard.wav`,
    ...(recording.voicemail ? { voicemail_url: `${base}/voicemail.wav`, voicemail_at_ms: recording.voicemailAtMs } : {}),
  };
}

export function registerRecordingsApi(app: FastifyInstance, network: PhoneNetwork): void {
  app.get<{ Querystring: { number?: string } }>('/emulator/recordings', async (request) => {
    const { number } = request.query;
    return { recordings: (number ? network.recordingsOf(number) : network.recordings).map(describe) };
  });
  app.get<{ Params: { leg: string; part: string } }>('/emulator/recordings/:leg/:part', async (request, reply) => {
    const recording = network.recordings.find((kept) => kept.legUuid === request.params.leg);
    const pcm = request.params.part === 'heard.wav' ? recording?.heard : request.params.part === 'voicemail.wav' ? recording?.voicemail : undefined;
    if (!recording || !pcm) return problem(reply, 404, 'Not Found', `no ${request.params.part} for leg ${request.params.leg}`);
    return reply.type('audio/wav').send(writeWav(pcm, recording.sampleRate));
  });
}
