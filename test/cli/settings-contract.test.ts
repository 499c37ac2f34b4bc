/**
 * The settings contract, table-driven over every setting: each works as a flag and as an environment
 * variable, the flag beats the environment, and each bad value exits 2 with one line naming it.
 * A new setting is covered the moment it is added to the table; one that does not work both ways
 * fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { SETTINGS, loadConfig, type Setting } from '../../src/server/settings.js';
import { VoicesocketError } from '../../src/errors.js';
import { addServeOptions, settingsFromFlags } from '../../src/cli/serve.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { settingsBlock, withBlock } from '../helpers/settings-table.js';

/** Settings that need another one to be valid (the socket token only travels behind verified webhooks). */
const COMPANIONS: Record<string, Record<string, string>> = {
  socketToken: { VONAGE_SIGNATURE_SECRET: 'a-companion-secret' },
  speechToText: { DEEPGRAM_API_KEY: 'a-companion-deepgram-key' },
  textToSpeech: { DEEPGRAM_API_KEY: 'a-companion-deepgram-key' },
};
const companionsFor = (items: Setting[]) => Object.assign({}, ...items.map((item) => COMPANIONS[item.key] ?? {})) as Record<string, string>;
/** The variables of every setting cleared, so the machine's own environment cannot leak in. */
const CLEAN_ENV = Object.fromEntries(SETTINGS.flatMap((item) => [item.env, ...(item.aliases ?? [])]).map((name) => [name, undefined]));
const flagName = (item: Setting) => item.flag.split(' ')[0]!;

function expected(item: Setting): unknown {
  return item.secret ? '(set)' : item.parse(item.example);
}

type Printed = Record<string, { value: unknown; from: string }>;

async function printConfig(args: string[], env: Record<string, string | undefined>): Promise<Printed> {
  const { code, stdout, stderr } = await runCli(['serve', '--print-config', ...args], { ...CLEAN_ENV, ...env });
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout) as Printed;
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
  for (const item of SETTINGS) {
    assert.deepEqual(printed[item.key]?.value, expected(item), `${flagName(item)} ${item.example}`);
    assert.equal(printed[item.key]?.from, `flag ${flagName(item)}`);
  }
});

test('every setting works as an environment variable', async () => {
  const env = { ...companionsFor(SETTINGS), ...Object.fromEntries(SETTINGS.map((item) => [item.env, item.example])) };
  const printed = await printConfig([], env);
  for (const item of SETTINGS) {
    assert.deepEqual(printed[item.key]?.value, expected(item), `${item.env}=${item.example}`);
    assert.equal(printed[item.key]?.from, `environment ${item.env}`);
  }
});

test('a flag beats its environment variable (the variable is not even read)', async () => {
  const args = SETTINGS.flatMap((item) => [flagName(item), item.example]);
  const env = { ...companionsFor(SETTINGS), ...Object.fromEntries(SETTINGS.map((item) => [item.env, item.invalid])) };
  const printed = await printConfig(args, env);
  for (const item of SETTINGS) assert.deepEqual(printed[item.key]?.value, expected(item), `${flagName(item)} over ${item.env}`);
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

test("the README's tables are the settings table and the app options, row for row", () => {
  const path = join(ROOT, 'README.md');
  const readme = readFileSync(path, 'utf8');
  const block = settingsBlock();
  // UPDATE_DOCS=1: rewrite the README's block from the tables (then review the diff).
  if (process.env.UPDATE_DOCS === '1') writeFileSync(path, withBlock(readme, block));
  const current = readFileSync(path, 'utf8');
  assert.ok(current.includes(block), 'README.md differs from the settings table: run UPDATE_DOCS=1 node scripts/test.mjs test/cli/settings-contract.test.ts');
  for (const item of SETTINGS) assert.ok(block.includes(`\`${flagName(item)} `), `the block names ${flagName(item)}`);
});

test('a variable a setting also reads (GOOGLE_API_KEY for --gemini-key) works, and the main one wins', async () => {
  const gemini = SETTINGS.find((item) => item.key === 'geminiApiKey')!;
  assert.deepEqual(gemini.aliases, ['GOOGLE_API_KEY']);
  const alone = await printConfig([], { GOOGLE_API_KEY: gemini.example });
  assert.deepEqual(alone.geminiApiKey, { value: '(set)', from: 'environment GOOGLE_API_KEY' });
  const both = await printConfig([], { GOOGLE_API_KEY: gemini.invalid, GEMINI_API_KEY: gemini.example });
  assert.deepEqual(both.geminiApiKey, { value: '(set)', from: 'environment GEMINI_API_KEY' });
});

test('every setting that holds a credential is a secret, and --print-config shows none in clear', async () => {
  // Credentials by their variable's name; a URL (REDIS_URL) may carry a password too.
  const credential = (item: Setting) => /KEY|SECRET|TOKEN|PASSWORD/.test(item.env) || item.key === 'redisUrl';
  for (const item of SETTINGS.filter(credential)) assert.equal(item.secret, true, `${item.env} is a secret`);
  const secrets = SETTINGS.filter((item) => item.secret);
  assert.ok(
    secrets.some((item) => item.env === 'VONAGE_API_KEY'),
    'VONAGE_API_KEY is one (it was printed in clear)',
  );
  const env = { ...companionsFor(SETTINGS), ...Object.fromEntries(SETTINGS.map((item) => [item.env, item.example])) };
  const { stdout } = await runCli(['serve', '--print-config'], { ...CLEAN_ENV, ...env });
  for (const item of secrets) assert.ok(!stdout.includes(item.example), `${item.env}'s value is not printed`);
  for (const companion of Object.values(companionsFor(SETTINGS))) assert.ok(!stdout.includes(companion), 'a companion secret is not printed');
  // A password inside a URL that is not itself a secret (a proxy in front of a vendor) is hidden too.
  const proxied = await printConfig([], { DEEPGRAM_URL: 'https://user:hunter22@proxy.example.com/deepgram' });
  assert.equal(proxied.deepgramUrl?.value, 'https://user:***@proxy.example.com/deepgram');
});

test("--print-config checks what a start checks: the app, its options and keys, the user's modules", async () => {
  const cases = [
    [['--app', 'play'], {}, /--file is required by the play app/],
    [['--app', './no-such-app.mjs'], {}, /--app="\.\/no-such-app\.mjs" is not allowed; no such file/],
    [['--stt', './no-such-engine.mjs'], {}, /--stt="\.\/no-such-engine\.mjs" is not allowed; no such file/],
    [['--app', 'voice-menu', '--timeout', 'soon'], {}, /--timeout="soon" is not allowed/],
    [['--app', 'agent'], {}, /--agent-provider openai needs OPENAI_API_KEY \(or --openai-key\)/],
  ] as const;
  // Side by side: each is a process of its own.
  await Promise.all(
    cases.map(async ([args, env, said]) => {
      const { code, stdout, stderr } = await runCli(['serve', '--print-config', ...args], { ...CLEAN_ENV, ...env });
      assert.equal(code, 2, `${args.join(' ')}: ${stdout}${stderr}`);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.match(stderr, said);
      assert.equal(stdout, '', 'nothing printed as if it were valid');
    }),
  );
  const given = await printConfig(['--app', 'voice-menu', '--timeout', '3s'], {});
  assert.deepEqual((given.appOptions as unknown as Printed).timeout, { value: '3s', from: 'flag --timeout' });
});

test("the agent app without its provider's key stops with one line naming the variable and the flag", () => {
  const cases = [
    ['openai', {}, 'OPENAI_API_KEY (or --openai-key)'],
    ['gemini', {}, 'GEMINI_API_KEY or GOOGLE_API_KEY (or --gemini-key)'],
    ['elevenlabs', {}, 'ELEVENLABS_API_KEY (or --elevenlabs-key)'],
    ['elevenlabs', { ELEVENLABS_API_KEY: 'el-0123456789' }, 'ELEVENLABS_AGENT_ID (or --elevenlabs-agent-id)'],
    ['deepgram', {}, 'DEEPGRAM_API_KEY (or --deepgram-key)'],
    ['cascade', {}, 'LLM_API_KEY or OPENAI_API_KEY (or --llm-key or --openai-key, or a key-less --llm-url)'],
  ] as const;
  for (const [provider, env, needs] of cases) {
    assert.throws(
      () => loadConfig({ app: 'agent', agentProvider: provider }, env),
      (error: Error) => error.message.includes(`--app agent with --agent-provider ${provider} needs ${needs}`),
      provider,
    );
  }
  // What each needs, given: it starts (a local chat model needs no key).
  assert.equal(loadConfig({ app: 'agent', agentProvider: 'cascade', llmUrl: 'http://127.0.0.1:11434/v1' }, {}).agentProvider, 'cascade');
  assert.equal(loadConfig({ app: 'agent', agentProvider: 'gemini' }, { GOOGLE_API_KEY: 'AIza-0123456789' }).geminiApiKey, 'AIza-0123456789');
});
