/**
 * What the telephony tests share: the emulator's phone network with a scenario (who answers which
 * number, and how), and a real server whose telephony reaches it through `@vonage/voice` (its
 * `apiHost` set to the emulator's REST API, the application's key checked on every request).
 */
import { generateKeyPairSync } from 'node:crypto';
import type { TestContext } from 'node:test';
import { VonageEmulator } from '../../src/emulator/vonage-emulator.js';
import type { ScenarioInput } from '../../src/emulator/network/scenario.js';
import type { EmulatorSwitches } from '../../src/emulator/switches.js';
import type { CreateServerOptions } from '../../src/server/server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

export const APPLICATION_ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
export const OUR_NUMBER = '447700900000';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
export const PRIVATE_KEY = keys.privateKey;

export async function startEmulator(t: TestContext, scenario: ScenarioInput, switches: Partial<EmulatorSwitches> = {}): Promise<VonageEmulator> {
  const emulator = new VonageEmulator({ applicationId: APPLICATION_ID, publicKey: keys.publicKey, network: { scenario }, switches });
  await emulator.listen();
  t.after(() => emulator.close());
  return emulator;
}

/** The settings a server needs to place calls through this emulator. */
export function telephonyConfig(emulator: VonageEmulator) {
  return { applicationId: APPLICATION_ID, vonagePrivateKey: PRIVATE_KEY, vonageApiHost: emulator.restUrl, vonageNumber: OUR_NUMBER };
}

/** The same as environment variables, for the CLI. */
export function telephonyEnv(emulator: VonageEmulator): NodeJS.ProcessEnv {
  return { VONAGE_APPLICATION_ID: APPLICATION_ID, VONAGE_PRIVATE_KEY: PRIVATE_KEY, VONAGE_API_HOST: emulator.restUrl, VONAGE_NUMBER: OUR_NUMBER };
}

export async function startTelephonyServer(t: TestContext, emulator: VonageEmulator, options: CreateServerOptions = {}): Promise<TestServer> {
  const server = await startTestServer({ ...options, config: { ...telephonyConfig(emulator), ...options.config } });
  t.after(() => server.close());
  return server;
}
