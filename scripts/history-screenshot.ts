/**
 * Regenerates docs/history.png from a real call: the cascaded agent (PocketSphinx hears the
 * emulator's speaking caller, a local chat-completions server plays the model and calls a tool, flite
 * speaks), the caller talking over the first reply, every call recorded in stereo and kept as a
 * record, analysed by a second local model; then the call history photographed in headless Chromium.
 *   node --import tsx scripts/history-screenshot.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createServer } from '../src/server/server.js';
import { placeCall } from '../src/emulator/call.js';
import { startVoiceAgent } from '../src/agents/agent-bridge.js';
import { defineTool } from '../src/agents/call-tools.js';
import { cascadeProvider } from '../src/agents/providers/cascade.js';
import { launchBrowser } from '../test/helpers/browser.js';
import { memoryLogger } from '../test/helpers/server.js';
import { startFakeChat } from '../test/helpers/fake-chat-completions.js';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'voicesocket-history-'));
const model = await startFakeChat({
  turns: [
    { say: 'Thank you for calling the shop. We are open from nine to six on every weekday, and I can help you with your orders and your deliveries.' },
    { call: 'order_status', arguments: { order: '42' }, then: 'Your order shipped on Monday.' },
  ],
});
const analyst = await startFakeChat({
  turns: [
    {
      say: JSON.stringify({
        summary: 'The caller cut the opening short and asked about an order; the agent looked it up and said it had shipped on Monday.',
        outcome: 'resolved',
        fields: { reason: 'order status', order_number: '42', callback_requested: false },
      }),
    },
  ],
});
const orderStatus = defineTool({
  name: 'order_status',
  description: 'The status of an order',
  parameters: z.object({ order: z.string() }),
  execute: ({ order }) => ({ order, status: 'shipped', on: 'Monday' }),
});
const server = createServer({
  logger: memoryLogger().logger,
  config: {
    port: 0,
    host: '127.0.0.1',
    recordCalls: join(dir, 'recordings'),
    callRecords: join(dir, 'records'),
    analysisModel: 'gpt-4o-mini',
    analysisUrl: analyst.baseUrl,
    analysisSchema: join(root, 'docs', 'examples', 'analysis-schema.json'),
    openaiApiKey: analyst.apiKey,
  },
  app: (call) =>
    void startVoiceAgent(call, {
      provider: cascadeProvider({ llm: { model: 'gpt-4o-mini', apiKey: model.apiKey, baseUrl: model.baseUrl } }),
      instructions: 'Answer briefly.',
      greeting: 'Hello! How can I help you today?',
      tools: [orderStatus],
    }),
});
const { port } = await server.listen();
const base = `http://127.0.0.1:${port}`;
await placeCall({
  answerUrl: `${base}/webhooks/answer`,
  eventUrl: `${base}/webhooks/event`,
  from: '447700900001',
  to: '447700900000',
  durationMs: 16_000,
  talk: 'skip',
  audio: {
    kind: 'script',
    utterances: [
      { text: 'hello I have a question', atMs: 2500 },
      { text: 'where is my order', atMs: 8000 },
    ],
  },
  dtmf: [{ digit: '1', atMs: 14_500 }],
});
await new Promise((resolve) => setTimeout(resolve, 3000));
const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
await page.goto(`${base}/history`);
await page.click('#history tr.call');
await page.waitForSelector('#detail svg.call-timeline');
await page.screenshot({ path: join(root, 'docs', 'history.png'), fullPage: true });
await browser.close();
await server.close();
await model.close();
await analyst.close();
console.log(`wrote docs/history.png (the call's files are in ${dir})`);
