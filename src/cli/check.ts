/**
 * `voicesocket check <answer-url>`: the conformance suite. Exit 1 on any FAIL; WARN and SKIP do not
 * fail the run.
 */
import { Command } from 'commander';
import { runChecks } from '../emulator/checks.js';
import { parseDuration, parseUrl } from './parse.js';
import { signing, type SharedFlags } from './emulator-options.js';

interface CheckFlags extends Pick<SharedFlags, 'eventUrl' | 'secret' | 'apiKey' | 'applicationId'> {
  duration: string;
  json?: boolean;
  plainWs?: boolean;
}

const MARK = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' } as const;

export function checkCommand(): Command {
  return new Command('check')
    .description('run the conformance checks of a Vonage WebSocket app against its answer URL')
    .argument('<answer-url>', "the app's answer webhook")
    .option('--event-url <url>', 'event webhook URL')
    .option('--duration <time>', 'length of the main test call', '3s')
    .option('--secret <secret>', 'sign webhooks and socket upgrades [env VONAGE_SIGNATURE_SECRET]')
    .option('--api-key <key>', 'api_key claim [env VONAGE_API_KEY]')
    .option('--application-id <id>', 'application_id claim [env VONAGE_APPLICATION_ID]')
    .option('--plain-ws', 'connect wss:// endpoints as ws:// (test an app on this machine whose NCCO says wss://; Vonage itself needs TLS)')
    .option('--json', 'print the results as JSON')
    .action(async (answerUrl: string, flags: CheckFlags) => {
      const results = await runChecks({
        answerUrl: parseUrl(answerUrl, 'answer-url'),
        ...(flags.eventUrl ? { eventUrl: parseUrl(flags.eventUrl, '--event-url') } : {}),
        durationMs: parseDuration(flags.duration, '--duration'),
        ...(signing(flags) ? { signing: signing(flags)! } : {}),
        ...(flags.plainWs ? { plainWs: true } : {}),
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else {
        const width = Math.max(...results.map((r) => r.name.length));
        for (const r of results) process.stdout.write(`${MARK[r.status]}  ${r.name.padEnd(width)}  ${r.reason}\n`);
        const count = (status: string) => results.filter((r) => r.status === status).length;
        process.stdout.write(`\n${count('pass')} passed, ${count('warn')} warned, ${count('fail')} failed, ${count('skip')} skipped\n`);
      }
      process.exitCode = results.some((r) => r.status === 'fail') ? 1 : 0;
    });
}
