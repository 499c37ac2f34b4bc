/**
 * A chat model's streamed tokens as sentences to speak, in linear time and bounded memory. Each token
 * is scanned once (the search resumes where the last one could not end a sentence, not at the start
 * of the pending text: rescanning it after every token took 10.7 s of main thread for 256 kB without
 * a full stop), and pending text never grows past `maxChars`: a run-on is spoken in pieces, cut at a
 * space where there is one (each synthesis request is bounded too). Pure.
 */

/** Where a sentence ends: . ! ? (and closing quotes or brackets) and the space after it, or a line break. */
const SENTENCE_END = /[.!?]+["')\]]*\s+|\n+/g;
/** Characters a sentence end may begin with and still be completed by the next token. */
const END_START = /[.!?"')\]]/;

export class SentenceSplitter {
  #pending = '';
  /** Where the next search starts: no sentence end begins before it. */
  #scanFrom = 0;

  /** @param maxChars pending text past this is given out as a piece, at its last space */
  constructor(readonly maxChars: number) {}

  /** Text held until its sentence ends. */
  get pending(): string {
    return this.#pending;
  }

  /** Adds `text`; returns the sentences (and over-long pieces) it completed, in order. */
  push(text: string): string[] {
    const before = this.#pending.length;
    this.#pending += text;
    const out: string[] = [];
    // A sentence ends with whitespace: text without any cannot end one, and is not searched. Only the
    // run of end characters at its tail may begin the next end ("!!!" then " ").
    if (!/\s/.test(text)) {
      // All end characters: the run grows, and still begins where it did.
      const run = trailingRun(text);
      if (run > 0) this.#scanFrom = before + run;
      while (this.#pending.length > this.maxChars) this.#piece(out);
      return out;
    }
    for (;;) {
      SENTENCE_END.lastIndex = this.#scanFrom;
      const end = SENTENCE_END.exec(this.#pending);
      if (end && end.index + end[0].length <= this.maxChars) {
        const cut = end.index + end[0].length;
        out.push(this.#pending.slice(0, cut));
        this.#pending = this.#pending.slice(cut);
        this.#scanFrom = 0;
        continue;
      }
      if (this.#pending.length > this.maxChars) {
        this.#piece(out);
        continue;
      }
      // No end yet: only the run of end characters at the tail could start one.
      this.#scanFrom = trailingRun(this.#pending, this.#scanFrom);
      return out;
    }
  }

  /** What is left, once the stream has ended. */
  flush(): string {
    const rest = this.#pending;
    this.#pending = '';
    this.#scanFrom = 0;
    return rest;
  }

  /** The first `maxChars` of pending text, cut at its last space (or hard, with none). */
  #piece(out: string[]): void {
    const head = this.#pending.slice(0, this.maxChars);
    const space = head.lastIndexOf(' ');
    const cut = space > this.maxChars / 2 ? space + 1 : this.maxChars;
    out.push(this.#pending.slice(0, cut));
    this.#pending = this.#pending.slice(cut);
    this.#scanFrom = 0;
  }
}

/** Where the run of end characters at the tail of `text` begins (not before `from`). */
function trailingRun(text: string, from = 0): number {
  let start = text.length;
  while (start > from && END_START.test(text[start - 1]!)) start--;
  return start;
}
