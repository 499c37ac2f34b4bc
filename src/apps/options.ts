/**
 * Reading app options (from CLI flags or library callers) with coded errors naming the option. Files
 * and folders are checked when the app is created, at start: an unplayable prompt or an unwritable
 * folder stops the server with one line, instead of failing on the first call.
 */
import { existsSync, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { VoicesocketError } from '../errors.js';
import { parseDurationMs } from '../duration.js';
import { readWav, WavError, type WavAudio } from '../audio/wav.js';

export type AppOptions = Record<string, unknown>;

function invalid(name: string, raw: unknown, why: string): VoicesocketError {
  return new VoicesocketError('CONFIG_INVALID', `--${name}=${JSON.stringify(raw)} is not allowed; ${why}`);
}

export function durationOption(options: AppOptions, name: string, fallbackMs: number, maxMs: number): number {
  const raw = options[name];
  if (raw === undefined) return fallbackMs;
  const value = parseDurationMs(raw);
  if (value === undefined || value > maxMs) throw invalid(name, raw, `expected a duration from 0 to ${maxMs / 1000} s, such as 1s or 500ms`);
  return value;
}

export function fileOption(options: AppOptions, name: string, app: string): string {
  const raw = options[name];
  if (typeof raw !== 'string' || raw === '') throw new VoicesocketError('CONFIG_INVALID', `--${name} is required by the ${app} app`);
  if (!existsSync(raw)) throw invalid(name, raw, 'the file does not exist');
  if (!statSync(raw).isFile()) throw invalid(name, raw, 'expected a file, not a directory');
  return raw;
}

/** A prompt file that must be a playable WAV (format, rate range and channels are checked by readWav). */
export async function wavOption(options: AppOptions, name: string, app: string): Promise<{ path: string; wav: WavAudio }> {
  const path = fileOption(options, name, app);
  try {
    return { path, wav: readWav(await readFile(path)) };
  } catch (error) {
    if (error instanceof WavError) throw invalid(name, path, `expected a playable WAV file: ${error.message}`);
    throw invalid(name, path, `the file cannot be read: ${(error as Error).message}`);
  }
}

export function stringOption(options: AppOptions, name: string, fallback: string): string {
  const raw = options[name];
  return typeof raw === 'string' && raw !== '' ? raw : fallback;
}

/**
 * A folder the app will write into: created if missing, and proved writable by writing a file.
 * Folders are created one level at a time: `mkdir({ recursive: true })` never returns under /proc.
 */
export function writableDirOption(options: AppOptions, name: string, fallback: string): string {
  const raw = stringOption(options, name, fallback);
  const path = resolve(raw);
  const missing: string[] = [];
  for (let current = path; !existsSync(current); current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  try {
    for (const folder of missing) mkdirSync(folder);
    if (!statSync(path).isDirectory()) throw new Error('not a directory');
    const probe = join(path, `.voicesocket-write-test-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (error) {
    throw invalid(name, raw, `expected a folder this process can write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return path;
}

/** One of a fixed set of words (`--barge-in speech`); `key` is the option's name in the options object. */
export function choiceOption<T extends string>(options: AppOptions, key: string, flag: string, allowed: readonly T[], fallback: T): T {
  const raw = options[key];
  if (raw === undefined) return fallback;
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  throw invalid(flag, raw, `expected one of ${allowed.join(', ')}`);
}
