/** Small text formatting helpers for CLI output. */
import type { Distribution } from '../emulator/stats.js';

export function ms(value: number | undefined, digits = 2): string {
  return value === undefined ? '—' : `${value.toFixed(digits)} ms`;
}

export function table(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}

export function distributionRow(value: Distribution | undefined): string {
  if (!value) return '—';
  return `p50 ${value.p50.toFixed(2)}  p95 ${value.p95.toFixed(2)}  p99 ${value.p99.toFixed(2)}  max ${value.max.toFixed(2)} ms  (n=${value.count})`;
}
