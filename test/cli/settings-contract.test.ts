/**
 * The settings contract, table-driven over every setting: each works as a flag and as an environment
 * variable, the flag beats the environment, and each bad value exits 2 with one line naming it.
 * A new setting is covered the moment it is added to the table; one that does not work both ways
 * fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { SETTINGS, loadConfig, type Setting } from '../../src/server/settings.js';
import { VoicesocketError } from '../../src/errors.js';
import { addServeOptions, settingsFromFlags } from '../../src/cli/serve.js';
import { ROOT, runCli } from '../helpers/cli.js';

/** Settings that need another one to be valid (the socket token only travels behind verified webhooks). */
const COMPANIONS: Record<string, Record<string, string>> = {
  socketToken: { VONAGE_SIGNATURE_SECRET: 'a-companion-secret' },
  speechToText: { DEEPGRAM_API_KEY: 'a-companion-deepgram-key' },
  textToSpeech: { DEEPGRAM_API_KEY: 'a-companion-deepgram-key' },
};
const companionsFor = (items: Setting[]) => Object.assign({}, ...items.map((item) => COMPANIONS[item.key] ?? {})) as Record<string, string>;
/** The variables of every setting cleared, so the machine's own environment cannot leak in. */
const CLEAN_ENV = Object.fromEntries(SETTINGS.map((item) => [item.env, undefined]));
const flagName = (item: Setting) => item.flag.split(' ')[0]!;

function expected(item: Setting): unknown {
  return item.secret ? '(set)' : item.parse(item.example);
}

async function printConfig(args: string[], env: Record<string, string | undefined>): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await runCli(['serve', '--print-config', ...args], { ...CLEAN_ENV, ...env });
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout) as Record<string, unknown>;
}

test('every setting has an example that parses to something other than its default, and an invalid value that does not parse', () => {
  for (const item of SETTINGS) {
    assert.notEqual(item.parse(item.example), undefined, `${item.key}: example ${item.example} parses`);
    assert.equal(item.parse(item.invalid), undefined, `${item.key}: ${JSON.stringify(item.invalid)} is refused`);
  }
});

test('every setting works as a flag', async () => {
  const args = SETTINGS.flatMap((item) => [flagName(item), item.example]);
  const printed = await printConfig(args, companionsFor(SETTINGS));
  for (const item of SETTINGS) assert.deepEqual(printed[item.key], expected(item), `${flagName(item)} ${item.example}`);
});

test('every setting works as an environment variable', async () => {
  const env = { ...companionsFor(SETTINGS), ...Object.fromEntries(SETTINGS.map((item) => [item.env, item.example])) };
  const printed = await printConfig([], env);
  for (const item of SETTINGS) assert.deepEqual(printed[item.key], expected(item), `${item.env}=${item.example}`);
});

test('a flag beats its environment variable (the variable is not even read)', async () => {
  const args = SETTINGS.flatMap((item) => [flagName(item), item.example]);
  const env = { ...companionsFor(SETTINGS), ...Object.fromEntries(SETTINGS.map((item) => [item.env, item.invalid])) };
  const printed = await printConfig(args, env);
  for (const item of SETTINGS) assert.deepEqual(printed[item.key], expected(item), `${flagName(item)} over ${item.env}`);
});

/** What `serve --print-config` does with flags and an environment, in this process: commander, then loadConfig. */
function configFrom(args: string[], env: Record<string, string | undefined>) {
  const command = addServeOptions(new Command('serve')).exitOverride();
  command.parse(args, { from: 'user' });
  return loadConfig(settingsFromFlags(command.opts()), env);
}

test('every bad value is refused with one line naming the flag or the variable, and what is allowed', () => {
  for (const item of SETTINGS) {
    for (const [source, args, env] of [
      [flagName(item), [flagName(item), item.invalid], companionsFor([item])],
      [item.env, [], { ...companionsFor([item]), [item.env]: item.invalid }],
    ] as const) {
      assert.throws(
        () => configFrom([...args], { ...CLEAN_ENV, ...env }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'VS_ERR_CONFIG_INVALID', `${source}: ${error.message}`);
          assert.ok(!error.message.includes('\n'), error.message);
          assert.ok(error.message.includes(source), `${error.message} names ${source}`);
          if (!item.secret) assert.match(error.message, /expected /);
          else assert.ok(!error.message.includes(item.invalid), 'a secret is not repeated');
          return true;
        },
        `${source}=${JSON.stringify(item.invalid)}`,
      );
    }
  }
});

test('the command line turns a refused value into one line and exit 2 (a flag and a variable, through the real CLI)', async () => {
  // Every setting's refusal is checked above in this process; this is the wiring, once each way.
  const port = SETTINGS.find((item) => item.key === 'port')!;
  for (const [source, args, env] of [
    [flagName(port), [flagName(port), port.invalid], {}],
    [port.env, [], { [port.env]: port.invalid }],
  ] as const) {
    const { code, stderr } = await runCli(['serve', '--print-config', ...args], { ...CLEAN_ENV, ...env });
    assert.equal(code, 2, stderr);
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, /^voicesocket: VS_ERR_CONFIG_INVALID: .*expected /);
    assert.ok(lines[0]!.includes(source), `${lines[0]} names ${source}`);
  }
});

test('a vendor engine without its key stops the server with one line naming what is missing', async () => {
  const cases = [
    ['stt', 'deepgram', 'DEEPGRAM_API_KEY'],
    ['tts', 'deepgram', 'DEEPGRAM_API_KEY'],
    ['tts', 'openai', 'OPENAI_API_KEY'],
    ['tts', 'elevenlabs', 'ELEVENLABS_API_KEY'],
    ['stt', 'assemblyai', 'ASSEMBLYAI_API_KEY'],
    ['stt', 'openai', 'OPENAI_API_KEY'],
  ] as const;
  for (const [job, engine, variable] of cases) {
    assert.throws(
      () => loadConfig(job === 'stt' ? { speechToText: engine } : { textToSpeech: engine }, {}),
      (error: unknown) => error instanceof VoicesocketError && error.message.includes(`--${job} ${engine} needs ${variable}`),
      `${job} ${engine}`,
    );
  }
  // Through the CLI: exit 2 and one line.
  const { code, stderr } = await runCli(['serve', '--print-config', '--stt', 'deepgram'], CLEAN_ENV);
  assert.equal(code, 2, stderr);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /VS_ERR_CONFIG_INVALID.*--stt deepgram needs DEEPGRAM_API_KEY/);
});

test('the README documents every setting, flag and variable', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const item of SETTINGS) {
    assert.ok(readme.includes(`\`${flagName(item)}\``), `README names ${flagName(item)}`);
    assert.ok(readme.includes(`\`${item.env}\``), `README names ${item.env}`);
  }
});
