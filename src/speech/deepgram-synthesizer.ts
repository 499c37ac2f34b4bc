/**
 * Deepgram Aura streaming speech through its official SDK (the same package and key as Deepgram's
 * transcription, so one vendor account covers both directions). A socket per utterance: `Speak` the
 * text, `Flush`, and yield each binary frame as it comes — linear16 at the call's own rate, asked for
 * in the URL, so nothing is resampled and the first words play while the rest are made. `Flushed`
 * ends the utterance; aborting sends `Clear` and closes.
 */
import type { DeepgramClient } from '@deepgram/sdk';
import { DEEPGRAM_DEFAULTS, deepgramClient, openError, within, type DeepgramOptions } from './deepgram-client.js';
import { SpeechEngineError } from './speech-events.js';
import type { SynthesizeOptions, Synthesizer } from './synthesizer.js';

type SpeakSocket = Awaited<ReturnType<DeepgramClient['speak']['v1']['connect']>>;

/**
 * Audio held from Deepgram and not yet taken, at most: the SDK's socket pushes and cannot be paused,
 * so an utterance's audio arriving faster than the call takes it is held — a minute of it (1.9 MB at
 * 16 kHz) is more than any utterance of a reply; past it the stream is cut, a speech error.
 */
const MAX_HELD_SECONDS = 60;

/** What the socket has given and not yet been taken: audio in order, then the end or a failure. */
class Inbox {
  private readonly items: Array<{ data: Promise<Buffer>; bytes: number }> = [];
  private held = 0;
  private done = false;
  private failure: SpeechEngineError | undefined;
  private wake: (() => void) | undefined;

  /** @param maxHeldBytes past this much audio waiting, the stream fails (`overflow` is told) */
  constructor(
    private readonly maxHeldBytes: number,
    private readonly overflow: () => void,
  ) {}

  push(data: Promise<Buffer>, bytes: number): void {
    if (this.done) return;
    this.held += bytes;
    if (this.held > this.maxHeldBytes) {
      this.end(new SpeechEngineError('tts', 'deepgram', 'failed', `Deepgram sent more than ${MAX_HELD_SECONDS} s of audio ahead of playback; cut`));
      return this.overflow();
    }
    this.items.push({ data, bytes });
    this.wake?.();
  }

  end(failure?: SpeechEngineError): void {
    if (this.done) return;
    this.done = true;
    this.failure = failure;
    this.wake?.();
  }

  async *drain(answerTimeoutMs: number): AsyncGenerator<Buffer> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        this.held -= next.bytes;
        yield await next.data;
        continue;
      }
      if (this.done) {
        if (this.failure) throw this.failure;
        return;
      }
      const woken = new Promise<void>((resolve) => (this.wake = resolve));
      await within(woken, answerTimeoutMs, () => new SpeechEngineError('tts', 'deepgram', 'timeout', `Deepgram sent nothing for ${answerTimeoutMs / 1000} s`));
      this.wake = undefined;
    }
  }
}

async function* deepgramSpeech(text: string, options: SynthesizeOptions, settings: DeepgramOptions): AsyncGenerator<Buffer> {
  const connectTimeoutMs = settings.connectTimeoutMs ?? DEEPGRAM_DEFAULTS.connectTimeoutMs;
  const answerTimeoutMs = settings.answerTimeoutMs ?? DEEPGRAM_DEFAULTS.answerTimeoutMs;
  let socket: SpeakSocket | undefined;
  const inbox = new Inbox(MAX_HELD_SECONDS * options.sampleRate * 2, () => socket?.close());
  let flushed = false;
  const abort = () => {
    if (socket?.readyState === 1) socket.sendClear({ type: 'Clear' });
    socket?.close();
    inbox.end();
  };
  try {
    socket = await deepgramClient('tts', settings).speak.v1.connect({
      model: options.voice ?? settings.voice ?? DEEPGRAM_DEFAULTS.voice,
      encoding: 'linear16',
      sample_rate: String(options.sampleRate),
      reconnectAttempts: 0,
      connectionTimeoutInSeconds: connectTimeoutMs / 1000,
    });
    socket.on('message', (message) => {
      if (message instanceof Blob)
        inbox.push(
          message.arrayBuffer().then((data) => Buffer.from(data)),
          message.size,
        );
      else if (typeof message === 'object' && message.type === 'Flushed') {
        flushed = true;
        inbox.end();
      }
    });
    let opened = false;
    socket.on('open', () => (opened = true));
    socket.on('close', (event) => {
      // Before it opened, a close is the handshake failing: the open's rejection says why.
      if (opened && !flushed && !options.signal?.aborted) {
        inbox.end(new SpeechEngineError('tts', 'deepgram', 'disconnected', `Deepgram closed the stream before the speech was done (${event.code})`));
      }
    });
    socket.connect();
    await within(
      socket.waitForOpen(),
      connectTimeoutMs,
      () => new SpeechEngineError('tts', 'deepgram', 'timeout', `Deepgram did not open within ${connectTimeoutMs / 1000} s`),
    );
  } catch (error) {
    socket?.close();
    throw openError('tts', error, settings.baseUrl);
  }
  if (options.signal?.aborted) return abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    socket.sendText({ type: 'Speak', text });
    socket.sendFlush({ type: 'Flush' });
    // linear16 frames need not end on a sample: carry an odd byte to the next frame.
    let carry: Buffer | undefined;
    for await (let chunk of inbox.drain(answerTimeoutMs)) {
      if (carry) chunk = Buffer.concat([carry, chunk]);
      carry = chunk.length % 2 === 1 ? chunk.subarray(chunk.length - 1) : undefined;
      const whole = carry ? chunk.subarray(0, chunk.length - 1) : chunk;
      if (whole.length > 0) yield whole;
    }
    if (socket.readyState === 1) socket.sendClose({ type: 'Close' });
  } finally {
    options.signal?.removeEventListener('abort', abort);
    socket.close();
  }
}

export function deepgramSynthesizer(settings: DeepgramOptions): Synthesizer {
  return { engine: 'deepgram', synthesize: (text, options) => deepgramSpeech(text, options, settings) };
}
