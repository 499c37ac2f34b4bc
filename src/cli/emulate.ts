/**
 * `voicesocket emulate`: Vonage's Voice, Applications and Numbers APIs on this machine, with a phone
 * network behind `POST /v1/calls` whose phones a scenario describes (docs/emulator.md). Any app or
 * SDK pointed at it (`apiHost`/`restHost`) places calls that ring emulated phones; the JWT is
 * checked against the application's key. Prints where it listens, the application id and where its
 * private key is (made for the run, or the one given); then one line per call as it ends.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { VoicesocketError } from '../errors.js';
import { VonageEmulator } from '../emulator/vonage-emulator.js';
import { writeWav } from '../audio/wav.js';
import { loadScenario, parseScenario, ScenarioError, type Scenario } from '../emulator/network/scenario.js';
import type { NetworkLeg } from '../emulator/network/leg.js';
import type { PhoneRecording } from '../emulator/network/phone-network.js';
import { listenError } from '../server/listen-error.js';
import { SIGNAL_EXIT } from '../signal-exit.js';
import { parseInteger, parseUrl } from './parse.js';
import { writePrivateKey } from './private-key.js';

interface EmulateFlags {
  port: string;
  host: string;
  scenario?: string;
  applicationId?: string;
  privateKey?: string;
  apiKey?: string;
  apiSecret?: string;
  secret?: string;
  number: string;
  answerUrl?: string;
  eventUrl?: string;
  recordings?: string;
  plainWs?: boolean;
  json?: boolean;
}

async function scenarioFrom(path: string | undefined): Promise<Scenario> {
  try {
    return path ? await loadScenario(path) : parseScenario({});
  } catch (error) {
    if (error instanceof ScenarioError) throw new VoicesocketError('CONFIG_INVALID', `--scenario: ${error.message}`);
    throw error;
  }
}

/** The application's key pair: the private key given (its public half derived), or a new pair written for the run. */
async function keysFor(flags: EmulateFlags, applicationId: string): Promise<{ publicKey: string; privateKeyPath: string }> {
  if (flags.privateKey) {
    try {
      const pem = await readFile(flags.privateKey, 'utf8');
      return {
        publicKey: createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'pem' }).toString(),
        privateKeyPath: resolve(flags.privateKey),
      };
    } catch (error) {
      throw new VoicesocketError(
        'CONFIG_INVALID',
        `--private-key=${JSON.stringify(flags.privateKey)} is not allowed; expected a readable PEM private key (${(error as Error).message})`,
      );
    }
  }
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const path = await writePrivateKey(join(tmpdir(), `voicesocket-emulate-${applicationId.slice(0, 8)}.key`), applicationId, pair.privateKey);
  return { publicKey: pair.publicKey, privateKeyPath: path };
}

export function emulateCommand(): Command {
  return new Command('emulate')
    .description("run Vonage's Voice, Applications and Numbers APIs here, with emulated phones behind POST /v1/calls")
    .option('--port <port>', 'port to listen on (0: any free port)', '3030')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--scenario <file>', 'who answers which number, and how: a YAML or JSON file (docs/emulator.md)')
    .option('--application-id <id>', 'the application REST calls are signed for (default: a new one)')
    .option('--private-key <file>', "the application's private key (default: a new key pair, the private key written to a file)")
    .option('--api-key <key>', 'API key of the Applications and Numbers APIs (default: a new one)')
    .option('--api-secret <secret>', 'API secret of the Applications and Numbers APIs (default: a new one)')
    .option('--secret <secret>', 'sign webhooks and socket upgrades with this signature secret')
    .option('--number <msisdn>', "the account's number, linked to the application (random_from_number)", '447700900000')
    .option('--answer-url <url>', "the application's answer webhook")
    .option('--event-url <url>', "the application's event webhook: calls that name no event_url report here")
    .option('--recordings <dir>', 'write what each phone heard (and a machine its voicemail) as WAV files here')
    .option('--plain-ws', 'connect wss:// endpoints as ws:// (an app on this machine whose NCCO says wss://)')
    .option('--json', 'print the start-up details and each ended call as JSON lines')
    .action(async (flags: EmulateFlags) => {
      const port = parseInteger(flags.port, '--port', 0, 65535);
      const scenario = await scenarioFrom(flags.scenario);
      const webhook = (option: string, url: string | undefined) =>
        url ? { address: parseUrl(url, option), http_method: option === '--answer-url' ? 'GET' : 'POST' } : undefined;
      const answer = webhook('--answer-url', flags.answerUrl);
      const event = webhook('--event-url', flags.eventUrl);
      if (flags.recordings) await mkdir(flags.recordings, { recursive: true });
      const applicationId = flags.applicationId ?? randomUUID();
      const { publicKey, privateKeyPath } = await keysFor(flags, applicationId);
      const apiKey = flags.apiKey ?? randomBytes(4).toString('hex');
      const apiSecret = flags.apiSecret ?? randomBytes(12).toString('base64url');
      const print = (line: string, json: Record<string, unknown>) => process.stdout.write(flags.json ? `${JSON.stringify(json)}\n` : `${line}\n`);
      const emulator = new VonageEmulator({
        account: {
          apiKey,
          apiSecret,
          ...(flags.secret ? { signatureSecret: flags.secret } : {}),
          numbers: [{ country: 'GB', msisdn: flags.number, type: 'mobile-lvn', features: ['VOICE'], app_id: applicationId }],
          applications: [
            {
              id: applicationId,
              name: 'voicesocket emulate',
              keys: { public_key: publicKey },
              capabilities: {
                voice: {
                  webhooks: { ...(answer ? { answer_url: answer } : {}), ...(event ? { event_url: event } : {}) },
                  signed_callbacks: Boolean(flags.secret),
                },
              },
            } as never,
          ],
        },
        network: {
          scenario,
          ...(flags.plainWs ? { plainWs: true } : {}),
          onLegEnded: (leg: NetworkLeg) =>
            print(callLine(leg), { event: 'call-ended', uuid: leg.uuid, to: leg.to, status: leg.outcome?.status ?? 'completed', detail: leg.outcome?.detail }),
          ...(flags.recordings ? { onRecording: (recording: PhoneRecording) => void writeRecording(flags.recordings!, recording) } : {}),
        },
      });
      let baseUrl: string;
      try {
        baseUrl = await emulator.listen(port, flags.host);
      } catch (error) {
        throw listenError(error, port, flags.host);
      }
      if (/^http:\/\/0\.0\.0\.0:/.test(baseUrl)) baseUrl = baseUrl.replace('0.0.0.0', '127.0.0.1');
      print(
        [
          `voicesocket emulate: Vonage's Voice, Applications and Numbers APIs on ${baseUrl}`,
          `  application id  ${applicationId}`,
          `  private key     ${privateKeyPath}`,
          `  api key         ${apiKey}`,
          `  api secret      ${apiSecret}`,
          `  number          ${flags.number}`,
          `  scenario        ${flags.scenario ?? '(none: every number answers "Hello?")'}, ${Object.keys(scenario.phones).length} phone(s)`,
          `Point an SDK at it: apiHost and restHost = ${baseUrl} (docs/emulator.md). Ctrl-C stops it.`,
        ].join('\n'),
        { event: 'listening', baseUrl, applicationId, privateKey: privateKeyPath, apiKey, apiSecret, number: flags.number },
      );
      stopOnSignal(emulator);
    });
}

function callLine(leg: NetworkLeg): string {
  const seconds = leg.answeredAt !== undefined && leg.endedAt !== undefined ? ` after ${Math.round((leg.endedAt - leg.answeredAt) / 1000)} s` : '';
  const how = leg.outcome
    ? `${leg.outcome.status}${leg.outcome.detail ? ` (${leg.outcome.detail})` : ''}`
    : `completed${seconds}, hung up by ${leg.disconnectedBy ?? 'platform'}`;
  return `call ${leg.uuid} to ${leg.to}: ${how}`;
}

async function writeRecording(dir: string, recording: PhoneRecording): Promise<void> {
  const name = join(dir, `${recording.number.replace(/[^\w.-]/g, '_')}-${recording.legUuid}`);
  try {
    await writeFile(`${name}-heard.wav`, writeWav(recording.heard, recording.sampleRate));
    if (recording.voicemail) await writeFile(`${name}-voicemail.wav`, writeWav(recording.voicemail, recording.sampleRate));
  } catch (error) {
    process.stderr.write(`voicesocket emulate: recording of ${recording.legUuid} not written: ${(error as Error).message}\n`);
  }
}

/** SIGINT/SIGTERM: every call is hung up, then exit 0; a second signal exits at once. */
function stopOnSignal(emulator: VonageEmulator): void {
  let stopping = false;
  const stop = (signal: keyof typeof SIGNAL_EXIT) => {
    if (stopping) process.exit(SIGNAL_EXIT[signal]);
    stopping = true;
    void emulator.close().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`voicesocket emulate: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
