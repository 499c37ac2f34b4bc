/**
 * The package as a user gets it: `npm pack`, installed from the tarball into a fresh project, the
 * README's library example type-checked (nodenext, and node10 from CommonJS) and run. Catches what
 * in-repo tests cannot: a missing `types` condition, a file left out of `files`, an ESM-only trap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

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

test('npm pack, installed in a fresh project: the README example type-checks (ESM and CommonJS) and runs', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'vs-pack-'));
  // npm test has just built dist/; packing must not rebuild (and cannot change what was tested).
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
  const tarball = join(work, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
  const project = join(work, 'consumer');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  // From the cache npm ci filled; the registry only for what is missing.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball, '@types/node@20'], {
    cwd: project,
    timeout: 240_000,
  });

  const port = await freePort();
  const example = await readmeExample(port);
  await writeFile(join(project, 'example.mts'), example);
  await writeFile(join(project, 'example.mjs'), example);
  await run(
    process.execPath,
    [TSC, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', 'example.mts'],
    { cwd: project },
  );

  // CommonJS with the oldest resolution still in use: types through `types`/`typesVersions`, the module through import().
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

  const child = spawn(process.execPath, ['example.mjs'], { cwd: project, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  // Bound with a reason: a cold start of fastify and pino takes well under a second; 15 s is a hang.
  const deadline = Date.now() + 15_000;
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
