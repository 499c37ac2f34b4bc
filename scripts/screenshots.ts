/**
 * Regenerates docs/dashboard.png and docs/phone.png: a server with a call from the emulator and one
 * from the softphone (fake microphone), photographed in headless Chromium.
 *   node --import tsx scripts/screenshots.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from '../src/server/server.js';
import { placeCall } from '../src/emulator/call.js';
import { fakeMicrophone, launchBrowser } from '../test/helpers/browser.js';
import { memoryLogger } from '../test/helpers/server.js';

const root = join(import.meta.dirname, '..');
const wav = join(mkdtempSync(join(tmpdir(), 'voicesocket-shots-')), 'mic.wav');
execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', wav, 'synth', '20', 'sine', '300:900', 'vol', '0.4']);
const server = createServer({ logger: memoryLogger().logger, config: { port: 0, host: '127.0.0.1' } });
const { port } = await server.listen();
const base = `http://127.0.0.1:${port}`;
const call = placeCall({
  answerUrl: `${base}/webhooks/answer`,
  eventUrl: `${base}/webhooks/event`,
  durationMs: 12_000,
  talk: 'skip',
  audio: { kind: 'tone', frequency: 440 },
  dtmf: [{ digit: '4', atMs: 1000 }],
});
const browser = await launchBrowser(fakeMicrophone(wav));
const phone = await browser.newPage({ viewport: { width: 1100, height: 700 } });
await phone.goto(`${base}/phone?autostart=1&fast=1`);
await phone.waitForFunction(() => window.voicesocket?.state === 'connected');
await phone.click('#keypad button:has-text("1")');
await new Promise((resolve) => setTimeout(resolve, 3000));
await phone.screenshot({ path: join(root, 'docs', 'phone.png') });
const dashboard = await browser.newPage({ viewport: { width: 1200, height: 900 } });
await dashboard.goto(`${base}/`);
await dashboard.waitForSelector('#calls tbody tr');
await new Promise((resolve) => setTimeout(resolve, 4000));
await dashboard.click('#calls tbody tr button');
await dashboard.screenshot({ path: join(root, 'docs', 'dashboard.png'), fullPage: true });
await browser.close();
await call;
await server.close();
console.log('wrote docs/dashboard.png and docs/phone.png');
