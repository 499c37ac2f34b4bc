/**
 * The official Voice API client (`@vonage/voice`) from the server's settings: the application's id and
 * private key sign each request (an RS256 JWT the SDK makes), and the API host may be a region's or
 * the emulator's. No credentials, no client: the server then answers calls but places none.
 */
import { Auth } from '@vonage/auth';
import { Voice } from '@vonage/voice';

export interface VonageCredentials {
  applicationId: string | undefined;
  privateKey: string | undefined;
  apiHost?: string | undefined;
}

export function vonageVoice(credentials: VonageCredentials): Voice | undefined {
  const { applicationId, privateKey, apiHost } = credentials;
  if (!applicationId || !privateKey) return undefined;
  return new Voice(new Auth({ applicationId, privateKey }), apiHost ? { apiHost: apiHost.replace(/\/+$/, '') } : {});
}
