/**
 * The vendors' SDKs are optional peer dependencies (package.json): an install carries none of them
 * (they weigh most of what the package would install), and each is loaded only when its engine,
 * provider or tunnel is chosen. Choosing one whose SDK is not installed gets one coded line naming the
 * npm package to install (VS_ERR_SDK_MISSING) instead of Node's resolution error. A leaf module.
 */
import { VoicesocketError } from './errors.js';

export const VENDOR_SDKS = [
  '@deepgram/sdk',
  '@elevenlabs/elevenlabs-js',
  '@google/genai',
  '@ngrok/ngrok',
  '@openai/agents-realtime',
  // OpenTelemetry's SDK and exporters: loaded only when a collector is named (docs/records.md). Its
  // API package is not among them: prom-client depends on it, so every install has it.
  '@opentelemetry/sdk-trace',
  '@opentelemetry/resources',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/exporter-trace-otlp-proto',
  'assemblyai',
  'openai',
] as const;
export type VendorSdk = (typeof VENDOR_SDKS)[number];

/** The vendor SDK whose absence made this import fail (Node could not find the package itself), if any. */
export function missingSdk(error: unknown): VendorSdk | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' || typeof message !== 'string') return undefined;
  // Node: "Cannot find package 'openai' imported from …" (a subpath import names its package too).
  return VENDOR_SDKS.find((sdk) => message.includes(`'${sdk}'`));
}

/** What to tell the user: `chosen` (such as `--stt deepgram`) needs `sdk`, and how to install it. */
export function sdkMissingText(sdk: VendorSdk, chosen: string): string {
  return `${chosen} needs ${sdk} (npm install ${sdk})`;
}

/** Loads a module that imports a vendor SDK; the SDK's absence becomes VS_ERR_SDK_MISSING naming what was chosen. */
export async function loadWithSdk<T>(chosen: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const sdk = missingSdk(error);
    if (sdk) throw new VoicesocketError('SDK_MISSING', sdkMissingText(sdk, chosen), { cause: error });
    throw error;
  }
}

/**
 * For a module that uses an SDK: loads it with the module itself (at a server's or an app's start: a
 * large SDK's import holds the event loop for a while, which calls in progress must not pay for), or
 * gives undefined when it is not installed; `installedSdk` then says so where it is used.
 */
export async function optionalSdk<T>(load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch (error) {
    if (missingSdk(error)) return undefined;
    throw error;
  }
}

/** The SDK loaded by `optionalSdk`, or VS_ERR_SDK_MISSING naming it and what `chosen` it. */
export function installedSdk<T>(loaded: T | undefined, sdk: VendorSdk, chosen: string): T {
  if (loaded === undefined) throw new VoicesocketError('SDK_MISSING', sdkMissingText(sdk, chosen));
  return loaded;
}

/** Whether `sdk` can be found from this package, without loading it (the check made at start-up). */
export function sdkInstalled(sdk: VendorSdk): boolean {
  try {
    import.meta.resolve(sdk);
    return true;
  } catch {
    return false;
  }
}

/** The SDK each vendor's speech engine loads (src/speech/engines.ts). */
const ENGINE_SDKS: Record<'stt' | 'tts', Partial<Record<string, VendorSdk>>> = {
  stt: { deepgram: '@deepgram/sdk', assemblyai: 'assemblyai', openai: 'openai' },
  tts: { deepgram: '@deepgram/sdk', elevenlabs: '@elevenlabs/elevenlabs-js', openai: 'openai' },
};

/**
 * The server's own engines (--stt, --tts) checked at start: a vendor's whose SDK is not installed
 * stops it with one line (VS_ERR_SDK_MISSING), not every call. An engine an app names for one call
 * is that call's `missing` speech-error instead (src/speech/lazy-engine.ts).
 */
export function requireEngineSdks(speechToText: string, textToSpeech: string): void {
  for (const [job, name] of [
    ['stt', speechToText],
    ['tts', textToSpeech],
  ] as const) {
    const sdk = ENGINE_SDKS[job][name];
    if (sdk && !sdkInstalled(sdk)) throw new VoicesocketError('SDK_MISSING', sdkMissingText(sdk, `--${job} ${name}`));
  }
}
