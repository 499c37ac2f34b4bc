import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeCall } from '../../src/emulator/call.js';
import type { CallSession } from '../../src/call/call-session.js';
import { startTestServer } from '../helpers/server.js';

/** A quiet second, then loud hiss (about -20 dBFS, seeded) for two: noise WebRTC's model has not learnt yet. */
function hiss(): Buffer {
  const rate = 16000;
  const pcm = Buffer.alloc(rate * 2 * 3);
  let state = 11;
  for (let i = rate * 2; i + 1 < pcm.length; i += 2) {
    state = (state * 1103515245 + 12345) >>> 0;
    pcm.writeInt16LE(Math.round((state / 2 ** 32 - 0.5) * 2 * 3000 * Math.sqrt(3)), i);
  }
  return pcm;
}

/** A server whose app listens and writes down the speech starts of its one call. */
async function callWith(config: { vad: 'webrtc' | 'silero'; noiseSuppression?: boolean }) {
  const starts: number[] = [];
  let detector = '';
  const app = (session: CallSession) => {
    void session.listen();
    session.on('speech-start', ({ atMs }) => starts.push(atMs));
    session.on('speech-error', (error) => (detector = `error: ${error.message}`));
  };
  const server = await startTestServer({ app, config });
  try {
    await placeCall({ answerUrl: `${server.baseUrl}/webhooks/answer`, durationMs: 3000, talk: 'skip', audio: { kind: 'pcm', pcm: hiss() } });
  } finally {
    await server.close();
  }
  return { starts, detector };
}

test('--vad picks the detector of every call: the same hiss starts speech with webrtc, not with silero (with or without suppression)', async () => {
  const [webrtc, silero, cleaned] = await Promise.all([
    callWith({ vad: 'webrtc' }),
    callWith({ vad: 'silero' }),
    callWith({ vad: 'silero', noiseSuppression: true }),
  ]);
  assert.equal(webrtc.detector, '');
  assert.ok(webrtc.starts.length > 0 && webrtc.starts[0]! >= 1000, `webrtc: ${webrtc.starts.join(', ')}`);
  assert.deepEqual(silero, { starts: [], detector: '' });
  assert.deepEqual(cleaned, { starts: [], detector: '' });
});
