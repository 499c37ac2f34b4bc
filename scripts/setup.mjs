#!/usr/bin/env node
// Everything a fresh machine needs before `npm start` or `npm test`, with no dependency of its own:
//   - a maintained Node.js: the system's when it meets package.json's engines floor, else the current
//     LTS fetched into .cache/node/ and linked as node_modules/.bin/node (scripts/node-runtime.mjs);
//   - node_modules installed (npm ci, on that Node) when missing or older than package-lock.json;
//   - --build: the TypeScript and the web pages built where their sources changed (scripts/build.mjs);
//   - --test-deps: the system programs the tests use, installed with apt-get when missing.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envWithNode, linkNode, maintainedNode } from './node-runtime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

// Debian packages the test suite drives for real: command → package.
export const SYSTEM_TOOLS = {
  'espeak-ng': 'espeak-ng', // the emulator's talk action and speech caller audio
  flite: 'flite', // the clearer offline voice (--tts flite)
  sox: 'sox', // an independent reader of the WAV files we write
  chromium: 'chromium', // the dashboard and softphone tests (driven by playwright-core)
  'redis-server': 'redis-server', // --redis: the shared registry and cross-instance control
  nginx: 'nginx', // the load balancer in front of several instances (deploy/nginx)
  openssl: 'openssl', // the tests' own certificate authority (scripts/test-authority.mjs)
  // The offline speech-to-text engine (src/speech/pocketsphinx.ts): the library for Debian's python3
  // and the US English model. A path, not a command: neither package installs one we use.
  '/usr/lib/python3/dist-packages/pocketsphinx/__init__.py': 'python3-pocketsphinx',
  '/usr/share/pocketsphinx/model/en-us/en-us/mdef': 'pocketsphinx-en-us',
  // Real recorded human speech with known transcripts (CMU's test recordings), for the offline
  // accuracy benchmark (bench/recorded-speech.ts): measured on people, not only on synthetic voices.
  '/usr/share/pocketsphinx/test/data/librivox/transcription': 'pocketsphinx-testdata',
};

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`setup: ${command} ${commandArgs.join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function ensureNodeModules(node) {
  const lock = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && mtime(installed) >= mtime(lock) && mtime(installed) >= mtime(join(root, 'package.json'))) return;
  console.error('setup: installing npm dependencies');
  // --ignore-scripts: our own build runs below; no dependency needs an install script to work.
  // On the maintained Node (npm's own `#!/usr/bin/env node` finds it first on the PATH), whose
  // version is what npm checks every package's engines field against.
  run('npm', [existsSync(lock) ? 'ci' : 'install', '--ignore-scripts', '--no-audit', '--no-fund'], { env: envWithNode(node) });
}

function hasCommand(command) {
  if (command.startsWith('/')) return existsSync(command);
  // nginx lives in /usr/sbin, which is not on every user's PATH.
  return spawnSync('sh', ['-c', `command -v ${command} || test -x /usr/sbin/${command}`], { stdio: 'ignore' }).status === 0;
}

function ensureSystemTools() {
  const missing = Object.entries(SYSTEM_TOOLS)
    .filter(([command]) => !hasCommand(command))
    .map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const packages = [...new Set(missing)];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = root ? [] : hasCommand('sudo') ? ['sudo'] : null;
  if (!sudo) {
    console.error(`setup: missing ${packages.join(', ')}; install them with apt-get (needs root)`);
    process.exit(1);
  }
  console.error(`setup: installing ${packages.join(', ')} with apt-get`);
  const apt = (...aptArgs) => (sudo.length ? run('sudo', ['apt-get', ...aptArgs]) : run('apt-get', aptArgs));
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync(sudo.length ? 'sudo' : 'apt-get', sudo.length ? ['apt-get', 'update', '-q'] : ['update', '-q'], { stdio: 'inherit', env });
  apt('install', '-y', '-q', '--no-install-recommends', ...packages);
}

let node;
try {
  node = maintainedNode({ fetch: true });
} catch (error) {
  console.error(`setup: ${error.message}`);
  process.exit(1);
}
ensureNodeModules(node);
linkNode(node);
if (args.has('--test-deps')) ensureSystemTools();
if (args.has('--build')) run(node, [join(root, 'scripts', 'build.mjs')]);
