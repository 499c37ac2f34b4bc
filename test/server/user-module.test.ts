/**
 * A module named by --app (or --stt, --tts) that does not load says where: the file and line of a
 * syntax error, also when it is in a file the module imports, and of an exception thrown at load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importUserModule } from '../../src/server/user-module.js';
import { runCli } from '../helpers/cli.js';

const BROKEN = 'export default (session) => {\n  session.on("audio", (frame) => session.sendAudio(frame)\n};\n';

async function folder(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'voicesocket-module-'));
}

/** The CONFIG_INVALID message `importUserModule` refuses `path` with. */
async function refusal(path: string): Promise<string> {
  return importUserModule(path, '--app').then(
    () => assert.fail(`${path} loaded`),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'VS_ERR_CONFIG_INVALID');
      assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
      return error.message;
    },
  );
}

test('a syntax error in an ES module names its file and line', async () => {
  const dir = await folder();
  const app = join(dir, 'app.mjs');
  await writeFile(app, BROKEN);
  assert.match(await refusal(app), new RegExp(`could not be loaded: ${app}:2: missing \\) after argument list$`));
});

test('a syntax error in a file the module imports names that file', async () => {
  const dir = await folder();
  await writeFile(join(dir, 'helper.mjs'), BROKEN);
  await writeFile(join(dir, 'middle.mjs'), "export { default } from './helper.mjs';\n");
  const app = join(dir, 'app.mjs');
  await writeFile(app, "import answer from './middle.mjs';\nexport default answer;\n");
  assert.match(await refusal(app), new RegExp(`${join(dir, 'helper.mjs')}:2: missing \\) after argument list$`));
});

test('a syntax error in a CommonJS module, and in TypeScript, name the file and line', async () => {
  const dir = await folder();
  const cjs = join(dir, 'app.cjs');
  await writeFile(cjs, BROKEN.replace('export default', 'module.exports ='));
  assert.match(await refusal(cjs), new RegExp(`${cjs}:2: missing \\) after argument list$`));
  const ts = join(dir, 'app.ts');
  await writeFile(ts, `const rate: number = 16000;\n${BROKEN}`);
  assert.match(await refusal(ts), new RegExp(`${ts}:4:0: Expected "\\)" but found "}"$`));
});

test('a module that throws while loading names the line that threw', async () => {
  const dir = await folder();
  const app = join(dir, 'app.mjs');
  await writeFile(app, "const settings = {};\nthrow new Error('no settings');\n");
  assert.match(await refusal(app), new RegExp(`no settings \\(at ${app}:2\\)$`));
  const json = join(dir, 'json.mjs');
  await writeFile(json, "export default () => {};\n\nJSON.parse('{ not json');\n");
  assert.match(await refusal(json), new RegExp(`${json}:3: .*JSON`));
});

test('serve --app with a syntax error exits 2 with one line naming the file and line', async () => {
  const dir = await folder();
  const app = join(dir, 'app.mjs');
  await writeFile(app, BROKEN);
  const { code, stderr } = await runCli(['serve', '--app', app]);
  assert.equal(code, 2, stderr);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.ok(stderr.includes(`${app}:2: missing ) after argument list`), stderr);
});

test("an app module's create() that refuses its options stops the start with its words and exit 2", async () => {
  const dir = await folder();
  const app = join(dir, 'app.mjs');
  await writeFile(
    app,
    'export default { create(options) { if (options.delay === undefined) throw new Error("--delay is required"); return (call) => call.on("audio", (f) => call.sendAudio(f)); } };\n',
  );
  const refused = await runCli(['serve', '--print-config', '--app', app]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^voicesocket: VS_ERR_CONFIG_INVALID: .*--app=".*app\.mjs" refused to start: --delay is required\n$/);
  const accepted = await runCli(['serve', '--print-config', '--app', app, '--delay', '5']);
  assert.equal(accepted.code, 0, accepted.stderr);
});
