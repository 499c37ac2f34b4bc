/**
 * Parsers for CLI values. Each throws a CONFIG_INVALID error naming the option, so a typo exits 2
 * with one clear line.
 */
import { writeFile } from 'node:fs/promises';
import { VoicesocketError } from '../errors.js';
import { parseDurationMs } from '../duration.js';
import type { DtmfPress } from '../emulator/websocket-leg.js';

/** `10s`, `500ms`, `2m`, `1h`, or a bare number of seconds. */
export function parseDuration(raw: string, option: string, maxMs = Infinity): number {
  const ms = parseDurationMs(raw);
  if (ms === undefined)
    throw new VoicesocketError('CONFIG_INVALID', `${option}=${JSON.stringify(raw)} is not allowed; expected a duration such as 10s, 500ms or 2m`);
  if (ms > maxMs) throw new VoicesocketError('CONFIG_INVALID', `${option}=${JSON.stringify(raw)} is not allowed; at most ${maxMs / 1000} s`);
  return ms;
}

export function parseInteger(raw: string, option: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new VoicesocketError('CONFIG_INVALID', `${option}=${JSON.stringify(raw)} is not allowed; expected an integer from ${min} to ${max}`);
  }
  return value;
}

/** `1@2s,#@4.5s`: digit at time since the socket opened. */
export function parseDtmfScript(raw: string, option = '--dtmf'): DtmfPress[] {
  return raw
    .split(',')
    .filter(Boolean)
    .map((item) => {
      const match = /^([0-9*#])@(.+)$/.exec(item.trim());
      if (!match) throw new VoicesocketError('CONFIG_INVALID', `${option}=${JSON.stringify(raw)} is not allowed; expected digit@time pairs such as 1@2s,#@4s`);
      return { digit: match[1]!, atMs: parseDuration(match[2]!, option) };
    });
}

/**
 * A spoken script: `"sales"@2s,"operator"@6s` (quotes optional for text without commas or @).
 */
export function parseSayScript(raw: string, option = '--say'): Array<{ text: string; atMs: number }> {
  const lines: Array<{ text: string; atMs: number }> = [];
  const pattern = /\s*(?:"([^"]*)"|([^",@]+))@([^,]+)\s*(?:,|$)/y;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < raw.length && (match = pattern.exec(raw))) {
    const text = (match[1] ?? match[2] ?? '').trim();
    if (!text) break;
    lines.push({ text, atMs: parseDuration(match[3]!.trim(), option) });
  }
  if (lines.length === 0 || pattern.lastIndex !== raw.length) {
    throw new VoicesocketError(
      'CONFIG_INVALID',
      `${option}=${JSON.stringify(raw)} is not allowed; expected "text"@time pairs such as "sales"@2s,"operator"@6s`,
    );
  }
  return lines;
}

/** `a,b,c`: a comma-separated list of non-empty items. */
export function parseList(raw: string, option: string): string[] {
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) {
    throw new VoicesocketError(
      'CONFIG_INVALID',
      `${option}=${JSON.stringify(raw)} is not allowed; expected comma-separated phrases such as "you said sales,you said support"`,
    );
  }
  return items;
}

export function parseUrl(raw: string, option: string): string {
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw;
  } catch {
    // fall through to the coded error
  }
  throw new VoicesocketError('CONFIG_INVALID', `${option}=${JSON.stringify(raw)} is not allowed; expected an http:// or https:// URL`);
}

export function parseChoice<T extends string>(raw: string, option: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new VoicesocketError('CONFIG_INVALID', `${option}=${JSON.stringify(raw)} is not allowed; expected one of ${choices.join(', ')}`);
}

/** A file the command will write at the end: created empty now, so a bad path fails before the work. */
export async function checkWritableFile(path: string, option: string): Promise<void> {
  try {
    await writeFile(path, '');
  } catch (error) {
    throw new VoicesocketError(
      'CONFIG_INVALID',
      `${option}=${JSON.stringify(path)} is not allowed; expected a file this process can write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}
