/**
 * Outbound calls through the emulator's phone network (`@vonage/voice` against its REST API, every
 * request signed and checked):
 *
 * - dial-list throughput: a list of people who answer after 300 ms, say a line and hang up 2 s later,
 *   dialled by the dial-list runner (journal on disk) at a bounded concurrency. The baseline, in the
 *   same run, is the best the bound allows: the list in ⌈n / concurrency⌉ back-to-back waves of the
 *   fastest call measured. **efficiency** = that time / the run's time; the most calls in progress at
 *   once must never pass the bound.
 * - answer → first agent audio, as the callee hears it (the first sound in the phone's recording, ms
 *   after it answered): the OpenAI agent (the Agents SDK against the local Realtime server, greeting
 *   with the fake's espeak-ng voice — not a figure for OpenAI) against a baseline app that plays a
 *   ready greeting (a WAV) the moment its socket is connected: what the socket, the NCCO and the pacer
 *   cost on their own.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealtimeAgent } from '@openai/agents-realtime';
import { VonageEmulator } from '../src/emulator/vonage-emulator.js';
import type { ScenarioInput } from '../src/emulator/network/scenario.js';
import { distribution, type Distribution } from '../src/emulator/stats.js';
import { createOutboundCall } from '../src/telephony/index.js';
import { DialJournal } from '../src/telephony/dial-journal.js';
import { runDialList } from '../src/telephony/dial-list.js';
import type { CallSession } from '../src/call/call-session.js';
import { startAgent } from '../src/agents/start-agent.js';
import { pcm16RmsDbfs } from '../src/audio/levels.js';
import { sine } from '../src/audio/tone.js';
import { floatToPcm16 } from '../src/audio/pcm.js';
import { startTestServer } from '../test/helpers/server.js';
import { startFakeRealtime } from '../test/helpers/fake-openai-realtime.js';

const APPLICATION_ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
const OUR_NUMBER = '447700900000';

export interface ThroughputResult {
  calls: number;
  concurrency: number;
  seconds: number;
  callsPerMinute: number;
  /** The shortest call, s: the baseline's wave length. */
  fastestCallS: number;
  efficiency: number;
  maxInFlight: number;
  outcomes: string;
}

export interface FirstAudioResult {
  app: string;
  calls: number;
  answerToFirstAudioMs: Distribution | undefined;
}

async function rig(network: { scenario: ScenarioInput }) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const emulator = new VonageEmulator({ applicationId: APPLICATION_ID, publicKey, network });
  await emulator.listen();
  const config = {
    applicationId: APPLICATION_ID,
    vonagePrivateKey: privateKey,
    vonageApiHost: emulator.restUrl,
    vonageNumber: OUR_NUMBER,
    logLevel: 'warn' as const,
  };
  return { emulator, config };
}

const numberAt = (i: number) => `4477009${String(10_000 + i).padStart(5, '0')}`;

export async function dialThroughput(calls: number, concurrency: number): Promise<ThroughputResult> {
  const person = { kind: 'person' as const, answerAfterMs: 300, script: [{ say: 'Hello?' }, { hangup: true as const, atMs: 2000 }] };
  const { emulator, config } = await rig({ scenario: { default: person } });
  const server = await startTestServer({ config });
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-bench-dial-'));
  const journal = await DialJournal.open(join(dir, 'list.journal'));
  let inFlight = 0;
  let maxInFlight = 0;
  const durations: number[] = [];
  try {
    const rows = Array.from({ length: calls }, (_, i) => ({ line: i + 2, number: numberAt(i), context: { row: i } }));
    const started = performance.now();
    const summary = await runDialList({
      rows,
      journal,
      concurrency,
      ratePerS: 100,
      retries: 0,
      retryDelayMs: 0,
      lookup: async () => undefined,
      dial: (row) => {
        const call = createOutboundCall(server.server, { to: row.number, context: row.context });
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        void call.ended.then((result) => {
          inFlight--;
          durations.push(((result.endedAt ?? Date.now()) - result.startedAt) / 1000);
        });
        return call;
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const fastest = Math.min(...durations);
    const ideal = Math.ceil(calls / concurrency) * fastest;
    return {
      calls,
      concurrency,
      seconds,
      callsPerMinute: (calls / seconds) * 60,
      fastestCallS: fastest,
      efficiency: ideal / seconds,
      maxInFlight,
      outcomes: Object.entries(summary.outcomes)
        .filter(([, n]) => n > 0)
        .map(([outcome, n]) => `${outcome} ${n}`)
        .join(', '),
    };
  } finally {
    await journal.close();
    await rm(dir, { recursive: true, force: true });
    await server.close();
    await emulator.close();
  }
}

/** A greeting that is ready at once: 1 s of 440 Hz, the baseline's "voice". */
function readyGreeting(rate: number): Buffer {
  return floatToPcm16(sine(440, 1000, rate, 0.3));
}

export async function answerToFirstAudio(calls: number): Promise<FirstAudioResult[]> {
  const person = { kind: 'person' as const, answerAfterMs: 200, script: [{ hangup: true as const, atMs: 6000 }] };
  const { emulator, config } = await rig({ scenario: { default: person } });
  const realtime = await startFakeRealtime({ greeting: 'Hello, this is the clinic calling about your appointment.' });
  const apps: Array<[string, (call: CallSession) => void]> = [
    ['play a ready greeting (baseline)', (call) => call.once('connected', () => void call.play(readyGreeting(call.sampleRate)))],
    [
      'openai agent (local Realtime server)',
      (call) => {
        startAgent(call, {
          agent: new RealtimeAgent({ name: 'Bench', instructions: 'Be brief.' }),
          apiKey: realtime.apiKey,
          url: realtime.url,
          greeting: 'Hello, this is the clinic calling about your appointment.',
        });
      },
    ],
  ];
  const results: FirstAudioResult[] = [];
  let next = 0;
  try {
    for (const [name, app] of apps) {
      const server = await startTestServer({ config, app });
      const first: number[] = [];
      try {
        for (let i = 0; i < calls; i += 4) {
          const batch = Array.from({ length: Math.min(4, calls - i) }, () => numberAt(next++));
          await Promise.all(batch.map((number) => createOutboundCall(server.server, { to: number }).ended));
          await emulator.network.settled();
          for (const number of batch) {
            const [recording] = emulator.network.recordingsOf(number);
            if (!recording) continue;
            const frame = (recording.sampleRate / 50) * 2;
            for (let offset = 0; offset + frame <= recording.heard.length; offset += frame) {
              if (pcm16RmsDbfs(recording.heard.subarray(offset, offset + frame)) > -45) {
                first.push((offset / frame) * 20);
                break;
              }
            }
          }
        }
      } finally {
        await server.close();
      }
      results.push({ app: name, calls, answerToFirstAudioMs: distribution(first) });
    }
    return results;
  } finally {
    await realtime.close();
    await emulator.close();
  }
}
