/**
 * The person's side of a warm transfer: their call's socket runs this instead of the app. They hear
 * who is calling and why, then how to refuse; a key pressed at any point declines, and so does hanging
 * up. Staying on the line through the window accepts: the caller is then joined to them.
 */
import type { CallSession } from '../call/call-session.js';

/** Said after the briefing, so the person knows what staying on the line means. */
export const BRIEFING_PROMPT = 'Stay on the line to be connected, or press any key to decline.';

export interface BriefingVerdict {
  accepted: boolean;
  detail: string;
}

/**
 * Briefs the person on `call`; resolves once they accepted or declined. Declining hangs their leg up
 * through `hangUp` (Vonage's REST API: closing the socket alone would leave the leg's NCCO to run on).
 */
export function runBriefing(call: CallSession, text: string, acceptWindowMs: number, hangUp: () => Promise<void>): Promise<BriefingVerdict> {
  return new Promise((resolve) => {
    let done = false;
    let window: NodeJS.Timeout | undefined;
    const finish = (verdict: BriefingVerdict) => {
      if (done) return;
      done = true;
      clearTimeout(window);
      resolve(verdict);
    };
    call.on('dtmf', ({ digit }) => {
      if (done) return;
      finish({ accepted: false, detail: `the person pressed ${digit}` });
      hangUp().catch((error: unknown) => call.log.warn({ err: error }, 'warm transfer: the declining person could not be hung up'));
    });
    call.once('end', () => finish({ accepted: false, detail: 'the person hung up during the briefing' }));
    void call.say(`${text} ${BRIEFING_PROMPT}`).then((said) => {
      if (done) return;
      // The window counts from the end of what they heard: a briefing cut short (an engine failed)
      // still gives them the whole window.
      if (said.error) call.log.warn({ engine: said.error.engine, detail: said.error.message }, 'warm transfer: the briefing was not all spoken');
      window = setTimeout(() => finish({ accepted: true, detail: 'the person stayed on the line' }), acceptWindowMs);
    });
  });
}
