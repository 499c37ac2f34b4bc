/**
 * Imports a module the user named in a setting (`--app`, `--stt`, `--tts`): a path resolved from the
 * working directory, JavaScript as is, TypeScript through tsx when it is installed. Every way it can
 * fail is a CONFIG_INVALID error naming the setting: the server stops at start (exit 2), not at the
 * first call. A module that does not parse or throws while loading is named with its file and line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VoicesocketError } from '../errors.js';

/** `node --check` of one file parses it only: well inside this even on a loaded machine. */
const CHECK_TIMEOUT_MS = 10_000;

export async function importUserModule(name: string, setting: string): Promise<{ default?: unknown; [name: string]: unknown }> {
  const path = resolve(name);
  if (!existsSync(path)) throw new VoicesocketError('CONFIG_INVALID', `${setting}=${JSON.stringify(name)} is not allowed; no such file`);
  if (/\.(c|m)?ts$/.test(path)) {
    try {
      // Both hooks: a .ts file in a CommonJS package (no "type": "module") loads through the CJS one.
      const [esm, cjs] = (await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')])) as Array<{ register: () => unknown }>;
      esm!.register();
      cjs!.register();
    } catch {
      throw new VoicesocketError(
        'CONFIG_INVALID',
        `${setting}=${JSON.stringify(name)} is TypeScript; install tsx (npm install tsx) or compile it to JavaScript`,
      );
    }
  }
  try {
    return (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new VoicesocketError('CONFIG_INVALID', `${setting}=${JSON.stringify(name)} could not be loaded: ${whyNotLoaded(error, path)}`, { cause: error });
  }
}

/**
 * Why a module did not load, on one line, with the file and line where that is known: a syntax error
 * (Node 20 gives an ES module's without any place), tsx's transform error, an exception at load time.
 */
export function whyNotLoaded(error: unknown, path: string): string {
  const message = oneLine(error instanceof Error ? error.message : String(error));
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  if (error instanceof SyntaxError) {
    // A CommonJS module's (and, on newer Nodes, an ES module's) stack begins with "file:line".
    // A SyntaxError thrown while the module ran (JSON.parse) has the user's frame; a parse error has none.
    const place = placeAtTop(stack) ?? firstUserFrame(stack) ?? placeByCheck(path);
    return place ? `${place}: ${message}` : message;
  }
  // tsx (esbuild) puts "path:line:column: ERROR: ..." in the message itself: one line is enough.
  if (/^Transform failed/.test(message)) return message.replace(/^Transform failed with \d+ errors?: /, '').replace(/ ERROR: /, ' ');
  const frame = firstUserFrame(stack);
  return frame ? `${message} (at ${frame})` : message;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The `file:line` a syntax error's stack starts with, when it does. */
function placeAtTop(stack: string): string | undefined {
  const first = stack.split('\n', 1)[0] ?? '';
  const match = /^(file:\/\/\S+|\/\S+|[A-Za-z]:\\\S+):(\d+)$/.exec(first);
  return match ? `${pathOf(match[1]!)}:${match[2]}` : undefined;
}

/** Files `node --check` may parse looking for the broken one: a module graph larger than this is not walked further. */
const MAX_CHECKED_FILES = 50;

/**
 * Node parses a file on its own (`--check` runs nothing) and says where it breaks: the first line of
 * its output is `file:line`. The entry is checked first, then the files it imports by relative path,
 * breadth first: the broken file may be one the module imports.
 */
function placeByCheck(entry: string): string | undefined {
  const queue = [entry];
  const seen = new Set(queue);
  for (let i = 0; i < queue.length && i < MAX_CHECKED_FILES; i++) {
    const file = queue[i]!;
    const checked = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: CHECK_TIMEOUT_MS });
    if (checked.status !== 0) return placeAtTop(checked.stderr ?? '');
    for (const imported of relativeImports(file)) {
      if (seen.has(imported)) continue;
      seen.add(imported);
      queue.push(imported);
    }
  }
  return undefined;
}

/** The JavaScript files `file` imports statically by a relative path (`import x from './x.js'`, `export * from '../y.mjs'`). */
function relativeImports(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"`;]*?['"](\.{1,2}\/[^'"]+)['"]/g)]
    .map((match) => resolve(dirname(file), match[1]!))
    .filter((path) => /\.(c|m)?js$/.test(path) && existsSync(path));
}

/** The first stack frame outside Node's own code: where the user's module threw while loading. */
function firstUserFrame(stack: string): string | undefined {
  for (const line of stack.split('\n').slice(1)) {
    // "at file:///app.mjs:3:7" or "at fn (/app.cjs:3:7)"; not Node's own "node:internal/…" frames.
    const match = /(?:^at |\()((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):\d+\)?$/.exec(line.trim());
    if (match && !match[1]!.includes('/node_modules/')) return `${pathOf(match[1]!)}:${match[2]}`;
  }
  return undefined;
}

function pathOf(location: string): string {
  return location.startsWith('file://') ? fileURLToPath(location) : location;
}
