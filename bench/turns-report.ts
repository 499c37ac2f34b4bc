/** The tables of the turn-taking benchmark (bench/turns.ts), for docs/benchmarks.md and docs/turn-taking.md. */
import { CONFIGS, POLICIES, type Cell, type Config, type Policy, type WerRow } from './turns.js';

const fixed = (value: number | undefined, digits = 0) => (value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits));
const percentile = (values: number[], p: number) => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};
const sum = (cells: Cell[], key: keyof Cell) => cells.reduce((total, c) => total + (c[key] as number), 0);
const pct = (part: number, whole: number) => (whole ? `${part}/${whole} (${fixed((100 * part) / whole, 1)} %)` : '—');

function falseTotal(cells: Cell[]): number {
  return sum(cells, 'backchannelsCut') + sum(cells, 'noiseBargeIns');
}

export function turnLines(cells: Cell[], wer: WerRow[], header: string): string[] {
  // A run of word errors alone (--no-detection) has no detection tables.
  const lines = [header, ...(cells.length ? ['', ...detectionLines(cells)] : []), ...werLines(wer)];
  return [...lines, ''];
}

function detectionLines(cells: Cell[]): string[] {
  const snrs = [...new Set(cells.map((c) => c.snr))];
  const rates = [...new Set(cells.map((c) => c.rate))];
  const noises = [...new Set(cells.map((c) => c.noise))];
  const pick = (config: Config, policy: Policy, filter: (c: Cell) => boolean) => cells.filter((c) => c.config === config && c.policy === policy && filter(c));
  const lines = [
    `Barge-in: every noise (${noises.join(', ')}) and rate (${rates.map((r) => `${r / 1000} kHz`).join(', ')}) pooled per SNR. **false** = backchannels and coughs that cut the reply + barge-ins on noise alone; **× today** = against WebRTC at onset (today's barge-in) on the same audio.`,
    '',
    '| detector | barge-in | SNR | backchannels cut | noise barge-ins (per min of line) | false × today | missed interruptions | line held | onset → clear p50 / p95 |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const snr of snrs) {
    const today = falseTotal(pick('webrtc', 'at onset', (c) => c.snr === snr));
    for (const policy of POLICIES) {
      for (const config of CONFIGS) {
        const these = pick(config, policy, (c) => c.snr === snr);
        if (these.length === 0) continue;
        const onset = these.flatMap((c) => c.onsetToClearMs);
        lines.push(
          `| ${config} | ${policy} | ${snr} dB | ${pct(sum(these, 'backchannelsCut'), sum(these, 'backchannels'))} | ${sum(these, 'noiseBargeIns')} (${fixed(sum(these, 'noiseBargeIns') / sum(these, 'quietMinutes'), 2)}) | ${fixed(today ? falseTotal(these) / today : undefined, 2)} | ${pct(sum(these, 'missed'), sum(these, 'interruptions'))} | ${pct(sum(these, 'busy'), sum(these, 'interruptions'))} | ${fixed(percentile(onset, 0.5))} / ${fixed(percentile(onset, 0.95))} ms |`,
        );
      }
    }
  }
  lines.push(
    '',
    'End of turn (the detector’s speech end, after the configuration’s default hangover: src/speech/detector-hangover.ts): the voice’s true end → the frame that said it ended; **cut mid-turn**: it said the turn ended inside the recording (a pause of the reader’s). CPU: the detector and suppression per second of audio.',
    '',
    '| detector | hangover | SNR | end of turn p50 / p95 | cut mid-turn | CPU % of a core, 16 kHz / 8 kHz |',
    '|---|---|---|---|---|---|',
  );
  for (const snr of snrs) {
    for (const config of CONFIGS) {
      const these = pick(config, 'at onset', (c) => c.snr === snr);
      if (these.length === 0) continue;
      const eot = these.flatMap((c) => c.endOfTurnMs);
      const cpu = (rate: number) => {
        const at = these.filter((c) => c.rate === rate);
        return at.length ? fixed(sum(at, 'cpuMsPerSecond') / at.length / 10, 2) : '—';
      };
      lines.push(
        `| ${config} | ${these[0]!.endSilenceMs ?? 500} ms | ${snr} dB | ${fixed(percentile(eot, 0.5))} / ${fixed(percentile(eot, 0.95))} ms | ${pct(sum(these, 'cutMidTurn'), sum(these, 'interruptions'))} | ${cpu(16000)} / ${cpu(8000)} |`,
      );
    }
  }
  lines.push('', 'At onset, by noise and rate (every SNR): false barge-ins (backchannels cut + noise barge-ins) / missed interruptions / line held.', '');
  lines.push(
    `| detector | ${rates.flatMap((r) => noises.map((n) => `${n} ${r / 1000} kHz`)).join(' | ')} |`,
    `|---|${rates.flatMap(() => noises.map(() => '---|')).join('')}`,
  );
  for (const config of CONFIGS) {
    const row = rates.flatMap((rate) =>
      noises.map((n) => {
        const these = pick(config, 'at onset', (c) => c.rate === rate && c.noise === n);
        return `${falseTotal(these)} / ${sum(these, 'missed')} / ${sum(these, 'busy')}`;
      }),
    );
    lines.push(`| ${config} | ${row.join(' | ')} |`);
  }
  return lines;
}

function werLines(wer: WerRow[]): string[] {
  const lines: string[] = [];
  if (wer.length) {
    lines.push(
      '',
      'Word errors (PocketSphinx through the WebRTC detector, each recording under one noise in turn, 1 s of line either side), without and with RNNoise in front; **hangover**: the silence that ended utterances, without / with RNNoise:',
      '',
      '| rate | SNR | words | WER | WER with RNNoise | hangover | recordings left out (engine failed twice) |',
      '|---|---|---|---|---|---|---|',
    );
    for (const rate of [...new Set(wer.map((w) => w.rate))]) {
      for (const snr of [...new Set(wer.map((w) => w.snr))]) {
        const plain = wer.find((w) => w.rate === rate && w.snr === snr && !w.suppress);
        const clean = wer.find((w) => w.rate === rate && w.snr === snr && w.suppress);
        if (!plain || !clean) continue;
        lines.push(
          `| ${rate / 1000} kHz | ${snr === 'clean' ? 'no noise' : `${snr} dB`} | ${plain.words} | ${fixed((100 * plain.errors) / plain.words, 1)} % | ${fixed((100 * clean.errors) / clean.words, 1)} % | ${plain.endSilenceMs ?? 500} / ${clean.endSilenceMs ?? 500} ms | ${plain.failed + clean.failed} |`,
        );
      }
    }
  }
  return lines;
}
