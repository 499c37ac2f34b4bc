/**
 * Loads the app named by `--app`: a built-in, or a user's module whose default export is a
 * `CallApp` function or an `AppDefinition`. TypeScript modules load through tsx when it is installed.
 */
import { VoicesocketError } from '../errors.js';
import { errorDetail } from '../error-detail.js';
import { isModulePath } from './config.js';
import { importUserModule } from './user-module.js';
import { BUILT_IN_APPS, type AppDefinition, type CallApp } from '../apps/index.js';
import type { AnswerHook } from './answer-hook.js';

/** An app and, when its module exports one, its answer hook. */
export interface LoadedApp {
  app: CallApp;
  answer?: AnswerHook;
}

export async function loadApp(name: string, options: Record<string, unknown>): Promise<LoadedApp> {
  const builtIn = BUILT_IN_APPS[name];
  if (builtIn) return { app: await builtIn.create(options), ...(builtIn.answer ? { answer: builtIn.answer } : {}) };
  if (!isModulePath(name)) {
    throw new VoicesocketError(
      'CONFIG_INVALID',
      `--app=${JSON.stringify(name)} is not allowed; expected one of ${Object.keys(BUILT_IN_APPS).join(', ')} or a module path`,
    );
  }
  const module = await importUserModule(name, '--app');
  let exported = module.default;
  // A CommonJS module compiled from `export default` (tsc, tsx, babel) arrives as { default: app }.
  if (exported && typeof exported === 'object' && !('create' in exported) && 'default' in exported) exported = (exported as { default: unknown }).default;
  // The answer hook: `export const answer = …`, or `answer` beside `create` in the default export.
  const hook = [module.answer, (exported as { answer?: unknown } | undefined)?.answer, (module.default as { answer?: unknown } | undefined)?.answer].find(
    (candidate) => typeof candidate === 'function',
  ) as AnswerHook | undefined;
  const withHook = (app: CallApp): LoadedApp => (hook ? { app, answer: hook } : { app });
  if (typeof exported === 'function') return withHook(exported as CallApp);
  if (exported && typeof exported === 'object' && typeof (exported as AppDefinition).create === 'function') {
    try {
      return withHook(await (exported as AppDefinition).create(options));
    } catch (error) {
      // The module refused its options: the user's to fix, like a built-in app's bad option (exit 2).
      if (error instanceof VoicesocketError) throw error;
      throw new VoicesocketError('CONFIG_INVALID', `--app=${JSON.stringify(name)} refused to start: ${errorDetail(error)}`, { cause: error });
    }
  }
  throw new VoicesocketError(
    'CONFIG_INVALID',
    `--app=${JSON.stringify(name)} is not allowed; its default export must be a function (session) => void or { create(options) }`,
  );
}
