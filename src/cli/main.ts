/**
 * The `voicesocket` command. Usage errors (a bad setting) exit 2 with one line naming the setting;
 * anything else unexpected exits 1.
 */
import { Command } from 'commander';
import { serveCommand, isUsageError } from './serve.js';
import { callCommand } from './call.js';
import { loadCommand } from './load.js';
import { checkCommand } from './check.js';

const program = new Command('voicesocket')
  .description('Connect Vonage Voice API calls to a WebSocket: echo server, audio engine and a local Vonage emulator')
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(callCommand())
  .addCommand(loadCommand())
  .addCommand(checkCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (isUsageError(error)) {
    process.stderr.write(`voicesocket: ${error.code}: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`voicesocket: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
