/**
 * A Vonage application on the emulator, for tests that place, transfer or hang up calls through the
 * REST API: a fresh RSA key pair (2048 bits, as Vonage issues) and an emulator that checks JWTs
 * signed with its private key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { VonageEmulator } from '../../src/emulator/vonage-emulator.js';

export const APPLICATION_ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';

export function applicationKeys(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/** The keys and a listening emulator of the application (close it when done). */
export async function emulatedApplication(): Promise<{ publicKey: string; privateKey: string; emulator: VonageEmulator }> {
  const keys = applicationKeys();
  const emulator = new VonageEmulator({ applicationId: APPLICATION_ID, publicKey: keys.publicKey });
  await emulator.listen();
  return { ...keys, emulator };
}
