/**
 * Reading app options (from CLI flags or library callers) with coded errors naming the option.
 */
import { existsSync } from 'node:fs';
import { VoicesocketError } from '../errors.js';
import { parseDurationMs } from '../duration.js';

export type AppOptions = Record<string, unknown>;

export function durationOption(options: AppOptions, name: string, fallbackMs: number, maxMs: number): number {
  const raw = options[name];
  if (raw === undefined) return fallbackMs;
  const value = parseDurationMs(raw);
  if (value === undefined || value > maxMs) {
    throw new VoicesocketError('CONFIG_INVALID', `--${name}=${JSON.stringify(raw)} is not allowed; expected a duration from 0 to ${maxMs / 1000} s, such as 1s or 500ms`);
  }
  return value;
}

export function fileOption(options: AppOptions, name: string, app: string): string {
  const raw = options[name];
  if (typeof raw !== 'string' || raw === '') throw new VoicesocketError('CONFIG_INVALID', `--${name} is required by the ${app} app`);
  if (!existsSync(raw)) throw new VoicesocketError('CONFIG_INVALID', `--${name}=${JSON.stringify(raw)} is not allowed; the file does not exist`);
  return raw;
}

export function stringOption(options: AppOptions, name: string, fallback: string): string {
  const raw = options[name];
  return typeof raw === 'string' && raw !== '' ? raw : fallback;
}
