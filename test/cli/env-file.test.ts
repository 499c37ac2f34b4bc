/**
 * `.env` as Vonage's samples and dotenv write it. Node's own parser is the reference for files that
 * are right; a line that is not NAME=value it drops without a word (Node 20's ate the next setting
 * too), so ours refuses it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnv } from 'node:util';
import { parseDotEnv } from '../../src/cli/env-file.js';

const wellFormed = [
  // The shape of the Vonage Node samples' .env.example.
  'VONAGE_API_KEY=abcd1234\nVONAGE_API_SECRET=s3cr3t\nVONAGE_APPLICATION_ID=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\nVONAGE_PRIVATE_KEY=./private.key\n',
  '# comment\n\nexport PORT=3000\nGREETING="Hello there"\nNAME=\'single quoted\'\n',
  'A=1 # trailing comment\nB="x # not a comment"\nC=\n',
  'KEY="-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"\nAFTER=yes\n',
  'ESCAPED="line one\\nline two"\r\nWINDOWS=crlf\r\n',
];

for (const [index, text] of wellFormed.entries()) {
  test(`a well-formed .env reads as Node's parseEnv reads it (${index + 1})`, () => {
    assert.deepEqual(parseDotEnv(text), { ...parseEnv(text) });
  });
}

test('a line that is not NAME=value is an error naming its line, not a lost setting', () => {
  const text = 'A=1\nBROKEN\nPORT=4000\n';
  // Node 20's parser lost PORT here; from Node 24 on it drops the broken line without a word (why ours exists).
  assert.deepEqual({ ...parseEnv(text) }, { A: '1', PORT: '4000' }, "Node's parser drops the broken line silently");
  assert.throws(() => parseDotEnv(text), { code: 'VS_ERR_CONFIG_INVALID', message: /\.env line 2: "BROKEN" is not NAME=value/ });
  assert.throws(() => parseDotEnv('A="never closed\nB=2\n'), { message: /line 1: the " quote of A is never closed/ });
});
