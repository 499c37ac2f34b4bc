/**
 * Whether the caller's speech during a reply is an interruption or a backchannel (docs/turn-taking.md).
 * People say "uh-huh", "yeah", "okay", "mm-hmm" or cough while listening, and an agent that stops
 * for each sounds broken. Two rules, as LiveKit Agents and pipecat draw them:
 *
 * - without words (no transcriber on the call): speech interrupts once it has lasted `minSpeechMs` of
 *   voiced time — a cough or a short "yeah" does not, a sentence does;
 * - with words: speech interrupts as soon as a word is heard that is not an acknowledgement; heard
 *   words that are all acknowledgements never interrupt; speech whose words have not come yet
 *   interrupts after `maxWaitForWordsMs` of voiced time (a slow engine must not make the agent deaf).
 *
 * Pure: the detector's per-frame verdicts and the transcriber's words in, a decision out; time is the
 * call time the caller passes (frames' start times), never a clock.
 */

export const DEFAULT_ACKNOWLEDGEMENTS = [
  'uh-huh',
  'uh huh',
  'uhhuh',
  'mm-hmm',
  'mm hmm',
  'mhm',
  'mm',
  'hmm',
  'yeah',
  'yep',
  'yes',
  'ok',
  'okay',
  'right',
  'sure',
  'alright',
  'all right',
  'i see',
  'got it',
  'uh',
  'um',
  'oh',
  'ah',
] as const;

export interface BargeInPolicyOptions {
  /** Voiced time that interrupts when no words are expected, ms (default 500: LiveKit's min_interruption_duration). */
  minSpeechMs?: number;
  /** A transcriber runs: words decide (default false). */
  words?: boolean;
  /** With words: voiced time after which speech with no words yet interrupts, ms (default 1200). */
  maxWaitForWordsMs?: number;
  /** With words: what never interrupts; compared lower-case, without punctuation (default DEFAULT_ACKNOWLEDGEMENTS). */
  acknowledgements?: readonly string[];
}

export type BargeInReason = 'speech' | 'words';

export interface BargeInDecision {
  /** Call time of the frame or the words that decided. */
  atMs: number;
  reason: BargeInReason;
  /** Voiced time heard of the utterance when it decided, ms. */
  voicedMs: number;
}

/** Words as a transcriber gives them, lower-case, without punctuation; hyphens kept (uh-huh). */
export function normalizeWords(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9'\- ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export class BargeInPolicy {
  private readonly minSpeechMs: number;
  private readonly useWords: boolean;
  private readonly maxWaitMs: number;
  private readonly acknowledgements: Set<string>;
  private speaking = false;
  private voicedMs = 0;
  private heard = '';
  private decided = false;

  constructor(options: BargeInPolicyOptions = {}) {
    this.minSpeechMs = options.minSpeechMs ?? 500;
    this.useWords = options.words ?? false;
    this.maxWaitMs = options.maxWaitForWordsMs ?? 1200;
    this.acknowledgements = new Set((options.acknowledgements ?? DEFAULT_ACKNOWLEDGEMENTS).map(normalizeWords));
  }

  /**
   * The detector found speech starting (its onset frames count as voiced); returns the decision when
   * the onset is already enough (`minSpeechMs` at most the onset: today's cut at the speech start).
   */
  speechStart(onsetVoicedMs = 0, atMs = 0): BargeInDecision | undefined {
    this.speaking = true;
    this.voicedMs = onsetVoicedMs;
    this.heard = '';
    this.decided = false;
    if (!this.useWords && this.voicedMs >= this.minSpeechMs) return this.decide(atMs, 'speech');
    return undefined;
  }

  /** One frame's verdict while the caller speaks; returns the decision to interrupt, once per utterance. */
  frame(voiced: boolean, atMs: number, frameMs = 20): BargeInDecision | undefined {
    if (!this.speaking || this.decided) return undefined;
    if (voiced) this.voicedMs += frameMs;
    if (!this.useWords) return this.voicedMs >= this.minSpeechMs ? this.decide(atMs, 'speech') : undefined;
    if (this.heard === '' && this.voicedMs >= this.maxWaitMs) return this.decide(atMs, 'speech');
    return undefined;
  }

  /** The words heard so far of this utterance (interim or final); returns the decision to interrupt, if it is one. */
  words(text: string, atMs: number): BargeInDecision | undefined {
    if (!this.useWords || this.decided) return undefined;
    const heard = normalizeWords(text);
    if (heard === '') return undefined;
    this.heard = heard;
    return this.isAcknowledgement(heard) ? undefined : this.decide(atMs, 'words');
  }

  /** Only acknowledgements: each word, or each phrase in the list ("all right", "i see"). */
  isAcknowledgement(heard: string): boolean {
    const normal = normalizeWords(heard);
    if (this.acknowledgements.has(normal)) return true;
    let rest = normal;
    // Longest phrase first at each step: "all right okay" is two acknowledgements.
    const phrases = [...this.acknowledgements].sort((a, b) => b.length - a.length);
    while (rest !== '') {
      const phrase = phrases.find((p) => rest === p || rest.startsWith(`${p} `));
      if (!phrase) return false;
      rest = rest.slice(phrase.length).trim();
    }
    return true;
  }

  /** The utterance ended: the next speech starts afresh. */
  speechEnd(): void {
    this.speaking = false;
  }

  private decide(atMs: number, reason: BargeInReason): BargeInDecision {
    this.decided = true;
    return { atMs, reason, voicedMs: this.voicedMs };
  }
}
