/**
 * The turns suite of `npm run bench` (bench/index.ts): its options, its parts and its report.
 *
 * --turns-json writes this run's cells (a part of the suite run side by side: --noises, --rates,
 * --no-detection), and with --sweep every detection's frame verdicts; --turns-from a.json,b.json
 * renders the parts as one run, sweeping again the verdicts they hold (turns-sweep.ts: the grid and
 * its rules can change without running the detectors again).
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { turnTaking, type Cell, type Detection } from './turns.js';
import { turnLines } from './turns-report.js';
import { sweepDetection, sweepLines } from './turns-sweep.js';
import type { NoiseKind, TurnEvent } from './turn-audio.js';

interface StoredDetection {
  /** One character per frame: 1 voiced. */
  voiced: string;
  /** The detection's own starts and ends (absent in files of the first sweep: the replay is then not checked). */
  starts?: Detection['starts'];
  ends?: Detection['ends'];
  endSilenceMs: number;
  base: Omit<Cell, 'policy'>;
}
type TurnsPart = Awaited<ReturnType<typeof turnTaking>> & { detections?: StoredDetection[]; events?: TurnEvent[]; totalMs?: number };

export interface BenchArgs {
  args: string[];
  flag: (name: string) => boolean;
  option: (name: string, fallback: string) => string;
  root: string;
  quick: boolean;
}

/** Runs the suite (or renders its parts) and returns its report lines. */
export async function turnsSuite({ args, flag, option, root, quick }: BenchArgs): Promise<string[]> {
  const split = option('split', 'measure') === 'tune' ? 'tune' : 'measure';
  const stored: StoredDetection[] = [];
  let stream: { events: TurnEvent[]; totalMs: number } | undefined;
  let turns: TurnsPart;
  if (args.includes('--turns-from')) {
    const parts = option('turns-from', '')
      .split(',')
      .map((file) => JSON.parse(readFileSync(file, 'utf8')) as TurnsPart);
    turns = { cells: parts.flatMap((p) => p.cells), wer: parts.flatMap((p) => p.wer) };
    for (const part of parts) {
      stored.push(...(part.detections ?? []));
      if (part.events && part.totalMs !== undefined) stream = { events: part.events, totalMs: part.totalMs };
    }
  } else {
    turns = await turnTaking(
      {
        dir: option('speech-dev', join(root, 'bench', 'data', 'speech-dev')),
        split,
        quick,
        wer: !flag('no-wer'),
        detection: !flag('no-detection'),
        ...(args.includes('--wer-end-silence') ? { werEndSilenceMs: Number(option('wer-end-silence', '500')) } : {}),
        ...(args.includes('--noises') ? { noises: option('noises', '').split(',') as NoiseKind[] } : {}),
        ...(args.includes('--rates') ? { rates: option('rates', '').split(',').map(Number) } : {}),
        silero: {
          ...(args.includes('--silero-threshold') ? { threshold: Number(option('silero-threshold', '0.5')) } : {}),
          ...(args.includes('--silero-margin') ? { floorMarginDb: Number(option('silero-margin', '9')) } : {}),
        },
        ...(flag('sweep')
          ? {
              onDetection: (detection, listen, events, totalMs, base) => {
                stream = { events, totalMs };
                stored.push({
                  voiced: Array.from(detection.voiced).join(''),
                  starts: detection.starts,
                  ends: detection.ends,
                  endSilenceMs: listen.endSilenceMs ?? 500,
                  base,
                });
              },
            }
          : {}),
      },
      (line) => process.stderr.write(`${line}\n`),
    );
    if (args.includes('--turns-json')) {
      await writeFile(option('turns-json', 'turns.json'), JSON.stringify({ ...turns, ...(stored.length ? { detections: stored, ...stream } : {}) }));
    }
  }
  const header = `### Turn-taking in noise (${split === 'tune' ? 'tuning split: LibriSpeech dev speakers and LJ Speech' : 'measuring split: LibriSpeech test/train speakers, FLEURS, AMI, VOiCES'}; bench/turns.ts)`;
  const lines = turnLines(turns.cells, turns.wer, header);
  if (stored.length && stream) {
    const { events, totalMs } = stream;
    const cells = stored.flatMap((d) => {
      const voiced = Uint8Array.from(d.voiced, (c) => (c === '1' ? 1 : 0));
      const own = d.starts && d.ends ? { starts: d.starts, ends: d.ends } : undefined;
      return sweepDetection({ voiced, starts: [], ends: [], cpuMsPerSecond: d.base.cpuMsPerSecond }, d.endSilenceMs, events, totalMs, d.base, own);
    });
    lines.push(...sweepLines(cells));
  }
  return lines;
}
