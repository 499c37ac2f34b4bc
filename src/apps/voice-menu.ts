/**
 * `voice-menu`: a spoken IVR. "Say sales, support or operator, or press 1, 2 or 3." Speech is heard
 * in menu mode (only the choices can be recognised), DTMF is the fallback, the caller may talk over
 * the prompt, silence and an answer that is none of the choices get a re-prompt, and after three
 * tries the call ends politely. The choice is said back, noted on the call's timeline and logged.
 */
import type { CallSession } from '../call/call-session.js';
import { VoicesocketError } from '../errors.js';
import type { AppDefinition } from './app.js';
import { bargeIn } from './barge-in.js';
import { durationOption } from './options.js';

export interface VoiceMenuOptions {
  /** One-word choices, in DTMF order: the first is key 1. */
  choices: string[];
  /** How long to wait for an answer after the prompt ends, ms. */
  timeoutMs: number;
  /** Prompts before giving up. */
  attempts: number;
  /** Called with the caller's choice (after it was confirmed to the caller). */
  onChoice?: (session: CallSession, choice: string, by: 'speech' | 'dtmf') => unknown;
}

export const DEFAULT_CHOICES = ['sales', 'support', 'operator'];

function spokenList(words: string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** The choice a transcript names, if exactly one. */
export function choiceIn(text: string, choices: string[]): string | undefined {
  const words = new Set(text.toLowerCase().split(/[^a-z']+/));
  const named = choices.filter((choice) => choice.split(' ').every((word) => words.has(word)));
  return named.length === 1 ? named[0] : undefined;
}

export function voiceMenu(options: VoiceMenuOptions) {
  const { choices, timeoutMs, attempts } = options;
  const keys = choices.map((_, i) => String(i + 1));
  const prompt = `Say ${spokenList(choices)}. Or press ${spokenList(keys)}.`;
  return (session: CallSession): void => {
    let tries = 0;
    let chosen = false;
    let silenceTimer: NodeJS.Timeout | undefined;
    const waitForAnswer = () => {
      clearTimeout(silenceTimer);
      silenceTimer = setTimeout(() => void ask('I did not hear anything.'), timeoutMs);
    };
    const ask = async (before?: string) => {
      clearTimeout(silenceTimer);
      if (chosen) return;
      if (++tries > attempts) {
        chosen = true;
        await session.say('Sorry, I could not help you. Goodbye.');
        session.hangup(1000, 'menu: no choice');
        return;
      }
      const result = await session.say(before ? `${before} ${prompt}` : prompt);
      // Cleared by barge-in: the caller is already answering; the answer restarts the wait.
      if (result.completed && !chosen) waitForAnswer();
    };
    const choose = async (choice: string, by: 'speech' | 'dtmf') => {
      if (chosen) return;
      chosen = true;
      clearTimeout(silenceTimer);
      session.note(`menu: ${choice} (${by})`);
      session.log.info({ choice, by }, 'voice menu choice');
      if (session.playing) await session.clear();
      await session.say(`Connecting you to ${choice}.`);
      await options.onChoice?.(session, choice, by);
    };
    session.once('connected', () => {
      session.transcribe({ choices });
      // A menu's answers are single short words ("sales"): any speech stops the prompt at its start.
      bargeIn(session, 'both', undefined, { minSpeechMs: 0 });
      void ask();
    });
    session.on('speech-start', () => clearTimeout(silenceTimer));
    // Speech that was no words (a cough, a word outside the menu the engine cannot place) brings no
    // transcript: without this the menu would wait for ever. A final result, if one comes, asks first.
    session.on('speech-end', () => {
      if (!chosen && !session.playing) waitForAnswer();
    });
    session.on('transcript', (event) => {
      if (event.kind !== 'final' || chosen) return;
      const choice = choiceIn(event.text, choices);
      if (choice) return choose(choice, 'speech');
      return ask('Sorry, I did not catch that.');
    });
    session.on('dtmf', ({ digit }) => {
      const index = keys.indexOf(digit);
      if (index >= 0) return choose(choices[index]!, 'dtmf');
      return ask(`${digit} is not an option.`);
    });
    session.on('end', () => clearTimeout(silenceTimer));
  };
}

function choicesOption(raw: unknown): string[] {
  if (raw === undefined) return DEFAULT_CHOICES;
  const list = String(raw)
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter(Boolean);
  if (list.length < 1 || list.length > 9 || list.some((c) => !/^[a-z']+( [a-z']+)*$/.test(c))) {
    throw new VoicesocketError(
      'CONFIG_INVALID',
      `--choices=${JSON.stringify(raw)} is not allowed; expected 1 to 9 comma-separated English words, such as sales,support,operator`,
    );
  }
  return list;
}

export const voiceMenuApp: AppDefinition = {
  name: 'voice-menu',
  description: 'a spoken menu: say one of --choices (default sales,support,operator) or press its key; re-prompts on silence',
  create: (options) =>
    voiceMenu({
      choices: choicesOption(options.choices),
      timeoutMs: durationOption(options, 'timeout', 6000, 60_000),
      attempts: 3,
      onChoice: (session, choice) => setTimeout(() => session.hangup(1000, `menu: transferred to ${choice}`), 500),
    }),
};
