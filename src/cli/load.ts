/**
 * `voicesocket load <answer-url> --calls N --duration D`: many concurrent emulated calls, a live
 * progress line, then a table. Bounded in count and time; stops by itself.
 */
import { Command } from 'commander';
import { MAX_LOAD_DURATION_MS, runLoad, type LoadReport } from '../emulator/load.js';
import { addSharedOptions, audioSpec, signing, switches, urls, type SharedFlags } from './emulator-options.js';
import { parseDuration, parseInteger } from './parse.js';
import { distributionRow, table } from './format.js';

interface LoadFlags extends SharedFlags {
  calls: string;
  duration: string;
  ramp?: string;
  warmup: string;
  workers?: string;
  json?: boolean;
}

/** Loss is only a measurement when the app echoes; for any other app it would read like a fault. */
function echoRow(report: LoadReport): string {
  if (report.connected === 0) return 'not measured: no call connected';
  if (report.echoed === 0) return "not measured: the app returned none of the caller's frames (not an echo app)";
  return `${report.echoed} frames returned, lost ${report.lost} (${report.lossPercent.toFixed(3)} %), duplicated ${report.duplicated}`;
}

/**
 * Calls the app ended with an error (1011) or by dropping the connection (1006): Vonage accepts such a
 * close, so "accepted" alone would call an app that fails every call a success.
 */
export function appErrors(report: LoadReport): number {
  return Object.entries(report.endings)
    .filter(([how]) => /^app closed (1011|1006)\b/.test(how))
    .reduce((sum, [, count]) => sum + count, 0);
}

export function formatLoadReport(report: LoadReport): string {
  const failedByApp = appErrors(report);
  return table([
    [
      'calls',
      `${report.calls} placed, ${report.connected} connected, ${report.failed} failed to connect, ${report.accepted} within Vonage's rules${failedByApp > 0 ? `, ${failedByApp} FAILED by the app (1011 or 1006)` : ''}`,
    ],
    ['frames', `sent ${report.framesSent}, received ${report.framesReceived}`],
    ['echo', echoRow(report)],
    ['violations', `${report.violations} wrong-size frames, ${report.underruns} underruns`],
    [
      'endings',
      Object.entries(report.endings)
        .sort((a, b) => b[1] - a[1])
        .map(([how, n]) => `${n} ${how}`)
        .join(', ') || '—',
    ],
    ['round trip', distributionRow(report.rtt)],
    ['answer webhook', distributionRow(report.answerLatency)],
    [
      'generator',
      `${report.workers} worker(s), CPU ${report.generatorCpuPercent.toFixed(1)} % of a core, busiest loop ${(report.generatorLoad * 100).toFixed(0)} %, loop delay p99 ${report.generatorLoopDelayP99Ms.toFixed(1)} / max ${report.generatorLoopDelayMaxMs.toFixed(1)} ms, max send gap ${report.maxSendLatenessMs.toFixed(1)} ms${report.generatorSaturated ? '  ⚠ SATURATED: figures show the generator, not the server' : ''}`,
    ],
    ...report.failures.slice(0, 3).map((failure): [string, string] => ['failure', failure]),
  ]);
}

export function loadCommand(): Command {
  const command = new Command('load')
    .description('run many concurrent emulated calls against an answer URL and report round trips and loss')
    .argument('<answer-url>', "the app's answer webhook")
    .requiredOption('--calls <n>', 'concurrent calls (1–10000)')
    .option('--duration <time>', 'how long each call stays on the socket', '20s')
    .option('--ramp <time>', 'start the calls evenly over this time (default 10 ms per call, at most 10 s)')
    .option('--warmup <time>', 'ignore round trips in the first part of each call', '2s')
    .option('--workers <n>', 'worker threads generating the load')
    .option('--json', 'print the report as JSON');
  addSharedOptions(command);
  command.action(async (answerUrl: string, flags: LoadFlags) => {
    const calls = parseInteger(flags.calls, '--calls', 1, 10_000);
    const durationMs = parseDuration(flags.duration, '--duration', MAX_LOAD_DURATION_MS);
    const tty = process.stderr.isTTY === true;
    let lastLine = 0;
    const report = await runLoad({
      ...urls(answerUrl, flags),
      calls,
      durationMs,
      warmupMs: parseDuration(flags.warmup, '--warmup'),
      ...(flags.ramp ? { rampMs: parseDuration(flags.ramp, '--ramp') } : {}),
      ...(flags.workers ? { workers: parseInteger(flags.workers, '--workers', 1, 64) } : {}),
      audio: audioSpec(flags),
      switches: switches(flags),
      ...(flags.plainWs ? { plainWs: true } : {}),
      ...(signing(flags) ? { signing: signing(flags)! } : {}),
      onProgress: (p) => {
        const width = 30;
        // Time, not ended calls: every call ends at about the same moment, at the very end.
        const filled = Math.round(p.elapsed * width);
        const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] started ${p.started}/${p.calls}  live ${p.live}  ended ${p.ended}${p.failed > 0 ? `  failed ${p.failed}` : ''}`;
        if (tty) process.stderr.write(`\r${line}`);
        else if (Date.now() - lastLine > 5000) {
          lastLine = Date.now();
          process.stderr.write(`${line}\n`);
        }
      },
    });
    if (tty) process.stderr.write('\n');
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatLoadReport(report)}\n`);
    process.exitCode = report.failed === 0 && report.violations === 0 && appErrors(report) === 0 ? 0 : 1;
  });
  return command;
}
