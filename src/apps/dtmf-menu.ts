/**
 * `dtmf-menu`: a small example of the App API. 1 plays a tone, 2 switches to echo, 3 stops audio
 * (barge-in), 0 hangs up.
 */
import { floatToPcm16 } from '../audio/pcm.js';
import { sine } from '../audio/tone.js';
import type { CallSession } from '../call/call-session.js';
import type { AppDefinition } from './app.js';

export const dtmfMenu = (session: CallSession): void => {
  let echoing = false;
  session.on('audio', (frame) => {
    if (echoing) session.sendAudio(frame);
  });
  session.on('dtmf', ({ digit }) => {
    switch (digit) {
      case '1':
        echoing = false;
        void session.play(floatToPcm16(sine(440, 1000, session.sampleRate, 0.3)));
        return;
      case '2':
        echoing = true;
        return;
      case '3':
        echoing = false;
        void session.clear();
        return;
      case '0':
        session.hangup(1000, 'menu: goodbye');
        return;
    }
  });
};

export const dtmfMenuApp: AppDefinition = {
  name: 'dtmf-menu',
  description: '1 tone, 2 echo, 3 stop, 0 hang up',
  create: () => dtmfMenu,
};
