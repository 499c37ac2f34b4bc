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

export async function loadSpeechModules(settings: { speechToText: string; textToSpeech: string }, engines: SpeechEngines): Promise<void> {
  if (isModulePath(settings.speechToText)) {
    const exported = defaultExport(await importUserModule(settings.speechToText, '--stt')) as Partial<TranscriberFactory> | undefined;
    if (!exported || typeof exported.engine !== 'string' || typeof exported.create !== 'function')
      throw new VoicesocketError(
        'CONFIG_INVALID',
        `--stt=${JSON.stringify(settings.speechToText)} is not allowed; its default export must be { engine: string, create(callRate, options) } (docs/speech.md)`,
      );
    engines.register('stt', [settings.speechToText, exported.engine], exported as TranscriberFactory);
  }
  if (isModulePath(settings.textToSpeech)) {
    const exported = defaultExport(await importUserModule(settings.textToSpeech, '--tts')) as Partial<Synthesizer> | undefined;
    if (!exported || typeof exported.engine !== 'string' || typeof exported.synthesize !== 'function')
      throw new VoicesocketError(
        'CONFIG_INVALID',
        `--tts=${JSON.stringify(settings.textToSpeech)} is not allowed; its default export must be { engine: string, synthesize(text, options) } (docs/speech.md)`,
      );
    engines.register('tts', [settings.textToSpeech, exported.engine], exported as Synthesizer);
  }
}
