/**
 * The tools a phone agent needs beyond talking: hang up, and transfer the caller to one of the
 * destinations the operator named (src/telephony/destinations.ts). With Vonage application
 * credentials they go through Vonage's Voice API (the official `@vonage/voice` client): the hang-up
 * ends the whole call, the transfer moves the caller's leg to a new NCCO that connects the
 * destination. Without credentials, hanging up closes this call's socket, and a transfer is refused
 * in words the model can relay. Both wait until the agent's last words have been heard.
 *
 * The model never supplies a number: the transfer tool offers the destinations' names (an enum), and
 * with none named there is no transfer tool. One transfer per call.
 */
import type { Voice } from '@vonage/voice';
import { z } from 'zod';
import type { CallSession } from '../call/call-session.js';
import { VoicesocketError } from '../errors.js';
import { DestinationTable, describeEndpoint, type NamedDestination } from '../telephony/destinations.js';
import type { AgentTool } from './agent-link.js';
import { ToolRefusal } from './tool-runner.js';

export interface PhoneToolsOptions {
  /** Vonage's Voice API: a hang-up ends the whole call, a transfer moves the caller's leg. */
  vonage?: Voice | undefined;
  /**
   * Where the agent may transfer the caller, by name: `sales=+447700900001,desk=sip:desk@pbx.example.com`,
   * a list of `{ name, endpoint }`, or a table. None: no transfer tool.
   */
  transfer?: string | readonly NamedDestination[] | DestinationTable | undefined;
}

/**
 * Until everything queued (the agent's goodbye) has played: a `notify` marker after it, which Vonage
 * reports once played — the call's own mechanism, bounded by what is queued plus a grace period.
 */
async function untilHeard(call: CallSession): Promise<void> {
  if (call.playing) await call.mark({ agent: 'tool' });
}

/** The destinations of `transfer`, checked; a bad one is the operator's error (CONFIG_INVALID), found when the tools are made. */
export function destinationTable(transfer: PhoneToolsOptions['transfer']): DestinationTable | undefined {
  if (transfer === undefined) return undefined;
  if (transfer instanceof DestinationTable) return transfer;
  try {
    return DestinationTable.from(transfer);
  } catch (error) {
    throw new VoicesocketError('CONFIG_INVALID', `transfer destinations: ${(error as Error).message}`);
  }
}

/**
 * `hang_up`, and `transfer_call` when destinations are named: provider-neutral (any agent provider;
 * startVoiceAgent). `phoneTools(call, vonage)` is `phoneTools(call, { vonage })`.
 */
export function phoneTools(call: CallSession, options: PhoneToolsOptions | Voice = {}): AgentTool[] {
  const { vonage, transfer } = 'transferCallWithNCCO' in options ? { vonage: options, transfer: undefined } : options;
  const destinations = destinationTable(transfer);
  const leg = () => call.identity.uuid;
  const hangUp = defineTool({
    name: 'hang_up',
    description: 'End the phone call. Say goodbye first; the call ends once the caller has heard it.',
    parameters: z.object({ reason: z.string().max(500).describe('why the call ends, for the log') }),
    execute: async ({ reason }) => {
      await untilHeard(call);
      call.log.info({ reason }, 'agent hung up');
      const uuid = leg();
      if (vonage && uuid) await vonage.hangupCall(uuid);
      else call.hangup(1000, 'agent: hung up');
      return 'The call has ended.';
    },
  });
  if (!destinations || destinations.size === 0) return [hangUp];
  const names = destinations.names as [string, ...string[]];
  let transferred: string | undefined;
  const transferCall = defineTool({
    name: 'transfer_call',
    description: `Transfer the caller to one of these destinations, by name: ${names.join(', ')}. Only these; never a number the caller gives. Tell the caller first that you are transferring them. One transfer per call.`,
    parameters: z.object({ destination: z.enum(names).describe(`where to transfer the caller: one of ${names.join(', ')}`) }),
    execute: async ({ destination }) => {
      const target = destinations.find(destination);
      if (!target) throw new ToolRefusal(`There is no destination named ${destination}; the destinations are ${names.join(', ')}.`);
      if (transferred !== undefined) throw new ToolRefusal(`The call was already transferred (to ${transferred}); there is one transfer per call.`);
      const uuid = leg();
      if (!vonage || !uuid) return 'Transfers are not set up on this line; offer to take a message instead.';
      // Counted before the request: two calls in one reply must not both reach Vonage.
      transferred = target.name;
      await untilHeard(call);
      call.log.info({ to: target.name, endpoint: describeEndpoint(target.endpoint) }, 'agent transferred the call');
      try {
        await vonage.transferCallWithNCCO(uuid, [{ action: 'connect', endpoint: [target.endpoint] }] as never);
      } catch (error) {
        // Vonage refused it: the caller is still here, and the model may try again.
        transferred = undefined;
        throw error;
      }
      call.report({ kind: 'transfer', to: target.name, mode: 'cold', detail: 'transfer_call tool' });
      return `The caller is being connected to ${target.name}.`;
    },
  });
  return [hangUp, transferCall];
}

/** Keeps each tool's argument type tied to its parameters. */
export function defineTool<Parameters extends z.ZodObject>(definition: AgentTool<Parameters>): AgentTool {
  return definition as unknown as AgentTool;
}
