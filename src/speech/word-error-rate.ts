/**
 * Word error rate: (substitutions + deletions + insertions) / words of the reference, by the word
 * alignment of least edits (Levenshtein over words). Case and punctuation are ignored, as NIST's
 * sclite does by default for this kind of scoring.
 */
export interface WordErrors {
  substitutions: number;
  deletions: number;
  insertions: number;
  /** Words in the reference. */
  words: number;
  /** (S + D + I) / words; 0 for a perfect hypothesis, above 1 when it adds many words. */
  rate: number;
}

export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

export function wordErrors(reference: string, hypothesis: string): WordErrors {
  const ref = normalizeWords(reference);
  const hyp = normalizeWords(hypothesis);
  // cost[i][j]: edits turning ref[0..i) into hyp[0..j), with the kind of the last edit kept to count them.
  type Cell = { cost: number; s: number; d: number; i: number };
  let previous: Cell[] = hyp.map((_, j) => ({ cost: j + 1, s: 0, d: 0, i: j + 1 }));
  previous.unshift({ cost: 0, s: 0, d: 0, i: 0 });
  for (let r = 1; r <= ref.length; r++) {
    const row: Cell[] = [{ cost: r, s: 0, d: r, i: 0 }];
    for (let h = 1; h <= hyp.length; h++) {
      const same = ref[r - 1] === hyp[h - 1];
      const diagonal = previous[h - 1]!;
      const up = previous[h]!;
      const left = row[h - 1]!;
      const options: Cell[] = [
        { ...diagonal, cost: diagonal.cost + (same ? 0 : 1), s: diagonal.s + (same ? 0 : 1) },
        { ...up, cost: up.cost + 1, d: up.d + 1 },
        { ...left, cost: left.cost + 1, i: left.i + 1 },
      ];
      row.push(options.reduce((best, cell) => (cell.cost < best.cost ? cell : best)));
    }
    previous = row;
  }
  const last = previous[hyp.length]!;
  return {
    substitutions: last.s,
    deletions: last.d,
    insertions: last.i,
    words: ref.length,
    rate: ref.length === 0 ? (hyp.length > 0 ? 1 : 0) : last.cost / ref.length,
  };
}
