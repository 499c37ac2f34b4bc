/**
 * `voicesocket eval <scenarios.yaml...>`: simulated callers against an answer URL (docs/eval.md).
 * Prints each scenario's verdict as it ends and the report at the end, writes JUnit XML with
 * `--junit`, and exits 0 only when every scenario passed (1 when one failed, 2 for a bad file or flag).
 */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Command } from 'commander';
import { VoicesocketError } from '../errors.js';
import { loadScenarioFile, type Scenario } from '../eval/scenario.js';
import { runScenarios } from '../eval/runner.js';
import { junitReport, textReport } from '../eval/report.js';
import { checkWritableFile, parseInteger, parseUrl } from './parse.js';

interface EvalFlags {
  answerUrl?: string;
  records?: string;
  junit?: string;
  concurrency: string;
  plainWs?: boolean;
}

export function evalCommand(): Command {
  return new Command('eval')
    .description('run simulated callers (scenario files) against an answer URL and judge the agent: PASS/FAIL, JUnit XML')
    .argument('<files...>', 'scenario files, YAML or JSON (docs/eval.md)')
    .option('--answer-url <url>', "the app's answer webhook, for scenarios and files that name none")
    .option(
      '--records <url|dir>',
      "where the server's call records are, for expected tools: its base URL (/api/history) or its --call-records folder (default: the answer URL's server)",
    )
    .option('--junit <file.xml>', 'also write the results as JUnit XML')
    .option('--concurrency <n>', 'scenarios run at once', '4')
    .option('--plain-ws', 'connect wss:// socket URLs as ws:// (an app on this machine without TLS)')
    .action(async (files: string[], flags: EvalFlags) => {
      const concurrency = parseInteger(flags.concurrency, '--concurrency', 1, 32);
      const answerUrl = flags.answerUrl ? parseUrl(flags.answerUrl, '--answer-url') : undefined;
      if (flags.junit) await checkWritableFile(flags.junit, '--junit');
      const scenarios: Scenario[] = [];
      let records = flags.records;
      try {
        for (const file of files) {
          const loaded = await loadScenarioFile(file, answerUrl);
          scenarios.push(...loaded.scenarios);
          records ??= loaded.records;
        }
      } catch (error) {
        if (!(error instanceof VoicesocketError)) throw error;
        process.stderr.write(`voicesocket: ${error.code}: ${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      const results = await runScenarios(scenarios, {
        concurrency,
        ...(records ? { records } : {}),
        ...(flags.plainWs ? { plainWs: true } : {}),
        onResult: (result) => process.stderr.write(`${result.pass ? 'PASS' : 'FAIL'}  ${result.name}\n`),
      });
      process.stdout.write(`\n${textReport(results)}`);
      if (flags.junit) await writeFile(flags.junit, junitReport(results, files.map((file) => basename(file)).join(', ')));
      process.exitCode = results.every((result) => result.pass) ? 0 : 1;
    });
}
