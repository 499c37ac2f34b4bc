/**
 * Choosing the turn-taking defaults per detector configuration (`--sweep`, run on `--split tune`):
 * each detection of the turns bench replayed at other hangovers (`endSilenceMs`) and scored with
 * other barge-in minimums (`minSpeechMs`), so one run of the detectors gives the whole grid.
 *
 * The replay is exact: a frame's verdict (the detector's, above the noise floor) depends on neither
 * the hangover nor where speech ended — the detector and the floor never see them — so VoiceActivity
 * replayed on the verdicts at another hangover gives the starts and ends the call would have given.
 * The replay at the detection's own hangover is checked against the detection itself.
 *
 * The rule for a configuration's default hangover (chosenHangover, docs/turn-taking.md): against
 * WebRTC at 500 ms ("today"), on the noisy sets (10 and 5 dB).
 */
import { FRAME_MS } from '../src/protocol/audio-format.js';
import { VoiceActivity } from '../src/speech/voice-activity.js';
import { CONFIGS, score, type Cell, type Config, type Detection } from './turns.js';
import type { TurnEvent } from './turn-audio.js';

export const SWEEP_END_SILENCE_MS = Array.from({ length: 18 }, (_, i) => 200 + 20 * i);
export const SWEEP_MIN_SPEECH_MS = [200, 250, 300, 350, 400, 450, 500, 600];
/** The SNRs the issue's targets are set on. */
export const NOISY_SNRS = [10, 5];
const TODAY = { config: 'webrtc' as Config, endSilenceMs: 500 };

export interface SweepCell extends Cell {
  endSilenceMs: number;
  /** The voiced policy's minimum; 0 for the at-onset policy. */
  minSpeechMs: number;
}

/** The detection's starts and ends at another hangover, from its verdicts (see above). */
export function atHangover(detection: Detection, endSilenceMs: number): Detection {
  // Level 0 dBFS on every frame and a margin of −1 dB: after the first frame (the floor's first
  // estimate, never voiced in the detection either) a frame is voiced exactly when its verdict was.
  const activity = new VoiceActivity({ endSilenceMs, floorMarginDb: -1 });
  const out: Detection = { voiced: detection.voiced, starts: [], ends: [], cpuMsPerSecond: detection.cpuMsPerSecond };
  for (let frame = 0; frame < detection.voiced.length; frame++) {
    const change = activity.push(detection.voiced[frame] === 1, 0, frame * FRAME_MS);
    if (change?.kind === 'speech-start') out.starts.push({ frame, atMs: change.atMs });
    if (change?.kind === 'speech-end') out.ends.push({ frame, atMs: change.atMs });
  }
  return out;
}

/** The grid for one detection (its verdicts); `own`: its starts and ends, which the replay at its own hangover must give. */
export function sweepDetection(
  detection: Detection,
  ownEndSilenceMs: number,
  events: TurnEvent[],
  totalMs: number,
  base: Omit<Cell, 'policy'>,
  own?: Pick<Detection, 'starts' | 'ends'>,
): SweepCell[] {
  const replayed = atHangover(detection, ownEndSilenceMs);
  if (own && JSON.stringify([replayed.starts, replayed.ends]) !== JSON.stringify([own.starts, own.ends])) {
    throw new Error(`the replay at ${ownEndSilenceMs} ms does not give the detection's own starts and ends (${base.config})`);
  }
  const cells: SweepCell[] = [];
  for (const endSilenceMs of SWEEP_END_SILENCE_MS) {
    const at = atHangover(detection, endSilenceMs);
    const fresh = () => ({ ...base, onsetToClearMs: [], endOfTurnMs: [] });
    cells.push({ ...score(at, 'at onset', events, totalMs, fresh()), endSilenceMs, minSpeechMs: 0 });
    for (const minSpeechMs of SWEEP_MIN_SPEECH_MS) {
      cells.push({ ...score(at, '500 ms voiced', events, totalMs, fresh(), minSpeechMs), endSilenceMs, minSpeechMs });
    }
  }
  return cells;
}

const sum = (cells: Cell[], key: keyof Cell) => cells.reduce((total, c) => total + (c[key] as number), 0);
const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(0)} ms`);
const falseTotal = (cells: Cell[]) => sum(cells, 'backchannelsCut') + sum(cells, 'noiseBargeIns');

interface Summary {
  eotP50: number | undefined;
  cut: number;
  interruptions: number;
}

function summary(cells: SweepCell[], config: Config, endSilenceMs: number, snr: number): Summary {
  const these = cells.filter((c) => c.config === config && c.endSilenceMs === endSilenceMs && c.snr === snr && c.minSpeechMs === 0);
  return { eotP50: p50(these.flatMap((c) => c.endOfTurnMs)), cut: sum(these, 'cutMidTurn'), interruptions: sum(these, 'interruptions') };
}

/** The policy's default minimum (src/speech/barge-in-policy.ts): the barge-in the targets are judged with. */
const POLICY_MIN_SPEECH_MS = 500;

/** Against today at every noisy SNR: end of turn p50 no later, cut mid-turn no higher, barge-in within the issue's targets. */
function fits(cells: SweepCell[], config: Config, hangover: number, minSpeechMs = POLICY_MIN_SPEECH_MS) {
  const per = NOISY_SNRS.map((snr) => {
    const today = summary(cells, TODAY.config, TODAY.endSilenceMs, snr);
    const mine = summary(cells, config, hangover, snr);
    const todayFalse = falseTotal(
      cells.filter((c) => c.config === TODAY.config && c.endSilenceMs === TODAY.endSilenceMs && c.minSpeechMs === 0 && c.snr === snr),
    );
    const barge = cells.filter((c) => c.config === config && c.endSilenceMs === hangover && c.minSpeechMs === minSpeechMs && c.snr === snr);
    return {
      p50: mine.eotP50 !== undefined && today.eotP50 !== undefined && mine.eotP50 <= today.eotP50,
      cut: mine.cut <= today.cut,
      barge: falseTotal(barge) <= 0.5 * todayFalse && sum(barge, 'missed') <= 0.01 * sum(barge, 'interruptions'),
    };
  });
  const p50 = per.every((p) => p.p50);
  return { p50, cut: per.every((p) => p.cut), targets: p50 && per.every((p) => p.barge) };
}

/**
 * The rule for a configuration's default hangover: the longest with which it meets the issue's three
 * targets (end of turn p50 no later than today's, false barge-ins at most half, at most 1 missed
 * interruption in 100, at both noisy SNRs, with the policy's default minimum); 500 ms where none does
 * (a shorter hangover cuts more callers mid-turn and would buy no target).
 */
export function chosenHangover(cells: SweepCell[], config: Config): number {
  return SWEEP_END_SILENCE_MS.filter((hangover) => fits(cells, config, hangover).targets).at(-1) ?? 500;
}

export function sweepLines(cells: SweepCell[]): string[] {
  const snrs = NOISY_SNRS.filter((snr) => cells.some((c) => c.snr === snr));
  const chosen = new Map(CONFIGS.map((config) => [config, chosenHangover(cells, config)]));
  const lines = [
    `Sweep (--sweep, bench/turns-sweep.ts): each detection replayed at other hangovers and scored with other barge-in minimums; today = WebRTC at 500 ms. At ${snrs.join(' and ')} dB against today: **p50** its end of turn p50 is no later, **cuts** its cut mid-turn no higher, **targets** it meets all three of the issue's targets with the policy's ${POLICY_MIN_SPEECH_MS} ms minimum (p50, false barge-ins at most half, at most 1 missed in 100). **chosen**: the longest hangover that meets the targets (500 ms where none does).`,
    '',
    `| detector | hangover | ${snrs.map((s) => `end of turn p50, ${s} dB`).join(' | ')} | ${snrs.map((s) => `cut mid-turn, ${s} dB`).join(' | ')} | fits | chosen |`,
    `|---|---|${snrs.map(() => '---|---|').join('')}---|---|`,
  ];
  for (const config of CONFIGS) {
    for (const hangover of SWEEP_END_SILENCE_MS) {
      const at = snrs.map((snr) => summary(cells, config, hangover, snr));
      const fit = fits(cells, config, hangover);
      const marks = [fit.p50 ? 'p50' : '', fit.cut ? 'cuts' : '', fit.targets ? 'targets' : ''].filter(Boolean).join(', ');
      lines.push(
        `| ${config} | ${hangover} ms | ${at.map((s) => ms(s.eotP50)).join(' | ')} | ${at.map((s) => `${s.cut}/${s.interruptions}`).join(' | ')} | ${marks} | ${chosen.get(config) === hangover ? '**chosen**' : ''} |`,
      );
    }
  }
  lines.push(
    '',
    "Barge-in by the voiced policy's minimum (`minSpeechMs`), at each configuration's chosen hangover and at 500 ms: **false × today** (backchannels and coughs cut + noise barge-ins, against WebRTC at 500 ms cutting at the speech start), **missed** interruptions, line held, onset → clear p50.",
    '',
    `| detector | hangover | minSpeechMs | ${snrs.map((s) => `false × today, ${s} dB`).join(' | ')} | ${snrs.map((s) => `missed, ${s} dB`).join(' | ')} | ${snrs.map((s) => `line held, ${s} dB`).join(' | ')} | ${snrs.map((s) => `onset → clear p50, ${s} dB`).join(' | ')} |`,
    `|---|---|---|${snrs.map(() => '---|---|---|---|').join('')}`,
  );
  for (const config of CONFIGS) {
    const hangovers = [...new Set([chosen.get(config)!, 500])];
    for (const hangover of hangovers) {
      for (const minSpeechMs of SWEEP_MIN_SPEECH_MS) {
        const per = snrs.map((snr) => {
          const today = falseTotal(
            cells.filter((c) => c.config === TODAY.config && c.endSilenceMs === TODAY.endSilenceMs && c.minSpeechMs === 0 && c.snr === snr),
          );
          const these = cells.filter((c) => c.config === config && c.endSilenceMs === hangover && c.minSpeechMs === minSpeechMs && c.snr === snr);
          return {
            ratio: today ? (falseTotal(these) / today).toFixed(2) : '—',
            missed: `${sum(these, 'missed')}/${sum(these, 'interruptions')}`,
            held: `${sum(these, 'busy')}`,
            clear: ms(p50(these.flatMap((c) => c.onsetToClearMs))),
          };
        });
        lines.push(
          `| ${config} | ${hangover} ms | ${minSpeechMs} | ${per.map((p) => p.ratio).join(' | ')} | ${per.map((p) => p.missed).join(' | ')} | ${per.map((p) => p.held).join(' | ')} | ${per.map((p) => p.clear).join(' | ')} |`,
        );
      }
    }
  }
  lines.push(
    '',
    'Every pair of hangover and barge-in minimum in the grid with which a configuration meets all three targets at both SNRs:',
    '',
    '| detector | hangover: minSpeechMs |',
    '|---|---|',
  );
  for (const config of CONFIGS) {
    const pairs = SWEEP_END_SILENCE_MS.flatMap((hangover) => {
      const minimums = SWEEP_MIN_SPEECH_MS.filter((minSpeechMs) => fits(cells, config, hangover, minSpeechMs).targets);
      return minimums.length ? [`${hangover}: ${minimums.join(', ')}`] : [];
    });
    lines.push(`| ${config} | ${pairs.length ? pairs.join('; ') : 'none'} |`);
  }
  return [...lines, ''];
}
