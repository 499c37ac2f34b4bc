/**
 * Offline voices side by side: espeak-ng (the default) and the other English voices Debian packages
 * — flite (CMU's small synthesizer; its `slt` voice) and Festival with CMU's US `slt` HTS voice
 * (`festvox-us-slt-hts`) — each one that is installed (`apt-get install flite festival
 * festvox-us-slt-hts`; the suite says which were missing).
 *
 * Two measures per voice, on the speech suite's 12 sentences:
 * - **a listening test by machine**: PocketSphinx (the whole utterance decoded at once, no grammar)
 *   transcribes each synthesized sentence at 16 kHz, and the word error rate of what it heard is the
 *   voice's intelligibility to a recogniser trained on human speech. It is not a human listening
 *   test: it says how much like human speech a voice's words are, not how pleasant it is;
 * - **synthesis speed**: wall time to make each sentence against the length of its audio (real-time
 *   factor), the whole command from start to its WAV file, as a reply would wait for it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavToCallPcm } from '../src/audio/wav.js';
import { transcribeRecording } from '../src/speech/transcribe-recording.js';
import { wordErrors } from '../src/speech/word-error-rate.js';
import { SENTENCES } from './speech.js';

interface Voice {
  name: string;
  /** The Debian package that brings it. */
  pkg: string;
  command: string;
  args: (text: string, out: string) => string[];
  /** Text on stdin instead of in the arguments. */
  stdin?: boolean;
}

const VOICES: Voice[] = [
  { name: 'espeak-ng (en-us)', pkg: 'espeak-ng', command: 'espeak-ng', args: (text, out) => ['-v', 'en-us', '-w', out, text] },
  { name: 'flite (slt)', pkg: 'flite', command: 'flite', args: (text, out) => ['-voice', 'slt', '-t', text, '-o', out] },
  {
    name: 'festival (us slt HTS)',
    pkg: 'festival festvox-us-slt-hts',
    command: 'text2wave',
    args: (_text, out) => ['-eval', '(voice_cmu_us_slt_arctic_hts)', '-o', out],
    stdin: true,
  },
];

export interface VoiceResult {
  name: string;
  missing?: string;
  wordErrorRate?: number;
  realTimeFactor?: number;
  heard?: Array<{ said: string; heard: string }>;
}

function run(voice: Voice, text: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(voice.command, voice.args(text, out), { stdio: [voice.stdin ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${voice.command} exited ${code}: ${stderr.trim()}`))));
    if (voice.stdin) child.stdin!.end(text);
  });
}

export async function offlineVoices(quick: boolean): Promise<VoiceResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'voicesocket-voices-'));
  const sentences = quick ? SENTENCES.slice(0, 2) : SENTENCES;
  const results: VoiceResult[] = [];
  try {
    for (const voice of VOICES) {
      let seconds = 0;
      let audioSeconds = 0;
      let errors = 0;
      let words = 0;
      const heard: Array<{ said: string; heard: string }> = [];
      try {
        for (const [i, said] of sentences.entries()) {
          const out = join(dir, `${i}.wav`);
          const started = performance.now();
          await run(voice, said, out);
          seconds += (performance.now() - started) / 1000;
          const pcm = wavToCallPcm(await readFile(out), 16000);
          audioSeconds += pcm.length / 2 / 16000;
          const text = (await transcribeRecording(pcm, 16000)).map((r) => r.text).join(' ');
          const counted = wordErrors(said, text);
          errors += counted.substitutions + counted.deletions + counted.insertions;
          words += counted.words;
          heard.push({ said, heard: text });
        }
      } catch (error) {
        results.push({ name: voice.name, missing: `not measured (${voice.pkg}: ${(error as Error).message.split('\n')[0]})` });
        continue;
      }
      results.push({ name: voice.name, wordErrorRate: errors / words, realTimeFactor: seconds / audioSeconds, heard });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
