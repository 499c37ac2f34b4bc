/**
 * `npm run bench`: every benchmark side by side in one run, bounded, on loopback. Prints the tables
 * and (unless --no-write) appends them to docs/benchmarks.md with the date, the machine and the
 * command, and redraws docs/bench-echo.svg.
 *
 *   npm run bench                      full run (~8 min)
 *   npm run bench -- --quick           smoke run (~1 min; what CI runs)
 *   npm run bench -- --calls 300 --rounds 3 --duration 20
 *   npm run bench -- --suites echo --calls 300 --targets voicesocket,voicesocket-workers-2,voicesocket-redis,bare-ws
 *   npm run bench -- --suites echo --targets voicesocket,voicesocket-record,voicesocket-tracing,bare-ws   what a call's record costs
 *   npm run bench -- --suites speech   speech only (~4 min): menu accuracy, barge-in, WER, CPU
 *   npm run bench -- --suites recorded offline accuracy on recorded human speech (16 and 8 kHz)
 *   npm run bench -- --suites recorded --recorded-sets speech-dev   one of its sets (debian, speech-dev)
 *   npm run bench -- --suites agent    every voice-agent provider side by side
 *   npm run bench -- --suites voices   offline voices: intelligibility to a recogniser, synthesis speed
 *   npm run bench -- --suites records  what a call's record costs in CPU time (recording, record, tracing)
 *   npm run bench -- --suites dial     outbound calls: dial-list throughput, answer → first agent audio
 *   npm run bench -- --suites turns    turn-taking in noise: WebRTC vs Silero, with and without RNNoise
 *   npm run bench -- --suites end-of-turn   the adaptive end of turn against the fixed 500 ms (also in turns)
 *                                      (--speech-dev <dir>, default bench/data/speech-dev; --split tune;
 *                                      --silero-threshold, --silero-margin; --no-wer; --sweep: other
 *                                      hangovers and barge-in minimums, bench/turns-sweep.ts;
 *                                      --wer-end-silence <ms>: word errors at that hangover)
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { measureEcho, TARGETS, type EchoResult, type Target } from './echo-cpu.js';
import { measureAnswer } from './answer-latency.js';
import { clearLatency, injectedHour, realTime, type PacingResult } from './pacer.js';
import { canPin } from './processes.js';
import { chart } from './plot.js';
import { agentLatency, CASCADE_TOKENS_PER_SECOND } from './agent.js';
import { recordsCost } from './records-cost.js';
import { answerToFirstAudio, dialThroughput } from './dial.js';
import { groupsOf, recordedSpeech, type RecordedResult, type RecordedSet } from './recorded-speech.js';
import { offlineVoices, type VoiceResult } from './offline-voices.js';
import { turnsSuite } from './turns-cli.js';
import { endOfTurn, endOfTurnLines } from './end-of-turn.js';
import {
  POCKETSPHINX_BEFORE,
  accuracyBy,
  bargeIn,
  confusionTable,
  freeForm,
  menuAccuracy,
  transcribingCpu,
  type CpuResult,
  type MenuResult,
} from './speech.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] ? args[index + 1]! : fallback;
};
const quick = flag('quick');
const callLevels = option('calls', quick ? '20' : '100,300,500')
  .split(',')
  .map(Number);
const durationS = Number(option('duration', quick ? '3' : '15'));
const rounds = Number(option('rounds', quick ? '1' : '2'));
const targets = option('targets', quick ? 'voicesocket,bare-ws' : 'voicesocket,bare-ws,bare-uws').split(',') as Target[];
for (const target of targets) if (!TARGETS.includes(target)) throw new Error(`--targets: ${target} is not one of ${TARGETS.join(', ')}`);
const suites = new Set(option('suites', 'echo,answer,pacer,speech,recorded,voices,agent,records,dial').split(','));
if (suites.has('echo') && !targets.includes('bare-ws')) throw new Error('--targets must include bare-ws: every ratio is against it');
const realSeconds = quick ? 2 : 60;
const root = join(import.meta.dirname, '..');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fixed = (value: number | undefined, digits = 2) => (value === undefined ? '—' : value.toFixed(digits));

async function echoSuite(): Promise<Map<string, EchoResult[]>> {
  const results = new Map<string, EchoResult[]>();
  // Interleaved rounds: a machine-wide hiccup hits every target alike.
  for (let round = 0; round < rounds; round++) {
    for (const calls of callLevels) {
      for (const target of targets) {
        process.stderr.write(`echo: ${target} at ${calls} calls, round ${round + 1}/${rounds}\n`);
        const result = await measureEcho(target, calls, durationS);
        const key = `${target}@${calls}`;
        results.set(key, [...(results.get(key) ?? []), result]);
      }
    }
  }
  return results;
}

function echoTable(results: Map<string, EchoResult[]>): string {
  const rows = [
    '| calls | server | CPU % of a core | CPU % per call | × bare ws | RSS KB per call | RTT p50 ms | RTT p99 ms | loss % | generator CPU % |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const calls of callLevels) {
    const baseline = median((results.get(`bare-ws@${calls}`) ?? []).map((r) => r.cpuPercentPerCall));
    for (const target of targets) {
      const runs = results.get(`${target}@${calls}`) ?? [];
      if (runs.length === 0) continue;
      const perCall = median(runs.map((r) => r.cpuPercentPerCall));
      const saturated = runs.some((r) => r.generatorSaturated) ? ' ⚠ saturated' : '';
      rows.push(
        `| ${calls} | ${target} | ${fixed(median(runs.map((r) => r.cpuPercent)), 1)} | ${fixed(perCall, 4)} | ${fixed(perCall / baseline)} | ${fixed(median(runs.map((r) => r.rssPerCallKb)), 1)} | ${fixed(median(runs.map((r) => r.rtt?.p50 ?? NaN)))} | ${fixed(median(runs.map((r) => r.rtt?.p99 ?? NaN)))} | ${fixed(Math.max(...runs.map((r) => r.lossPercent)), 3)} | ${fixed(median(runs.map((r) => r.generatorCpuPercent)), 0)}${saturated} |`,
      );
    }
  }
  return rows.join('\n');
}

/** The cost of scaling out, against our own single process in the same run. */
function scaleTable(results: Map<string, EchoResult[]>): string | undefined {
  const scaled = targets.filter((target) => target === 'voicesocket-workers-2' || target === 'voicesocket-redis');
  if (scaled.length === 0 || !targets.includes('voicesocket')) return undefined;
  const rows = [
    '| calls | server | CPU % per call | × one process | Redis CPU % of a core | Redis commands per call per second |',
    '|---|---|---|---|---|---|',
  ];
  for (const calls of callLevels) {
    const single = median((results.get(`voicesocket@${calls}`) ?? []).map((r) => r.cpuPercentPerCall));
    for (const target of ['voicesocket', ...scaled]) {
      const runs = results.get(`${target}@${calls}`) ?? [];
      if (runs.length === 0) continue;
      const perCall = median(runs.map((r) => r.cpuPercentPerCall));
      const redisCpu = runs[0]!.redisCpuPercent === undefined ? undefined : median(runs.map((r) => r.redisCpuPercent!));
      const commands = runs[0]!.redisCommandsPerCallPerSecond === undefined ? undefined : median(runs.map((r) => r.redisCommandsPerCallPerSecond!));
      rows.push(`| ${calls} | ${target} | ${fixed(perCall, 4)} | ${fixed(perCall / single)} | ${fixed(redisCpu, 1)} | ${fixed(commands, 3)} |`);
    }
  }
  return rows.join('\n');
}

/** What every call leaving a record costs (docs/records.md): recorded and written, or traced, against our own plain process in the same run. */
function recordsTable(results: Map<string, EchoResult[]>): string | undefined {
  const kept = targets.filter((target) => target === 'voicesocket-record' || target === 'voicesocket-tracing');
  if (kept.length === 0 || !targets.includes('voicesocket')) return undefined;
  const rows = ['| calls | server | CPU % per call | × without | RSS KB per call | RTT p99 ms | loss % |', '|---|---|---|---|---|---|---|'];
  for (const calls of callLevels) {
    const plain = median((results.get(`voicesocket@${calls}`) ?? []).map((r) => r.cpuPercentPerCall));
    for (const target of ['voicesocket', ...kept]) {
      const runs = results.get(`${target}@${calls}`) ?? [];
      if (runs.length === 0) continue;
      const perCall = median(runs.map((r) => r.cpuPercentPerCall));
      rows.push(
        `| ${calls} | ${target} | ${fixed(perCall, 4)} | ${fixed(perCall / plain)} | ${fixed(median(runs.map((r) => r.rssPerCallKb)), 1)} | ${fixed(median(runs.map((r) => r.rtt?.p99 ?? NaN)))} | ${fixed(Math.max(...runs.map((r) => r.lossPercent)), 3)} |`,
      );
    }
  }
  return rows.join('\n');
}

function pacingTable(results: PacingResult[]): string {
  const rows = ['| run | frames | exact frames | player underruns | max ahead of playout (lead) | cumulative drift |', '|---|---|---|---|---|---|'];
  for (const r of results)
    rows.push(
      `| ${r.label} | ${r.frames} | ${fixed(r.exactFramesPercent, 1)} % | ${r.underruns} | ${fixed(r.maxAheadMs, 1)} ms (${r.leadMs}) | ${fixed(r.driftMs, 2)} ms |`,
    );
  return rows.join('\n');
}

const started = new Date();
const echo = suites.has('echo') ? await echoSuite() : new Map<string, EchoResult[]>();
if (suites.has('answer')) process.stderr.write('answer webhook under autocannon\n');
const answer = suites.has('answer') ? await measureAnswer(quick ? 2 : 10) : undefined;
if (suites.has('pacer')) process.stderr.write('pacer\n');
const pacing = suites.has('pacer') ? [injectedHour(), await realTime(realSeconds, false), await realTime(realSeconds, true)] : [];
const clear = suites.has('pacer') ? await clearLatency(quick ? 3 : 20) : undefined;

if (suites.has('speech')) process.stderr.write('speech\n');
const speech = suites.has('speech')
  ? {
      menu: await menuAccuracy(quick),
      barge: await bargeIn(quick),
      free: await freeForm(quick),
      // Today's engine beside the one before, at the same time (bench/fixtures/pocketsphinx-before.ts);
      // the quick run (the suite's smoke test) only today's: the suite's time is bounded.
      // One call per engine: the servers share the pinned core, and the one before takes ~25 % per call.
      cpu: quick ? await transcribingCpu(1, 4, ['pocketsphinx'], 1) : await transcribingCpu(1, 30, [POCKETSPHINX_BEFORE, 'pocketsphinx']),
    }
  : undefined;

if (suites.has('recorded')) process.stderr.write('recorded speech\n');
const recordedSets = option('recorded-sets', 'debian,speech-dev').split(',') as RecordedSet[];
const recorded = suites.has('recorded') ? await recordedSpeech(quick, recordedSets) : undefined;

if (suites.has('voices')) process.stderr.write('offline voices\n');
const voices = suites.has('voices') ? await offlineVoices(quick) : undefined;

if (suites.has('records')) process.stderr.write('records\n');
// What a call's record costs in CPU time (records-cost.ts): the number a busy machine does not bend.
const records = suites.has('records') ? await recordsCost(quick ? 5 : 30, quick ? 10 : 120, quick ? 1 : 3) : undefined;
const turns = suites.has('turns') || args.includes('--turns-from') ? await turnsSuite({ args, flag, option, root, quick }) : undefined;

// The end-of-turn policy against the fixed hangover (end-of-turn.ts): part of `turns`, or alone.
const eot =
  suites.has('turns') || suites.has('end-of-turn')
    ? await endOfTurn({ dir: option('speech-dev', join(root, 'bench', 'data', 'speech-dev')), quick }, (line) => process.stderr.write(`${line}\n`))
    : undefined;

if (suites.has('agent')) process.stderr.write('agent\n');
const agent = suites.has('agent') ? await agentLatency(quick ? 1 : 12, quick) : undefined;

if (suites.has('dial')) process.stderr.write('dial\n');
const dialLevels: Array<[calls: number, concurrency: number]> = quick
  ? [[6, 3]]
  : [
      [60, 10],
      [120, 40],
    ];
const dialRuns = [];
if (suites.has('dial')) for (const [calls, concurrency] of dialLevels) dialRuns.push(await dialThroughput(calls, concurrency));
const firstAudio = suites.has('dial') ? await answerToFirstAudio(quick ? 2 : 12) : undefined;

function recordedLines(recorded: RecordedResult): string[] {
  const wer = (key: string) => {
    const value = recorded.wer.get(key);
    return value === undefined ? '—' : `${fixed(100 * value, 1)} %`;
  };
  const groups = [...new Set(recorded.rows.flatMap(groupsOf))];
  return [
    "Real recorded human speech, word error rate: Debian's `pocketsphinx-testdata` (a LibriVox reading, spoken card names, \"go forward ten meters\") and bench/data/speech-dev (LibriSpeech, FLEURS, LJ Speech, AMI, VOiCES; its **choose** part is the one the driver's settings were chosen on, **held-out** the other, speakers apart). **engine**: PocketSphinx alone on the whole file as one utterance, a decoder of its own per file, CMU's default settings, none of our code (bench/fixtures/pocketsphinx-whole.py; 8 kHz brought to 16 kHz by sox); **pipeline**: our detector and the engine, as a call feeds them (Debian's set only); **call**: the file as a caller's audio on an emulated call to the transcribe app (interim results on), one call at a time; speech-dev's recordings brought to a peak of −6 dBFS (seven FLEURS files peak at −50 to −30 dBFS, under the line's noise floor). Each way hears the same audio: 500 ms of line before the file and a quiet line's noise floor (about −70 dBFS) under it. 8 kHz: the file downsampled by our resampler.",
    '',
    '| set | words | 16 kHz engine | 16 kHz pipeline | 16 kHz call | 8 kHz engine | 8 kHz pipeline | 8 kHz call |',
    '|---|---|---|---|---|---|---|---|',
    ...groups.map((group) => {
      const words = recorded.rows
        .filter((r) => groupsOf(r).includes(group) && r.rate === recorded.rows[0]!.rate)
        .reduce((sum, r) => sum + r.reference.split(/\s+/).filter(Boolean).length, 0);
      return `| ${group} | ${words} | ${['16000', '8000'].flatMap((rate) => ['engine', 'pipeline', 'call'].map((way) => wer(`${group} ${rate} ${way}`))).join(' | ')} |`;
    }),
    '',
    '| file | rate | said | engine heard | call heard |',
    '|---|---|---|---|---|',
    ...recorded.rows.map((r) => `| ${r.set} ${r.name} | ${r.rate / 1000} kHz | ${r.reference} | ${r.engine || '(nothing)'} | ${r.call || '(nothing)'} |`),
    '',
  ];
}

const pair = (d: { p50: number; p95: number } | undefined) => (d ? `${fixed(d.p50, 0)} / ${fixed(d.p95, 0)} ms` : '—');
const distributionText = (d: { p50: number; p95: number; max: number; count: number } | undefined) =>
  d ? `p50 ${fixed(d.p50, 0)} ms, p95 ${fixed(d.p95, 0)} ms, max ${fixed(d.max, 0)} ms (n=${d.count})` : '—';

function menuLines(menu: MenuResult): string[] {
  const right = menu.trials.filter((t) => t.routed === t.said).length;
  const noisy = menu.trials.filter((t) => t.noisy);
  return [
    `Voice menu (voice-menu app, PocketSphinx menu mode, said over the prompt): **${right}/${menu.trials.length} routed right (${fixed((100 * right) / menu.trials.length, 1)} %)**; in 20 dB SNR noise ${noisy.filter((t) => t.routed === t.said).length}/${noisy.length}. By voice: ${accuracyBy(menu.trials, (t) => t.voice)}. By speed: ${accuracyBy(menu.trials, (t) => `${t.wordsPerMinute} wpm`)}.`,
    '',
    confusionTable(menu.trials),
    '',
    `Speech end (our detector, 500 ms of silence) → final result, menu mode: ${distributionText(menu.endToFinalMs)}.`,
  ];
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${canPin ? '; server pinned to core 0, load generator to core 1' : '; processes not pinned'}`;
const command = `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
const report = [
  `## ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC${quick ? ' (quick)' : ''}`,
  '',
  `Command: \`${command}\`. Machine: ${machine}.${echo.size ? ` Echo calls at 16 kHz; CPU, RSS and round trips measured over the same ${durationS} s steady window after the ramp and a 2 s warm-up; median of ${rounds} interleaved round(s).` : ''}`,
  '',
  ...(echo.size ? ['### Echo: server cost side by side', '', echoTable(echo), ''] : []),
  ...(echo.size && scaleTable(echo) ? ['### Scaling out: --workers 2 and --redis against one process', '', scaleTable(echo)!, ''] : []),
  ...(echo.size && recordsTable(echo)
    ? ['### Every call leaving a record: --record-calls with --call-records, and tracing, against none', '', recordsTable(echo)!, '']
    : []),
  ...(answer
    ? [
        '### Answer webhook under load (autocannon, 50 connections)',
        '',
        `${fixed(answer.requestsPerSecond, 0)} requests/s, latency p50 ${answer.p50Ms} ms, p99 ${answer.p99Ms} ms, ${answer.errors} errors, ${answer.non2xx} non-2xx.`,
        '',
      ]
    : []),
  ...(pacing.length ? ['### Pacer', '', pacingTable(pacing), ''] : []),
  ...(clear
    ? [
        `Barge-in: ${clear.bargeIns} clears; clear() → websocket:cleared p50 ${fixed(clear.clearToClearedMs?.p50)} ms, max ${fixed(clear.clearToClearedMs?.max)} ms; frames of the old audio sent after clear(): ${clear.oldFramesAfterClear}.`,
        '',
      ]
    : []),
  ...(speech
    ? [
        '### Speech (offline engines: WebRTC VAD, PocketSphinx, espeak-ng; the Deepgram fake is not measured)',
        '',
        ...menuLines(speech.menu),
        '',
        `Barge-in on speech under a 440 Hz prompt: ${speech.barge.cleared}/${speech.barge.trials} cleared; true speech onset → clear sent, audio time ${distributionText(speech.barge.onsetToClearAudioMs)}; wall time from the onset frame's arrival ${distributionText(speech.barge.onsetToClearWallMs)}; prompt frames the caller heard after the clear took effect: ${speech.barge.promptFramesAfterClear}.`,
        '',
        `Free-form transcription (transcribe app, espeak-ng en-us at 175 wpm, ${speech.free.sentences.length} fixed sentences): **word error rate ${fixed(100 * speech.free.wordErrorRate, 1)} %**; speech end → final result ${distributionText(speech.free.endToFinalMs)}.`,
        '',
        '| said | PocketSphinx heard | WER |',
        '|---|---|---|',
        ...speech.free.sentences.map((s) => `| ${s.reference} | ${s.heard || '(nothing)'} | ${fixed(100 * s.rate, 0)} % |`),
        '',
        "Transcribing calls: the transcribe app as its own process per engine, both at once, pinned to the same core and measured over the same window (PocketSphinx children counted). Every caller is the same recorded human speech: CMU's recordings of the recorded suite below one after another, 1 s apart on a quiet line's noise floor (\"go forward ten meters\", then the LibriVox reading, then the card names, as far as the call lasts). The window is the steady state: it opens 4.5 s after the calls connected, past the first recording; **CPU s per call start** is what each call used before it (the engine's start, the first recording). **pocketsphinx before**: the engine as it was before the work on CPU per call, frozen (bench/fixtures/pocketsphinx-before.ts: its driver, a message per 20 ms frame, streamed finals, PocketSphinx's default search, every frame to the speech end decoded); **pocketsphinx**: today's (adaptive finals, the narrower search, 100 ms messages, the silence that ends an utterance decoded for 100 ms). WER: every final of a call against the transcripts of the recordings its caller said whole.",
        '',
        cpuTable(speech.cpu),
        '',
      ]
    : []),
  ...(recorded ? ['### Offline transcription of recorded human speech', '', ...recordedLines(recorded)] : []),
  ...(voices ? ['### Offline voices', '', ...voiceLines(voices), ''] : []),
  ...(records
    ? [
        "### What a call's record costs, in CPU time",
        '',
        `${records[0]!.calls} echo calls of ${records[0]!.audioSeconds} s each through real call sessions on injected time, no network: nothing kept (**none**), the stereo recording and the record written (**record**: \`--record-calls\` and \`--call-records\`), and a trace sent to a local OTLP collector too (**record+tracing**). The process's CPU time (user + system, the file writes included) per call-minute of audio, median of interleaved rounds; a plain echo call costs about 80 ms of CPU a minute with its network I/O (0.13 % of a core in the echo table).`,
        '',
        '| variant | CPU ms per call-minute | added per call-minute | added % of a core per call |',
        '|---|---|---|---|',
        ...records.map(
          (r) =>
            `| ${r.variant} | ${fixed(r.cpuMsPerCallMinute, 2)} | ${fixed(r.cpuMsPerCallMinute - records[0]!.cpuMsPerCallMinute, 2)} | ${fixed(((r.cpuMsPerCallMinute - records[0]!.cpuMsPerCallMinute) / 60_000) * 100, 4)} |`,
        ),
        '',
      ]
    : []),
  ...(turns ?? []),
  ...(eot ? endOfTurnLines(eot, '### End of turn: adaptive hangover against the fixed 500 ms (bench/end-of-turn.ts)') : []),
  ...(agent
    ? [
        '### Voice agents, every provider (its SDK against a local server speaking its protocol)',
        '',
        `Each call: a question, a long spoken reply, and the caller talking over it. **Ours**: the first reply audio from the provider → its first frame sent to Vonage (resampling, queueing, the pacer's first frame). **Model**: the caller's end of speech (our detector) → the provider's first audio; here the fakes' (their voice detection's 500 ms of silence and espeak-ng), not a figure for any vendor; for the cascade it is the whole pipeline: PocketSphinx's final result, a chat model streaming ${CASCADE_TOKENS_PER_SECOND} tokens/s, espeak-ng's first sentence. **Clear**: the barge-in signal (the provider's or our detector's, the later one before the clear) → \`clear\` at the caller. **Truncation error**: |what voicesocket says was heard − what the caller's recording shows|.`,
        '',
        '| provider | calls | ours p50 / p95 | model p50 / p95 | speech end → first audio p50 / p95 | clear p50 / p95 | truncation error p50 / p95 / max |',
        '|---|---|---|---|---|---|---|',
        ...agent.map(
          (r) =>
            `| ${r.provider} | ${r.calls} | ${pair(r.oursMs)} | ${pair(r.modelMs)} | ${pair(r.totalMs)} | ${pair(r.clearAfterEventMs)} | ${r.truncationErrorMs ? `${fixed(r.truncationErrorMs.p50, 0)} / ${fixed(r.truncationErrorMs.p95, 0)} / ${fixed(r.truncationErrorMs.max, 0)} ms` : '—'} |`,
        ),
        '',
      ]
    : []),
  ...(dialRuns.length
    ? [
        "### Outbound calls (the emulator's phone network through `@vonage/voice`)",
        '',
        "Dial-list throughput: people who answer after 300 ms, say a line and hang up 2 s later, dialled by the list runner (journal on disk) at a bounded concurrency and up to 100 new calls/s. **Efficiency**: the best the bound allows (⌈calls / concurrency⌉ waves of the fastest call) / the run's time. **Most at once** must not pass the bound.",
        '',
        '| calls | concurrency | seconds | calls/min | fastest call s | efficiency | most at once | outcomes |',
        '|---|---|---|---|---|---|---|---|',
        ...dialRuns.map(
          (r) =>
            `| ${r.calls} | ${r.concurrency} | ${fixed(r.seconds, 1)} | ${fixed(r.callsPerMinute, 0)} | ${fixed(r.fastestCallS, 2)} | ${fixed(r.efficiency, 2)} | ${r.maxInFlight} | ${r.outcomes} |`,
        ),
        '',
        "Answer → first agent audio, as the callee hears it (the first sound in the phone's recording after it answered): the OpenAI agent greeting through the local Realtime server (its espeak-ng voice: not a figure for OpenAI) against a baseline that plays a ready greeting the moment its socket is connected.",
        '',
        '| app | calls | answer → first audio p50 / p95 | × baseline (p50) |',
        '|---|---|---|---|',
        ...(firstAudio ?? []).map(
          (r) =>
            `| ${r.app} | ${r.calls} | ${pair(r.answerToFirstAudioMs)} | ${r.answerToFirstAudioMs && firstAudio?.[0]?.answerToFirstAudioMs?.p50 ? fixed(r.answerToFirstAudioMs.p50 / firstAudio[0].answerToFirstAudioMs.p50, 2) : '—'} |`,
        ),
        '',
      ]
    : []),
].join('\n');
process.stdout.write(`${report}\n`);

if (!flag('no-write')) {
  await appendFile(join(root, 'docs', 'benchmarks.md'), `\n${report}`);
  if (!echo.size) process.exit(0);
  const series = (metric: (r: EchoResult) => number, name: Target, color: string) => ({
    name,
    color,
    points: callLevels.filter((c) => echo.has(`${name}@${c}`)).map((c): [number, number] => [c, median(echo.get(`${name}@${c}`)!.map(metric))]),
  });
  const colors: Record<Target, string> = {
    voicesocket: '#d9480f',
    'voicesocket-workers-2': '#f08c00',
    'voicesocket-redis': '#9c36b5',
    'voicesocket-record': '#e8590c',
    'voicesocket-tracing': '#5f3dc4',
    'voicesocket-no-bufferutil': '#868e96',
    'bare-ws': '#1971c2',
    'bare-uws': '#2f9e44',
  };
  await writeFile(
    join(root, 'docs', 'bench-echo.svg'),
    chart([
      { title: 'Server CPU per call', unit: '% of a core', series: targets.map((t) => series((r) => r.cpuPercentPerCall, t, colors[t])) },
      { title: 'Echo round trip p99', unit: 'ms', series: targets.map((t) => series((r) => r.rtt?.p99 ?? 0, t, colors[t])) },
    ]),
  );
  process.stderr.write('appended to docs/benchmarks.md; plot in docs/bench-echo.svg\n');
}

function cpuTable(runs: CpuResult[]): string {
  const base = runs.find((run) => run.engine === 'pocketsphinx before');
  return [
    '| engine | calls | % of a core | % per call (Node) | calls per core | × before | CPU s per call start | finals / recordings said | engine failures | WER |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (run) =>
        `| ${run.engine} | ${run.calls} | ${fixed(run.cpuPercent, 1)} | ${fixed(run.cpuPercentPerCall, 2)} (${fixed(run.nodePercentPerCall, 2)}) | **${fixed(run.callsPerCore, 1)}** | ${base ? fixed(run.callsPerCore / base.callsPerCore, 2) : '—'} | ${fixed(run.startCpuSeconds, 2)} | ${run.finals} / ${run.said} | ${run.engineFailures}${run.engineFailures ? ' ⚠ overloaded: not valid' : ''} | ${fixed(100 * run.wordErrorRate, 1)} % |`,
    ),
  ].join('\n');
}

function voiceLines(results: VoiceResult[]): string[] {
  const measured = results.filter((r) => r.heard);
  return [
    "Each voice says the speech suite's sentences; **heard**: PocketSphinx's word error rate on them (the whole utterance decoded, no grammar): a listening test by a recogniser trained on human speech, not by people. **RTF**: synthesis wall time ÷ audio length, the whole command per sentence.",
    '',
    '| voice | heard WER | synthesis RTF |',
    '|---|---|---|',
    ...results.map((r) =>
      r.heard ? `| ${r.name} | ${fixed(100 * r.wordErrorRate!, 1)} % | ${fixed(r.realTimeFactor, 3)} |` : `| ${r.name} | ${r.missing} | — |`,
    ),
    '',
    `| said | ${measured.map((r) => r.name).join(' | ')} |`,
    `|---|${measured.map(() => '---|').join('')}`,
    ...(measured[0]?.heard ?? []).map((row, i) => `| ${row.said} | ${measured.map((r) => r.heard![i]!.heard || '(nothing)').join(' | ')} |`),
  ];
}
