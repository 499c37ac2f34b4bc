import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { errorDetail, printableUrl } from '../src/error-detail.js';
import { openaiSynthesizer } from '../src/speech/openai-synthesizer.js';
import { elevenLabsSynthesizer } from '../src/speech/elevenlabs-synthesizer.js';
import { deepgramSynthesizer } from '../src/speech/deepgram-synthesizer.js';
import { VonageAccount } from '../src/provisioning/vonage-account.js';

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('a refused fetch names the reason under "fetch failed", and the URL it was reaching', async () => {
  const port = await closedPort();
  const error = await fetch(`http://127.0.0.1:${port}/hook`).then(
    () => assert.fail('no server there'),
    (failure: unknown) => failure,
  );
  assert.equal((error as Error).message, 'fetch failed', 'what a log line said on its own');
  assert.equal(
    errorDetail(error, `http://127.0.0.1:${port}/hook`),
    `fetch failed: connect ECONNREFUSED 127.0.0.1:${port} (reaching http://127.0.0.1:${port}/hook)`,
  );
});

test('the OpenAI SDK\'s "Connection error." gets its cause and the base URL', async () => {
  const port = await closedPort();
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  const error = await client.chat.completions.create({ model: 'm', messages: [] }).then(
    () => assert.fail('no server there'),
    (failure: unknown) => failure,
  );
  assert.equal((error as Error).message, 'Connection error.');
  assert.equal(
    errorDetail(error, client.baseURL),
    `Connection error: fetch failed: connect ECONNREFUSED 127.0.0.1:${port} (reaching http://127.0.0.1:${port}/v1)`,
  );
});

test('a host that does not resolve is named', async () => {
  // .invalid never resolves (RFC 2606).
  const error = await fetch('http://voicesocket-test.invalid/').then(
    () => assert.fail('resolved'),
    (failure: unknown) => failure,
  );
  assert.match(errorDetail(error), /^fetch failed: getaddrinfo (ENOTFOUND|EAI_AGAIN) voicesocket-test\.invalid$/);
});

test('every address of an AggregateError is listed, from the codes when the messages are empty', () => {
  const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}:8080`), { code: 'ECONNREFUSED', address, port: 8080 });
  // Node's connect to every address of a host: an AggregateError with an empty message and a code.
  const aggregate = Object.assign(new AggregateError([refused('::1'), refused('127.0.0.1')], ''), { code: 'ECONNREFUSED' });
  const wrapped = new TypeError('fetch failed', { cause: aggregate });
  assert.equal(errorDetail(wrapped), 'fetch failed: connect ECONNREFUSED ::1:8080, connect ECONNREFUSED 127.0.0.1:8080');
  const bare = Object.assign(new Error(''), { code: 'ECONNRESET', address: '10.0.0.1', port: 443 });
  assert.equal(errorDetail(bare), 'ECONNRESET 10.0.0.1:443');
});

test('anything thrown becomes one line; a cycle of causes ends', () => {
  assert.equal(errorDetail('plain words'), 'plain words');
  assert.equal(errorDetail(undefined), 'unknown error');
  assert.equal(errorDetail(new Error('two\nlines')), 'two lines');
  const a = new Error('outer');
  const b = new Error('inner', { cause: a });
  (a as { cause?: unknown }).cause = b;
  assert.equal(errorDetail(a), 'outer: inner');
  assert.equal(errorDetail(new Error('fetch failed', { cause: new Error('fetch failed') })), 'fetch failed', 'a repeated reason is said once');
});

test('a printed URL carries no credentials, query or fragment', () => {
  assert.equal(printableUrl('https://user:secret@api.example.com/v1/chat?key=abc#x'), 'https://api.example.com/v1/chat');
  assert.equal(errorDetail(new Error('refused'), 'wss://h.example.com/ws?token=t'), 'refused (reaching wss://h.example.com/ws)');
  assert.equal(printableUrl('not a url'), '(not a URL)');
});

/** Drains a synthesis, returning what it threw. */
async function synthesisFailure(speech: AsyncIterable<Buffer>): Promise<Error> {
  try {
    for await (const _pcm of speech) assert.fail('no audio from a closed port');
  } catch (error) {
    return error as Error;
  }
  return assert.fail('no failure');
}

test('the lines that report an unreachable vendor use it: OpenAI, ElevenLabs and Deepgram speech, the Vonage account', async () => {
  const port = await closedPort();
  const base = `http://127.0.0.1:${port}`;
  const refused = `ECONNREFUSED 127.0.0.1:${port}`;
  const openai = await synthesisFailure(openaiSynthesizer({ apiKey: 'sk-test-key', baseUrl: `${base}/v1` }).synthesize('hello', { sampleRate: 16000 }));
  assert.equal(openai.message, `cannot reach OpenAI: Connection error: fetch failed: connect ${refused} (reaching ${base}/v1)`);
  const elevenlabs = await synthesisFailure(elevenLabsSynthesizer({ apiKey: 'el-test-key', baseUrl: base }).synthesize('hello', { sampleRate: 16000 }));
  assert.ok(elevenlabs.message.includes(refused) && elevenlabs.message.endsWith(`(reaching ${base}/)`), elevenlabs.message);
  const deepgram = await synthesisFailure(deepgramSynthesizer({ apiKey: 'dg-test-key', baseUrl: base }).synthesize('hello', { sampleRate: 16000 }));
  assert.ok(deepgram.message.includes(refused) && deepgram.message.endsWith(`(reaching ${base}/)`), deepgram.message);
  const account = new VonageAccount({ apiKey: 'abcd1234', apiSecret: 'secret', apiHost: base, restHost: base });
  await assert.rejects(account.balance(), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'VS_ERR_VONAGE_UNREACHABLE');
    assert.ok(error.message.includes(`reading the balance: fetch failed: connect ${refused} (reaching ${base}/)`), error.message);
    return true;
  });
});
