/**
 * The shape of one setting and the parsers the settings tables share (settings.ts, speech-settings.ts).
 */
import type { ServerConfig } from './config.js';

export type Parser<T> = (raw: string) => T | undefined;

export interface Setting<K extends keyof ServerConfig = keyof ServerConfig> {
  key: K;
  env: string;
  /** Other variables read when `env` is unset (GOOGLE_API_KEY beside GEMINI_API_KEY, as Google's SDK reads both). */
  aliases?: string[];
  flag: string;
  description: string;
  allowed: string;
  parse: Parser<ServerConfig[K]>;
  /** A valid value other than the default, and one that must be refused: the settings contract test runs both for every setting. */
  example: string;
  invalid: string;
  /** Never printed (`serve --print-config` shows only that it is set). */
  secret?: boolean;
}

export function setting<K extends keyof ServerConfig>(value: Setting<K>): Setting<K> {
  return value;
}

export const nonEmpty: Parser<string> = (raw) => (raw.trim() === '' ? undefined : raw);

export const WEB_PROTOCOLS = ['http:', 'https:', 'ws:', 'wss:'];

/** An absolute URL with one of these schemes and a host. */
export function urlOf(protocols: string[]): Parser<string> {
  return (raw) => {
    try {
      const url = new URL(raw);
      return protocols.includes(url.protocol) && url.hostname !== '' ? raw : undefined;
    } catch {
      return undefined;
    }
  };
}

export function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (raw) => ((values as readonly string[]).includes(raw) ? (raw as T) : undefined);
}
