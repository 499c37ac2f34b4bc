/**
 * One emulated call to a server whose calls transcribe with `speech` (a vendor's engine pointed at
 * its local fake): what the app saw — transcripts, speech errors, our detector's utterances — once the
 * server has ended the call's speech and closed.
 */
import { placeCall } from '../../src/emulator/call.js';
import type { CallSession } from '../../src/call/call-session.js';
import type { SpeechEngines } from '../../src/speech/engines.js';
import type { SpeechErrorEvent, TranscriptEvent } from '../../src/speech/speech-events.js';
import { startTestServer, waitFor } from './server.js';

export async function transcribingCall(speech: SpeechEngines, rate: 8000 | 16000 | 24000, said: Array<{ text: string; atMs: number }>) {
  const transcripts: TranscriptEvent[] = [];
  const errors: SpeechErrorEvent[] = [];
  /** Our detector's utterances, ms of call time. */
  const utterances: Array<{ startMs: number; endMs?: number }> = [];
  const app = (session: CallSession) => {
    session.on('speech-start', (event) => void utterances.push({ startMs: event.atMs }));
    session.on('speech-end', (event) => (utterances.at(-1)!.endMs = event.atMs));
    session.on('transcript', (event) => void transcripts.push(event));
    session.on('speech-error', (event) => void errors.push(event));
    session.transcribe();
  };
  const server = await startTestServer({ app, config: { sampleRate: rate }, speech });
  const result = await placeCall({
    answerUrl: `${server.baseUrl}/webhooks/answer`,
    durationMs: 6000,
    talk: 'skip',
    audio: { kind: 'script', utterances: said },
  });
  // The server ends the call's speech after the caller's socket has closed: let it.
  await waitFor(() => server.logs.some((line) => line.msg === 'call ended'), 3000, 'the call to end');
  await server.close();
  return { transcripts, errors, utterances, result, logs: server.logs };
}
