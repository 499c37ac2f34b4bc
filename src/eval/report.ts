/**
 * What an eval run reports: a readable report (PASS/FAIL per scenario, each check with its reason
 * and the numbers measured) and JUnit XML for CI (one testsuite, a testcase per scenario, a
 * failure naming every check that failed; the shape Jenkins, GitLab and GitHub's reporters read).
 */
import type { ScenarioResult } from './runner.js';

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function textReport(results: ScenarioResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    lines.push(`${result.pass ? 'PASS' : 'FAIL'}  ${result.name}  (${(result.durationMs / 1000).toFixed(1)} s)`);
    for (const check of result.checks) lines.push(`      ${check.pass ? 'ok  ' : 'FAIL'} ${check.name.padEnd(9)} ${check.detail}`);
    const { responsesMs, talkOverMs } = result.measured;
    lines.push(
      `      measured  response ${responsesMs.length ? responsesMs.map((ms) => `${ms} ms`).join(', ') : '-'}; talk-over ${talkOverMs.length ? talkOverMs.map((ms) => `${ms} ms`).join(', ') : '-'}; heard ${result.heard.length ? result.heard.map((h) => `"${h}"`).join(', ') : '-'}`,
    );
  }
  const passed = results.filter((result) => result.pass).length;
  lines.push('', `${passed} of ${results.length} scenario(s) passed`);
  return `${lines.join('\n')}\n`;
}

function xml(text: string): string {
  // Characters XML 1.0 cannot carry at all are dropped; the five special ones escaped.
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function junitReport(results: ScenarioResult[], suiteName: string): string {
  const failures = results.filter((result) => !result.pass).length;
  const total = results.reduce((sum, result) => sum + result.durationMs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="voicesocket eval" tests="${results.length}" failures="${failures}" time="${seconds(total)}">`,
    `  <testsuite name="${xml(suiteName)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(total)}">`,
  ];
  for (const result of results) {
    out.push(`    <testcase classname="${xml(suiteName)}" name="${xml(result.name)}" time="${seconds(result.durationMs)}">`);
    const failed = result.checks.filter((check) => !check.pass);
    if (failed.length) {
      const message = failed.map((check) => `${check.name}: ${check.detail}`).join('; ');
      out.push(`      <failure message="${xml(message)}" type="eval">${xml(failed.map((check) => `${check.name}: ${check.detail}`).join('\n'))}</failure>`);
    }
    out.push(`      <system-out>${xml(result.checks.map((check) => `${check.pass ? 'ok' : 'FAIL'} ${check.name}: ${check.detail}`).join('\n'))}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
