/**
 * A vendor's engine whose SDK is not installed (an optional dependency: src/vendor-sdk.ts), chosen for
 * a call: that call's `missing` speech-error, naming the package to install. The engine modules here
 * are real files outside the project, importing the real package names Node cannot find from there:
 * the error is Node's own, as a user without the SDK gets it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lazySynthesizer, lazyTranscriber } from '../../src/speech/lazy-engine.js';
import { SpeechEngineError } from '../../src/speech/speech-events.js';
import type { Synthesizer } from '../../src/speech/synthesizer.js';
import type { TranscriberFactory } from '../../src/speech/transcriber.js';
import { missingSdk, optionalSdk } from '../../src/vendor-sdk.js';

async function moduleImporting(t: { after: (fn: () => Promise<void>) => void }, sdk: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vs-missing-sdk-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'engine.mjs');
  await writeFile(file, `import '${sdk}';\nexport const loaded = true;\n`);
  return pathToFileURL(file).href;
}

test('a transcriber whose SDK is missing: a missing speech-error naming the package, on the call that chose it', async (t) => {
  const url = await moduleImporting(t, 'assemblyai');
  const factory = lazyTranscriber('assemblyai', async () => (await import(url)) as TranscriberFactory);
  const transcriber = factory.create(16000, {});
  const [error] = (await once(transcriber, 'error')) as [SpeechEngineError];
  assert.equal(error.kind, 'missing');
  assert.equal(error.job, 'stt');
  assert.equal(error.message, 'the assemblyai engine needs assemblyai (npm install assemblyai)');
  await assert.rejects(transcriber.ready());
  await transcriber.close();
});

test('a synthesizer whose SDK is missing: say() fails with a missing speech-error naming the package', async (t) => {
  const url = await moduleImporting(t, '@elevenlabs/elevenlabs-js');
  const synthesizer = lazySynthesizer('elevenlabs', async () => (await import(url)) as Synthesizer);
  await assert.rejects(
    async () => {
      for await (const chunk of synthesizer.synthesize('hello', { sampleRate: 16000 })) assert.fail(`no audio: ${chunk.length}`);
    },
    (error: unknown) =>
      error instanceof SpeechEngineError &&
      error.kind === 'missing' &&
      error.job === 'tts' &&
      error.message === 'the elevenlabs engine needs @elevenlabs/elevenlabs-js (npm install @elevenlabs/elevenlabs-js)',
  );
});

test('an SDK a module loads with itself: undefined when the package is missing, any other failure thrown as it is', async (t) => {
  const missing = await moduleImporting(t, 'openai/realtime/ws');
  assert.equal(await optionalSdk(() => import(missing)), undefined);
  const broken = await moduleImporting(t, './no-such-file.mjs');
  const error = await import(broken).catch((caught: unknown) => caught);
  assert.equal(missingSdk(error), undefined, 'a missing file is not a missing SDK');
  await assert.rejects(optionalSdk(() => import(broken)));
});
