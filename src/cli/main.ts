/**
 * The `voicesocket` command. Usage errors (a bad setting, a port that cannot be used) exit 2 with one
 * line naming the setting; anything else unexpected exits 1.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { VoicesocketError, errorCode } from '../errors.js';
import { serveCommand, isUsageError } from './serve.js';
import { callCommand } from './call.js';
import { loadCommand } from './load.js';
import { checkCommand } from './check.js';
import { devCommand, setupCommand } from './dev.js';
import { emulateCommand } from './emulate.js';
import { loadDotEnv } from './env-file.js';
import { dialCommand } from './dial.js';
import { evalCommand } from './eval.js';

// Both src/cli (tsx) and dist/cli sit two levels under the package root.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('voicesocket')
  .description('Connect Vonage Voice API calls to a WebSocket: echo server, audio engine and a local Vonage emulator')
  .version(version, '-V, --version', 'print the version')
  .addCommand(serveCommand())
  .addCommand(callCommand())
  .addCommand(loadCommand())
  .addCommand(checkCommand())
  .addCommand(devCommand())
  .addCommand(setupCommand())
  .addCommand(dialCommand());
program.addCommand(emulateCommand());
program.addCommand(evalCommand());

// A usage mistake commander finds (an unknown option, a missing argument) is a bad setting like any
// other: one coded line and exit 2, with where to look, not the whole help and exit 1.
for (const command of [program, ...program.commands]) {
  command.exitOverride().configureOutput({
    outputError: (text, write) =>
      write(
        `voicesocket: ${errorCode('CONFIG_INVALID')}: ${text.replace(/^error: /, '').trim()} (see voicesocket ${command === program ? '' : `${command.name()} `}--help)\n`,
      ),
  });
}

try {
  loadDotEnv();
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (isUsageError(error)) {
    process.stderr.write(`voicesocket: ${error.code}: ${error.message}\n`);
    process.exit(2);
  }
  // A coded error is explained by its own line (an unreachable API, say); only the unexpected needs a stack.
  if (error instanceof VoicesocketError) {
    process.stderr.write(`voicesocket: ${error.code}: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`voicesocket: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
