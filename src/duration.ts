/**
 * Durations as people write them on a command line or in app options: `500ms`, `10s`, `2m`, `1h`, or a
 * bare number (seconds in text, milliseconds as a number). A leaf any layer may import.
 */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined when `raw` is not a duration. */
export function parseDurationMs(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? raw : undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(raw).trim());
  return match ? Number(match[1]) * UNITS[match[2] ?? 's']! : undefined;
}
