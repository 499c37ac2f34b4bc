/**
 * What the agent app does when an answering machine takes a dialled call (`--voicemail`,
 * docs/outbound.md): hang up, leave a message after the beep, or let the agent talk after it. A leaf:
 * the setting's parser and the type, with no behaviour (voicemail.ts does the work).
 */

export type VoicemailPolicy = { kind: 'hangup' } | { kind: 'leave'; message: string } | { kind: 'agent' };

/** The longest message left on a machine: about a minute spoken, within what mailboxes keep. */
export const MAX_VOICEMAIL_MESSAGE = 1000;

/**
 * `hangup`, `agent`, or `leave <message>` (the message may be the flag's next words: `--voicemail leave
 * "Hello {name}, …"`); undefined for anything else, the message empty or too long included.
 */
export function parseVoicemailPolicy(raw: string): VoicemailPolicy | undefined {
  const text = raw.trim();
  if (text === 'hangup' || text === 'agent') return { kind: text };
  const leave = /^leave\s+([\s\S]+)$/.exec(text);
  const message = leave?.[1]?.trim();
  return message && message.length <= MAX_VOICEMAIL_MESSAGE ? { kind: 'leave', message } : undefined;
}

/** The message with `{column}` filled from the call's context (an object of the dial's row); unknown names are left out. */
export function fillMessage(message: string, context: unknown): string {
  const fields = context && typeof context === 'object' ? (context as Record<string, unknown>) : {};
  return message.replace(/\{([\w-]+)\}/g, (_whole, name: string) => {
    const value = fields[name];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  });
}
