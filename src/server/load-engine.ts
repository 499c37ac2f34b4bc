/**
 * Loads the speech engines the user wrote (`--stt ./my-stt.js`, `--tts ./my-tts.js`; docs/speech.md
 * "Your own engine") and registers them, guarded, under their path and their own `engine` name. A
 * module that is missing, does not load or does not have the documented shape stops the server at
 * start with one line naming the setting.
 */
import { VoicesocketError } from '../errors.js';
import type { SpeechEngines } from '../speech/engines.js';
import type { Synthesizer } from '../speech/synthesizer.js';
import type { TranscriberFactory } from '../speech/transcriber.js';
import { isModulePath } from './config.js';
import { importUserModule } from './user-module.js';

/** The default export, unwrapped from a CommonJS module compiled from `export default`. */
function defaultExport(module: { default?: unknown }): unknown {
  const exported = module.default;
  return exported && typeof exported === 'object' && 'default' in exported && !('engine' in exported) ? (exported as { default: unknown }).default : exported;
}

/** The module at `path`, if its default export has `engine` (a string) and the method the job needs. */
async function engineModule(path: string, setting: string, method: 'create' | 'synthesize', shape: string): Promise<{ engine: string }> {
  const exported = defaultExport(await importUserModule(path, setting)) as Record<string, unknown> | undefined;
  if (!exported || typeof exported.engine !== 'string' || typeof exported[method] !== 'function')
    throw new VoicesocketError('CONFIG_INVALID', `${setting}=${JSON.stringify(path)} is not allowed; its default export must be ${shape} (docs/speech.md)`);
  return exported as { engine: string };
}

export async function loadSpeechModules(settings: { speechToText: string; textToSpeech: string }, engines: SpeechEngines): Promise<void> {
  if (isModulePath(settings.speechToText)) {
    const engine = await engineModule(settings.speechToText, '--stt', 'create', '{ engine: string, create(callRate, options) }');
    engines.register('stt', [settings.speechToText, engine.engine], engine as TranscriberFactory);
  }
  if (isModulePath(settings.textToSpeech)) {
    const engine = await engineModule(settings.textToSpeech, '--tts', 'synthesize', '{ engine: string, synthesize(text, options) }');
    engines.register('tts', [settings.textToSpeech, engine.engine], engine as Synthesizer);
  }
}
