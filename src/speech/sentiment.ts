/**
 * Sentiment of an utterance with the AFINN-165 word list (the `sentiment` package: the maintained
 * AFINN scorer on npm). AFINN scores words from -5 to +5; `comparative` is the sum over the number of
 * words, which is what makes short and long utterances comparable.
 */
import Sentiment from 'sentiment';

export interface SentimentScore {
  /** Sum of the AFINN scores of the utterance's words. */
  score: number;
  /** score / words. */
  comparative: number;
  label: 'positive' | 'negative' | 'neutral';
  /** The words that carried a score. */
  positive: string[];
  negative: string[];
}

const analyzer = new Sentiment();

/** Above this |comparative| an utterance leans one way; below it, it is neutral. */
const NEUTRAL_BAND = 0.05;

export function sentimentOf(text: string): SentimentScore {
  const result = analyzer.analyze(text);
  const label = result.comparative > NEUTRAL_BAND ? 'positive' : result.comparative < -NEUTRAL_BAND ? 'negative' : 'neutral';
  return { score: result.score, comparative: result.comparative, label, positive: result.positive, negative: result.negative };
}
