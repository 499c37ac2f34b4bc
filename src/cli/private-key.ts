/**
 * The application's private key, as Vonage returns it once at creation: written readable by its owner
 * only, never over an existing file (that key may belong to another application).
 */
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';

export async function writePrivateKey(preferred: string, applicationId: string, pem: string): Promise<string> {
  const path = existsSync(preferred) ? preferred.replace(/(\.key)?$/, `.${applicationId.slice(0, 8)}.key`) : preferred;
  await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
  // The mode above is filtered by the umask; 0600 is what is wanted whatever the umask.
  await chmod(path, 0o600);
  return path;
}
