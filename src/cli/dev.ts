/**
 * `voicesocket dev`: from Vonage credentials in `.env` to a number you can call, in one command —
 * serve, open a tunnel (or take PUBLIC_URL), create or update the Voice application, link the number,
 * print what to call. `voicesocket setup` does the Vonage side only, for a server that runs elsewhere.
 * docs/dev.md.
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { VoicesocketError } from '../errors.js';
import { loadConfig } from '../server/settings.js';
import { VonageAccount } from '../provisioning/vonage-account.js';
import { provision, type ProvisionOptions, type ProvisionResult } from '../provisioning/provision.js';
import { openTunnel, type Tunnel } from '../tunnel/tunnel.js';
import { addServeOptions, settingsFromFlags, startServing, type AppFlags } from './serve.js';
import { installShutdown } from './shutdown.js';
import { updateDotEnv } from './env-file.js';
import { writePrivateKey } from './private-key.js';
import { fixedUrl } from '../tunnel/fixed-url.js';

interface AccountFlags {
  buyNumber?: string;
  yes?: boolean;
  dryRun?: boolean;
  name: string;
}

const DEFAULT_NAME = 'voicesocket';

const ACCOUNT_OPTIONS = 'Vonage account:';

function addAccountOptions(command: Command): Command {
  const grouped = (flags: string, description: string, value?: string) =>
    command.addOption(new Option(flags, description).default(value).helpGroup(ACCOUNT_OPTIONS));
  grouped(
    '--buy-number <country>',
    'buy a voice number in this country (two letters, e.g. GB, US) when VONAGE_NUMBER is not set; shows the price and asks first',
  );
  grouped('--yes', 'agree to buying a number or moving one from another application without asking');
  grouped('--dry-run', 'print what would change in the Vonage account, change nothing');
  grouped('--name <name>', 'name of the Vonage application when one is created', DEFAULT_NAME);
  return command;
}

/** Where the credentials come from, for both commands' --help: a newcomer's first question. */
const CREDENTIALS_HELP = `
Credentials (read from the environment or from .env in this folder):
  VONAGE_API_KEY, VONAGE_API_SECRET   required: the Vonage dashboard shows them under "API settings"
  VONAGE_APPLICATION_ID               the application to update; unset: one is created, and its id,
                                      and its private key (saved to ./private.key, mode 0600), are
                                      written back to .env
  VONAGE_NUMBER                       the number to link; unset: --buy-number <country> buys one
  VONAGE_SIGNATURE_SECRET             optional: webhooks are then signed and verified (docs/security.md)`;

const DEV_HELP = `
Public URL (Vonage must reach this server from the internet), the first that applies:
  --public-url / PUBLIC_URL   an address you already have (a proxy, a host of your own, a tunnel you run)
  NGROK_AUTHTOKEN             an ngrok tunnel is opened to --port (the token is free: dashboard.ngrok.com,
                              "Your Authtoken"); its address changes each run, and dev points the
                              application at the new one
  neither                     dev stops with VS_ERR_TUNNEL_UNAVAILABLE and says so
${CREDENTIALS_HELP}

Example: put the two keys in .env, then
  npx voicesocket dev --buy-number GB        (asks before buying; see docs/dev.md)`;

const SETUP_HELP = `
Public URL: setup serves nothing and opens no tunnel; --public-url (or PUBLIC_URL) is the address where
your server already answers (its /webhooks/answer, /webhooks/event and /socket).
${CREDENTIALS_HELP}`;

/** The account's credentials and hosts from the environment (and `.env`, read at start). */
function accountFromEnv(env: NodeJS.ProcessEnv): VonageAccount {
  const apiKey = env.VONAGE_API_KEY;
  const apiSecret = env.VONAGE_API_SECRET;
  if (!apiKey || !apiSecret)
    throw new VoicesocketError('VONAGE_CREDENTIALS', 'set VONAGE_API_KEY and VONAGE_API_SECRET in .env (the Vonage dashboard shows them under "API settings")');
  return new VonageAccount({ apiKey, apiSecret, apiHost: env.VONAGE_API_HOST, restHost: env.VONAGE_REST_HOST });
}

/** A yes from the terminal; with no terminal, `--yes` or a coded error naming the question. */
function confirmer(flags: AccountFlags): (question: string) => Promise<boolean> {
  return async (question) => {
    if (flags.yes) return true;
    if (!process.stdin.isTTY) throw new VoicesocketError('CONFIRMATION_NEEDED', `${question} Run with --yes to agree (nothing was changed)`);
    const terminal = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return /^y(es)?$/i.test((await terminal.question(`${question} [y/N] `)).trim());
    } finally {
      terminal.close();
    }
  };
}

function say(line: string): void {
  process.stdout.write(`voicesocket: ${line}\n`);
}

/** What Vonage returned that later runs need: into `.env` (and the private key into a 0600 file). */
function saver(env: NodeJS.ProcessEnv): ProvisionOptions['save'] {
  const envPath = resolve('.env');
  return async ({ applicationId, privateKey, number }) => {
    const values: Record<string, string> = {};
    if (applicationId) values.VONAGE_APPLICATION_ID = applicationId;
    if (applicationId && privateKey) {
      const path = await writePrivateKey(env.VONAGE_PRIVATE_KEY ?? './private.key', applicationId, privateKey);
      values.VONAGE_PRIVATE_KEY = path;
      say(`saved the application's private key to ${path} (mode 0600; Vonage shows it only once)`);
    }
    if (number) values.VONAGE_NUMBER = number;
    await updateDotEnv(envPath, values);
    Object.assign(env, values);
    say(`saved ${Object.keys(values).join(', ')} to ${envPath}`);
  };
}

function parseCountry(raw: string): string {
  const country = raw.toUpperCase();
  if (!/^[A-Z]{2}$/.test(country))
    throw new VoicesocketError('CONFIG_INVALID', `--buy-number=${JSON.stringify(raw)} is not allowed; expected a two-letter country code such as GB or US`);
  return country;
}

function provisionOptions(flags: AccountFlags, publicUrl: string, env: NodeJS.ProcessEnv, account: VonageAccount): ProvisionOptions {
  return {
    account,
    applicationId: env.VONAGE_APPLICATION_ID || undefined,
    applicationName: flags.name,
    publicUrl,
    // Signed webhooks only when the server can verify them: with the account's signature secret.
    signed: Boolean(env.VONAGE_SIGNATURE_SECRET),
    number: env.VONAGE_NUMBER || undefined,
    buyCountry: flags.buyNumber ? parseCountry(flags.buyNumber) : undefined,
    dryRun: flags.dryRun === true,
    confirm: confirmer(flags),
    report: say,
    save: saver(env),
  };
}

function printCallable(result: ProvisionResult, base: string | undefined): void {
  if (result.number) say(`call +${result.number.replace(/^\+/, '')} now${base ? `; watch it on ${base}/` : ''}`);
  else if (base) say(`no number to call yet (see above); the dashboard is ${base}/`);
}

/** On exit: say what the application still points at, so nothing stale is left unsaid. */
function leftBehind(tunnel: Tunnel, result: ProvisionResult): string {
  if (!result.applicationId) return `nothing was changed in the Vonage account`;
  return tunnel.ephemeral
    ? `left application ${result.applicationId} pointing at ${tunnel.url}, which stops answering now; the next \`voicesocket dev\` points it at its new tunnel`
    : `left application ${result.applicationId} pointing at ${tunnel.url} (${tunnel.kind})`;
}

export function devCommand(): Command {
  const command = addAccountOptions(
    addServeOptions(new Command('dev').description('serve, open a tunnel, point a Vonage application and number at it: call the number (docs/dev.md)')),
  ).addHelpText('after', DEV_HELP);
  command.action(async (flags: Record<string, unknown> & AppFlags & AccountFlags) => {
    const env = process.env;
    const config = loadConfig(settingsFromFlags(flags));
    const account = accountFromEnv(env); // missing credentials stop before anything starts
    if (flags.dryRun) {
      // The plan without serving: an ngrok address is known only once the tunnel is open.
      if (!config.publicUrl && !env.NGROK_AUTHTOKEN) await openTunnel({ port: config.port });
      const planned = config.publicUrl ? fixedUrl(config.publicUrl).url : 'https://<ngrok tunnel>';
      await provision(provisionOptions(flags, planned, env, account));
      return;
    }
    const { server, base, port } = await startServing(config, flags);
    let tunnel: Tunnel | undefined;
    let result: ProvisionResult | undefined;
    // Installed before any wait, so a signal during set-up also closes the tunnel and says what was done.
    installShutdown(server, {
      afterClose: async () => {
        await tunnel?.close();
        if (tunnel && result) say(leftBehind(tunnel, result));
      },
    });
    try {
      tunnel = await openTunnel({ port, publicUrl: config.publicUrl, ngrokAuthtoken: env.NGROK_AUTHTOKEN });
      say(`public URL ${tunnel.url} (${tunnel.kind})`);
      // The NCCO's socket URL follows the tunnel's address, whatever headers it forwards.
      server.config.publicUrl = tunnel.url;
      result = await provision(provisionOptions(flags, tunnel.url, env, account));
      // Signed requests must name this application; a new one's id is known only now.
      if (result.applicationId && server.config.signatureSecret) server.config.applicationId = result.applicationId;
      printCallable(result, base);
    } catch (error) {
      await tunnel?.close();
      await server.close();
      throw error;
    }
  });
  return command;
}

export function setupCommand(): Command {
  const command = addAccountOptions(
    new Command('setup')
      .description('create or update the Vonage application and link the number for a server already reachable at --public-url; serves nothing')
      .option('--public-url <url>', 'the public base URL of the server [env PUBLIC_URL]'),
  ).addHelpText('after', SETUP_HELP);
  command.action(async (flags: AccountFlags & { publicUrl?: string }) => {
    const env = process.env;
    const publicUrl = flags.publicUrl ?? env.PUBLIC_URL;
    if (!publicUrl) throw new VoicesocketError('CONFIG_INVALID', '--public-url (or PUBLIC_URL) is required: setup points the application at it');
    const account = accountFromEnv(env);
    const result = await provision(provisionOptions(flags, fixedUrl(publicUrl).url, env, account));
    printCallable(result, undefined);
  });
  return command;
}
