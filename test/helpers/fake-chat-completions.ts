/**
 * A local server speaking OpenAI's chat-completions protocol as the official `openai` SDK uses it
 * with `stream: true` (what OpenAI, Groq, Ollama and vLLM all serve), so the cascaded agent's real
 * client runs against it by its `baseURL`:
 *
 * - Request: `POST /v1/chat/completions` with `Authorization: Bearer <key>` and a JSON body
 *   (`model`, `messages`, `stream`, `tools`) — https://platform.openai.com/docs/api-reference/chat/create
 * - Streamed answer: server-sent events, each `data: <chat.completion.chunk>` with `choices[0].delta`
 *   (`role`, `content`, or `tool_calls[]` with `index`, `id`, `function.name`, `function.arguments`
 *   in pieces), the last chunk with `finish_reason` (`stop` or `tool_calls`), then `data: [DONE]` —
 *   https://platform.openai.com/docs/api-reference/chat/streaming
 * - Errors: an HTTP status with `{ "error": { "message", "type", "code" } }` (401 for a wrong key) —
 *   https://platform.openai.com/docs/guides/error-codes
 *
 * - Without `stream: true` the answer is one `chat.completion` object (`choices[0].message.content`):
 *   what post-call analysis asks for, with `response_format` (json_schema) —
 *   https://platform.openai.com/docs/api-reference/chat/object
 *
 * The "model" follows a script: the n-th user message gets the n-th turn (the last repeats), a tool's
 * result gets that turn's `then`. It streams one word per token at `tokensPerSecond` (the benchmark's
 * fixed token rate). Failures by model name: `fake-error` answers 500; `fake-stall` sends its first chunk
 * and then nothing; `fake-drop` sends one token and cuts the connection; `fake-garbage` sends an event that is not JSON.
 *
 * Hostile models, by name, each until the client goes away: `fake-endless-line` one `data:` line
 * that never ends, as fast as the socket takes it; `fake-trickle` a word every `trickleMs`, never a
 * sentence's end; `fake-runon` words as fast as the socket takes them, never a sentence's end. A turn
 * may call its tool `repeat` times in one reply, with `rawArguments` as written (a repeated key), and
 * `again` answers every tool result with the same call (a model in a loop).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ChatTurn {
  say?: string;
  call?: string;
  arguments?: Record<string, unknown>;
  /** Said after the tool's result comes back. */
  then?: string;
  /** The arguments' text exactly as sent (e.g. with a repeated key); `arguments` when unset. */
  rawArguments?: string;
  /** Tool calls in the reply (each `call` with the same arguments); 1 when unset. */
  repeat?: number;
  /** A tool's result is answered with the same call(s) again, not with `then`: a model in a loop. */
  again?: boolean;
}

export interface ChatRequestRecord {
  model: string;
  messages: Array<{ role: string; content?: string | null; tool_calls?: unknown[]; tool_call_id?: string }>;
  tools?: Array<{ type: string; function: { name: string } }>;
  /** The client went away before the answer ended (a barge-in aborts the stream). */
  aborted: boolean;
  /** Tokens sent. */
  tokens: number;
  /** Whether the client asked for a stream (the cascade) or one answer (the analysis). */
  stream: boolean;
  /** The `response_format` asked for, if any. */
  responseFormat?: unknown;
  /** The request's `max_tokens` and `tool_choice`, if it set them. */
  maxTokens?: number;
  toolChoice?: unknown;
  /** Bytes written to the client before it went away (the hostile models). */
  bytesSent: number;
  /** The answer is over: ended, or the client went away. */
  done: boolean;
}

export interface FakeChat {
  /** The base URL to give the SDK (`http://127.0.0.1:port/v1`). */
  baseUrl: string;
  apiKey: string;
  requests: ChatRequestRecord[];
  /** Requests whose answer was still open at once, at most. */
  readonly mostInFlight: number;
  close(): Promise<void>;
}

export interface FakeChatOptions {
  apiKey?: string;
  turns?: ChatTurn[];
  tokensPerSecond?: number;
  /** `fake-trickle`: one word this often, ms (default 5000: a plain idle timer of 10 s never fires). */
  trickleMs?: number;
}

function chunk(model: string, delta: Record<string, unknown>, finish: string | null = null): string {
  const body = {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

/**
 * Writes `head`, then `piece` after piece as fast as the socket drains (a chunk of `prefix` + the
 * piece + `suffix` when `prefix` is an event's start), until the client goes away.
 */
function endless(response: ServerResponse, gone: () => boolean, record: ChatRequestRecord, prefix: string, head: string, piece: string): void {
  const event = prefix !== '';
  const next = () => (event ? chunk(record.model, { content: piece }) : piece);
  const pump = () => {
    while (!gone()) {
      const data = next();
      record.bytesSent += data.length;
      record.tokens++;
      if (!response.write(data)) return void response.once('drain', pump);
    }
  };
  if (head) {
    record.bytesSent += head.length;
    response.write(head);
  }
  pump();
}

export async function startFakeChat(options: FakeChatOptions = {}): Promise<FakeChat> {
  const apiKey = options.apiKey ?? 'sk-chat-fake';
  const turns = options.turns ?? [{ say: 'Hello.' }];
  const tokenMs = 1000 / (options.tokensPerSecond ?? 50);
  const requests: ChatRequestRecord[] = [];
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let mostInFlight = 0;

  const answer = async (request: IncomingMessage, response: ServerResponse, record: ChatRequestRecord) => {
    const last = record.messages.at(-1);
    const userTurns = record.messages.filter((m) => m.role === 'user').length;
    const turn = turns[Math.max(0, Math.min(userTurns - 1, turns.length - 1))] ?? {};
    const text = last?.role === 'tool' && !turn.again ? turn.then : turn.say;
    const call = last?.role === 'tool' && !turn.again ? undefined : turn.call;
    if (record.model === 'fake-error') {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', code: null } }));
      return;
    }
    if (!record.stream) {
      if (record.model === 'fake-stall') return; // no answer at all, connection open
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: record.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text ?? '', refusal: null }, finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
      return;
    }
    let gone = false;
    // The socket outlives the request (keep-alive): its listener goes with the answer, which is over.
    const leave = () => (gone = true);
    request.socket.on('close', leave);
    response.on('close', () => {
      leave();
      request.socket.off('close', leave);
      if (!response.writableFinished) record.aborted = true;
    });
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.write(chunk(record.model, { role: 'assistant', content: '' }));
    if (record.model === 'fake-stall') return; // headers and a first chunk, then nothing, connection open
    if (record.model === 'fake-garbage') return void response.end('data: {this is not JSON\n\n');
    if (record.model === 'fake-endless-line')
      return void endless(response, () => gone, record, '', 'data: {"choices":[{"index":0,"delta":{"content":"', 'x'.repeat(64 * 1024));
    if (record.model === 'fake-runon') return void endless(response, () => gone, record, 'data: ', '', 'and then ');
    if (record.model === 'fake-trickle') {
      while (!gone) {
        await new Promise((resolve) => setTimeout(resolve, options.trickleMs ?? 5000));
        if (gone) return;
        response.write(chunk(record.model, { content: 'and ' }));
        record.tokens++;
      }
      return;
    }
    const words = (text ?? '').split(/(?<= )/).filter(Boolean);
    for (const word of words) {
      await new Promise((resolve) => setTimeout(resolve, tokenMs));
      if (gone) return;
      response.write(chunk(record.model, { content: word }));
      record.tokens++;
      if (record.model === 'fake-drop') return void request.socket.destroy();
    }
    if (call) {
      for (let index = 0; index < (turn.repeat ?? 1); index++) {
        const id = `call_${requests.length}_${index}`;
        response.write(chunk(record.model, { tool_calls: [{ index, id, type: 'function', function: { name: call, arguments: '' } }] }));
        response.write(chunk(record.model, { tool_calls: [{ index, function: { arguments: turn.rawArguments ?? JSON.stringify(turn.arguments ?? {}) } }] }));
      }
    }
    response.write(chunk(record.model, {}, call ? 'tool_calls' : 'stop'));
    response.end('data: [DONE]\n\n');
  };

  const server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/chat/completions') return void response.writeHead(404).end();
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      response.writeHead(401, { 'content-type': 'application/json' });
      return void response.end(JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } }));
    }
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString()) as Omit<ChatRequestRecord, 'aborted' | 'tokens' | 'bytesSent' | 'done' | 'stream'> & {
        max_tokens?: number;
        tool_choice?: unknown;
        stream?: boolean;
        response_format?: unknown;
      };
      const record: ChatRequestRecord = {
        model: body.model,
        messages: body.messages,
        ...(body.tools ? { tools: body.tools } : {}),
        ...(body.max_tokens !== undefined ? { maxTokens: body.max_tokens } : {}),
        ...(body.tool_choice !== undefined ? { toolChoice: body.tool_choice } : {}),
        aborted: false,
        tokens: 0,
        bytesSent: 0,
        done: false,
        stream: body.stream === true,
        ...(body.response_format ? { responseFormat: body.response_format } : {}),
      };
      requests.push(record);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      response.once('close', () => {
        inFlight--;
        record.done = true;
      });
      void answer(request, response, record);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    apiKey,
    requests,
    get mostInFlight() {
      return mostInFlight;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
