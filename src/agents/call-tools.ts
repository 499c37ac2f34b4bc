/**
 * The tools a phone agent needs beyond talking: hang up, and transfer the caller to a number. With
 * Vonage application credentials they go through Vonage's Voice API (the official `@vonage/voice`
 * client): the hang-up ends the whole call, the transfer moves the caller's leg to a new NCCO that
 * connects the number. Without credentials, hanging up closes this call's socket, and a transfer is
 * refused in words the model can relay. Both wait until the agent's last words have been heard.
 */
import type { Voice } from '@vonage/voice';
import { z } from 'zod';
import type { CallSession } from '../call/call-session.js';
import type { AgentTool } from './agent-link.js';

/**
 * Until everything queued (the agent's goodbye) has played: a `notify` marker after it, which Vonage
 * reports once played — the call's own mechanism, bounded by what is queued plus a grace period.
 */
async function untilHeard(call: CallSession): Promise<void> {
  if (call.playing) await call.mark({ agent: 'tool' });
}

/** `hang_up` and `transfer_call`, provider-neutral (any agent provider; startVoiceAgent). */
export function phoneTools(call: CallSession, vonage?: Voice): AgentTool[] {
  const leg = () => call.identity.uuid;
  const hangUp = defineTool({
    name: 'hang_up',
    description: 'End the phone call. Say goodbye first; the call ends once the caller has heard it.',
    parameters: z.object({ reason: z.string().describe('why the call ends, for the log') }),
    execute: async ({ reason }) => {
      await untilHeard(call);
      call.log.info({ reason }, 'agent hung up');
      const uuid = leg();
      if (vonage && uuid) await vonage.hangupCall(uuid);
      else call.hangup(1000, 'agent: hung up');
      return 'The call has ended.';
    },
  });
  const transfer = defineTool({
    name: 'transfer_call',
    description: 'Transfer the caller to another phone number. Tell them first that you are transferring them.',
    parameters: z.object({
      number: z
        .string()
        .regex(/^\+?\d{6,15}$/)
        .describe('the phone number, E.164 digits'),
    }),
    execute: async ({ number }) => {
      const uuid = leg();
      if (!vonage || !uuid) return 'Transfers are not set up on this line; offer to take a message instead.';
      await untilHeard(call);
      call.log.info({ to: number }, 'agent transferred the call');
      await vonage.transferCallWithNCCO(uuid, [{ action: 'connect', endpoint: [{ type: 'phone', number: number.replace(/^\+/, '') }] }] as never);
      call.report({ kind: 'transfer', to: number, mode: 'cold', detail: 'transfer_call tool' });
      return `The caller is being connected to ${number}.`;
    },
  });
  return [hangUp, transfer];
}

/** Keeps each tool's argument type tied to its parameters. */
export function defineTool<Parameters extends z.ZodObject>(definition: AgentTool<Parameters>): AgentTool {
  return definition as unknown as AgentTool;
}
