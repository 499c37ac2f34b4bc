/**
 * The silence that ends an utterance, kept from an engine that decodes our utterances. Our detector
 * calls speech ended only after a hangover of unvoiced frames (500 ms, or 320 with RNNoise in front:
 * detector-hangover.ts; a pause between words is not the end), and
 * a decoder spends as much on those frames as on speech while they can add no word. So the first
 * `tailMs` of every pause go on at once (the release of the last word), the rest is held: speech
 * that resumes releases it first, in order (a pause inside an utterance is decoded as before), and
 * the end of the utterance drops it. Pure: frames in, frames out.
 */
export class PauseHold {
  private held: Buffer[] = [];
  private pauseMs = 0;

  constructor(private readonly tailMs: number) {}

  /** A frame of the utterance, `frameMs` long; `send` gets what goes to the engine now, in order. */
  push(frame: Buffer, frameMs: number, voiced: boolean, send: (pcm: Buffer) => void): void {
    if (voiced) {
      // Per frame while speech goes on: no new array unless a pause was held.
      if (this.held.length > 0) {
        for (const silence of this.held) send(silence);
        this.held = [];
      }
      this.pauseMs = 0;
      send(frame);
      return;
    }
    this.pauseMs += frameMs;
    if (this.pauseMs <= this.tailMs) send(frame);
    else this.held.push(frame);
  }

  /** The utterance ended (or a new one began): the held silence is dropped. */
  end(): void {
    this.held = [];
    this.pauseMs = 0;
  }
}
