/**
 * Imports a module the user named in a setting (`--app`, `--stt`, `--tts`): a path resolved from the
 * working directory, JavaScript as is, TypeScript through tsx when it is installed. Every way it can
 * fail is a CONFIG_INVALID error naming the setting: the server stops at start (exit 2), not at the
 * first call.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VoicesocketError } from '../errors.js';

export async function importUserModule(name: string, setting: string): Promise<{ default?: unknown; [name: string]: unknown }> {
  const path = resolve(name);
  if (!existsSync(path)) throw new VoicesocketError('CONFIG_INVALID', `${setting}=${JSON.stringify(name)} is not allowed; no such file`);
  if (/\.(c|m)?ts$/.test(path)) {
    try {
      // Both hooks: a .ts file in a CommonJS package (no "type": "module") loads through the CJS one.
      const [esm, cjs] = (await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')])) as Array<{ register: () => unknown }>;
      esm!.register();
      cjs!.register();
    } catch {
      throw new VoicesocketError(
        'CONFIG_INVALID',
        `${setting}=${JSON.stringify(name)} is TypeScript; install tsx (npm install tsx) or compile it to JavaScript`,
      );
    }
  }
  try {
    return (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new VoicesocketError('CONFIG_INVALID', `${setting}=${JSON.stringify(name)} could not be loaded: ${(error as Error).message}`, { cause: error });
  }
}
