/**
 * `fetch` for the chat model's client (the `openai` SDK's `fetch` option) with a cap on each
 * response's body: the SDK buffers a server-sent event until its line ends, so a model that sends one
 * endless line (3.3 GB before anything noticed) is cut here, at the bytes, before the SDK holds them.
 */

/** The body passed its cap: the stream errors with this, and the SDK's iteration throws it. */
export class ReplyTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the chat model's reply passed ${maxBytes} bytes`);
    this.name = 'ReplyTooLarge';
  }
}

export function cappedFetch(maxBytes: number): (input: string | URL | Request, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!response.body) return response;
    let seen = 0;
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > maxBytes) controller.error(new ReplyTooLarge(maxBytes));
          else controller.enqueue(chunk);
        },
      }),
      // The request's own abort (a barge-in) still ends the download.
      init?.signal ? { signal: init.signal } : {},
    );
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
