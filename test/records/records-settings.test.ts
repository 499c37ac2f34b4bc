/**
 * The records' settings that cannot work stop the server at start with one line (exit 2): a report
 * URL without its secret, an analysis model with no key and no local endpoint, a schema that is not
 * one, a folder that cannot be written. And with none of them set, a server has no records at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SETTINGS } from '../../src/server/settings.js';
import { echo } from '../../src/apps/echo.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';

/** No setting from this machine's environment leaks in (the keys above all). */
const CLEAN = { ...Object.fromEntries(SETTINGS.map((item) => [item.env, undefined])), LLM_API_KEY: undefined, LLM_BASE_URL: undefined };

async function refused(args: string[], message: RegExp): Promise<void> {
  const { code, stderr } = await runCli(['serve', '--port', '0', '--host', '127.0.0.1', ...args], CLEAN);
  assert.equal(code, 2, stderr);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /VS_ERR_CONFIG_INVALID/);
  assert.match(stderr, message);
}

test('settings that cannot work exit 2 with one line naming them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vs-records-settings-'));
  const notASchema = join(dir, 'schema.json');
  writeFileSync(notASchema, JSON.stringify({ type: 'nonsense' }));
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, '');
  await Promise.all([
    refused(['--call-report-url', 'http://127.0.0.1:9/calls'], /--call-report-url \(CALL_REPORT_URL\) needs --call-report-secret/),
    refused(['--analysis-model', 'gpt-4o-mini'], /--analysis-model needs OPENAI_API_KEY \(or LLM_API_KEY\), or --analysis-url/),
    refused(
      ['--analysis-model', 'local', '--analysis-url', 'http://127.0.0.1:11434/v1', '--analysis-schema', notASchema],
      /--analysis-schema is not a JSON Schema/,
    ),
    refused(['--record-calls', join(aFile, 'under-a-file')], /--record-calls .* expected a folder this process can write/),
  ]);
});

test('with no records setting, a server keeps no records (nothing attached to its calls)', async (t) => {
  const server = await startTestServer({ app: echo });
  t.after(() => server.close());
  assert.equal(server.server.records, undefined);
});
