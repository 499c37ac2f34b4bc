/**
 * `voicesocket call <answer-url>`: one emulated call. Prints the timeline as it happens and the
 * measurements at the end; exits 0 only if Vonage would have accepted everything the app did.
 */
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { placeCall } from '../emulator/call.js';
import { appError } from '../emulator/checks.js';
import { writeWav } from '../audio/wav.js';
import { addSharedOptions, audioSpec, signing, switches, urls, type SharedFlags } from './emulator-options.js';
import { checkWritableFile, parseChoice, parseDtmfScript, parseDuration, parseList } from './parse.js';
import { distributionRow, ms, table } from './format.js';

interface CallFlags extends SharedFlags {
  duration: string;
  dtmf?: string;
  input?: string;
  rate?: string;
  record?: string;
  talk: string;
  json?: boolean;
  hear?: string | true;
}

export function callCommand(): Command {
  const command = new Command('call')
    .description('place one emulated Vonage call against an answer URL')
    .argument('<answer-url>', "the app's answer webhook, e.g. http://localhost:3000/webhooks/answer")
    .option('--duration <time>', 'how long the caller stays on the socket', '10s')
    .option('--dtmf <script>', 'DTMF on the socket, digit@time pairs: 1@2s,#@4s')
    .option('--input <digits>', 'digits entered at input actions, comma-separated per action: 12#,3')
    .option('--rate <hz>', 'fail unless the NCCO asks for this rate (8000, 16000, 24000)')
    .option('--record <file.wav>', 'write what the caller heard')
    .option('--talk <mode>', 'talk actions: realtime or skip', 'realtime')
    .option('--hear [phrases]', 'transcribe what the caller heard (PocketSphinx); with phrases, listen for those only: "you said sales,you said support"')
    .option('--json', 'print the result as JSON');
  addSharedOptions(command);
  command.action(async (answerUrl: string, flags: CallFlags) => {
    const durationMs = parseDuration(flags.duration, '--duration');
    // The recording's place is checked before the call, not after it ran.
    if (flags.record) await checkWritableFile(flags.record, '--record');
    const result = await placeCall({
      ...urls(answerUrl, flags),
      durationMs,
      audio: audioSpec(flags),
      dtmf: flags.dtmf ? parseDtmfScript(flags.dtmf) : [],
      inputDigits: flags.input ? flags.input.split(',') : [],
      talk: parseChoice(flags.talk, '--talk', ['realtime', 'skip'] as const),
      record: Boolean(flags.record),
      ...(flags.hear ? { transcribeHeard: flags.hear === true ? true : { choices: parseList(flags.hear, '--hear') } } : {}),
      switches: switches(flags),
      ...(flags.plainWs ? { plainWs: true } : {}),
      ...(signing(flags) ? { signing: signing(flags)! } : {}),
      onTimeline: flags.json
        ? undefined
        : (entry) => process.stdout.write(`${String(entry.atMs).padStart(6)} ms  ${entry.source.padEnd(6)} ${entry.problem ? '✗ ' : ''}${entry.text}\n`),
    });
    const leg = result.leg;
    const failure = appError(leg);
    if (flags.rate && leg && String(leg.sampleRate) !== flags.rate) {
      result.problems.push(`the NCCO asks for ${leg.sampleRate} Hz, expected ${flags.rate}`);
      result.accepted = false;
    }
    if (flags.record && result.heard) await writeFile(flags.record, writeWav(result.heard.pcm, result.heard.sampleRate));
    if (flags.json) {
      const { heard: _heard, rttSamples: _samples, ...legSummary } = leg ?? ({} as NonNullable<typeof leg>);
      process.stdout.write(
        `${JSON.stringify({ ...result, heard: undefined, leg: leg ? legSummary : undefined, ...(failure ? { appError: failure } : {}) }, null, 2)}\n`,
      );
    } else {
      const rows: Array<[string, string]> = [
        [
          'answer',
          result.answer.ok
            ? `${result.answer.status} in ${ms(result.answer.latencyMs)} (${result.answer.attempts} attempt(s))`
            : `failed: ${result.answer.error}`,
        ],
      ];
      if (leg) {
        rows.push(
          [
            'socket',
            leg.connected
              ? `${leg.sampleRate} Hz, ended: ${leg.end}${leg.closeCode !== undefined ? ` (${leg.closeCode})` : ''}`
              : `not connected: ${leg.connectError}`,
          ],
          ['frames', `sent ${leg.framesSent}, received ${leg.framesReceived}`],
          [
            'echo',
            leg.echoed > 0
              ? `${leg.echoed} of the caller's frames returned, ${leg.lost} not returned, ${leg.duplicated} duplicated`
              : "not measured: the app returned none of the caller's frames (not an echo app)",
          ],
          ['round trip', distributionRow(leg.rtt)],
          ['jitter', ms(leg.jitterMs)],
          ['first audio', ms(leg.timeToFirstAudioMs)],
          ['playback', `max buffered ${leg.maxBufferedFrames} frames, underruns ${leg.underruns.length}, overflow drops ${leg.overflowDropped}`],
          ['control', `clear ${leg.clears}, notify ${leg.marksSent} sent / ${leg.marksReported} reported, ignored text ${leg.unexpectedText.length}`],
        );
      }
      if (result.heardTranscriptError) rows.push(['heard', `not transcribed: ${result.heardTranscriptError}`]);
      for (const utterance of result.heardTranscript ?? []) rows.push(['heard', `at ${(utterance.startMs / 1000).toFixed(1)} s: "${utterance.text}"`]);
      for (const warning of result.nccoWarnings) rows.push(['warning', warning]);
      rows.push(['verdict', verdict(result.accepted, result.problems, failure)]);
      process.stdout.write(`\n${table(rows)}\n`);
    }
    process.exitCode = result.accepted && !failure ? 0 : 1;
  });
  return command;
}

/** Whether Vonage would have accepted what the app did, and whether the app kept the call up: an app that fails is not "accepted". */
function verdict(accepted: boolean, problems: string[], failure: string | undefined): string {
  if (!accepted) return `REJECTED: ${problems.join('; ')}${failure ? `; ${failure}` : ''}`;
  if (failure) return `FAILED: ${failure}; Vonage would have accepted what it sent`;
  return 'accepted: Vonage would have accepted everything the app did';
}
