/**
 * The tools a phone agent needs beyond talking: hang up, transfer the caller to one of the
 * destinations the operator named (src/telephony/destinations.ts), cold or warm, and key DTMF into an
 * IVR. On a server with telephony (`call.telephony`: Vonage credentials) the transfers and DTMF are
 * the call's own methods (src/telephony/): each step is an event of the call, on the dashboard and in
 * the call record. Without it, a `vonage` client given here does the cold transfer the same way
 * (transfer.ts, the one implementation); with neither, a transfer is refused in words the model can
 * relay, and hanging up closes this call's socket. Each waits until the agent's last words were heard.
 *
 * The model never supplies a number: the transfer tools offer the destinations' names (an enum), and
 * with none named there is no transfer tool. One transfer per call (a warm one that did not happen
 * leaves the caller here, and another may be tried).
 */
import type { Voice } from '@vonage/voice';
import { z } from 'zod';
import type { CallSession } from '../call/call-session.js';
import type { TransferResult } from '../call/telephony-types.js';
import { VoicesocketError } from '../errors.js';
import { DestinationTable, describeEndpoint, type NamedDestination } from '../telephony/destinations.js';
import { coldTransfer } from '../telephony/transfer.js';
import type { AgentTool } from './agent-link.js';
import { ToolRefusal } from './tool-runner.js';

export interface PhoneToolsOptions {
  /** Vonage's Voice API: a hang-up ends the whole call; without the server's telephony, a transfer moves the caller's leg. */
  vonage?: Voice | undefined;
  /**
   * Where the agent may transfer the caller, by name: `sales=+447700900001,desk=sip:desk@pbx.example.com`,
   * a list of `{ name, endpoint }`, or a table. None: the server telephony's destinations, if any; else no transfer tool.
   */
  transfer?: string | readonly NamedDestination[] | DestinationTable | undefined;
  /** A `send_dtmf` tool (an IVR on an outbound call), on a call with the server's telephony. */
  dtmf?: boolean;
}

/** The longest briefing a model may write for the person (a few spoken sentences). */
const MAX_BRIEFING = 600;

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

/** What the model is told of a transfer that did not happen: the caller is still on this call. */
function notTransferred(result: Extract<TransferResult, { ok: false }>): string {
  if (result.reason === 'refused') throw new ToolRefusal(`The transfer was refused: ${result.detail}.`);
  const why = { unanswered: 'did not answer', declined: 'declined the call', failed: 'could not be reached' }[result.reason];
  return `The transfer did not happen: ${result.to} ${why} (${result.detail}). The caller is still on the line with you; tell them, and offer something else.`;
}

/**
 * `hang_up`; `transfer_call` (and, with the server's telephony, `warm_transfer`) when destinations are
 * named; `send_dtmf` when asked for. Provider-neutral (any agent provider; startVoiceAgent).
 * `phoneTools(call, vonage)` is `phoneTools(call, { vonage })`.
 */
export function phoneTools(call: CallSession, options: PhoneToolsOptions | Voice = {}): AgentTool[] {
  const { vonage, transfer, dtmf } = 'transferCallWithNCCO' in options ? { vonage: options, transfer: undefined, dtmf: false } : options;
  const telephony = call.telephony;
  // The agent's own table, else the server's (its endpoints stay with the server's telephony).
  const table = destinationTable(transfer);
  const names = table?.names ?? telephony?.destinations() ?? [];
  const tools: AgentTool[] = [hangUpTool(call, vonage)];
  if (telephony && dtmf) tools.push(sendDtmfTool(call));
  if (names.length === 0) return tools;
  const choices = names as [string, ...string[]];
  let transferred: string | undefined;
  /** Runs one transfer: refused for an unknown name or a second transfer, counted before any request. */
  const once = async (destination: string, run: (name: string, target: NamedDestination | undefined) => Promise<TransferResult>): Promise<string> => {
    const target = table?.find(destination);
    const name = target?.name ?? names.find((known) => known.toLowerCase() === destination.toLowerCase());
    if (!name) throw new ToolRefusal(`There is no destination named ${destination}; the destinations are ${names.join(', ')}.`);
    if (transferred !== undefined) throw new ToolRefusal(`The call was already transferred (to ${transferred}); there is one transfer per call.`);
    // Counted before the request: two calls in one reply must not both reach Vonage.
    transferred = name;
    await untilHeard(call);
    call.log.info({ to: name, ...(target ? { endpoint: describeEndpoint(target.endpoint) } : {}) }, 'agent transferred the call');
    const result = await run(name, target).catch((error: unknown) => {
      transferred = undefined;
      throw error;
    });
    if (result.ok) return result.kind === 'warm' ? `The caller is now talking with ${result.to}.` : `The caller is being connected to ${result.to}.`;
    transferred = undefined;
    return notTransferred(result);
  };
  tools.push(
    defineTool({
      name: 'transfer_call',
      description: `Transfer the caller to one of these destinations, by name: ${names.join(', ')}. Only these; never a number the caller gives. Tell the caller first that you are transferring them. One transfer per call.`,
      parameters: z.object({ destination: z.enum(choices).describe(`where to transfer the caller: one of ${names.join(', ')}`) }),
      execute: ({ destination }) =>
        once(destination, async (name, target) => {
          if (telephony) return call.transfer(name);
          if (!vonage || !target || !call.identity.uuid) return refusedHere(name);
          return coldTransfer(call, target, { vonage, from: undefined });
        }),
    }),
  );
  if (telephony)
    tools.push(
      defineTool({
        name: 'warm_transfer',
        description: `Hand the caller over to a person, warmly: the caller hears hold music while the person (one of ${names.join(', ')}) is called and hears your briefing, then the two are joined. If the person does not answer or declines, the caller is back with you and you are told why. Tell the caller first.`,
        parameters: z.object({
          destination: z.enum(choices).describe(`who to hand the caller to: one of ${names.join(', ')}`),
          briefing: z.string().min(1).max(MAX_BRIEFING).describe('what the person hears first: who is calling and why, in one to three sentences'),
        }),
        execute: ({ destination, briefing }) => once(destination, (name) => call.warmTransfer(name, { briefing })),
      }),
    );
  return tools;
}

function hangUpTool(call: CallSession, vonage: Voice | undefined): AgentTool {
  return defineTool({
    name: 'hang_up',
    description: 'End the phone call. Say goodbye first; the call ends once the caller has heard it.',
    parameters: z.object({ reason: z.string().max(500).describe('why the call ends, for the log') }),
    execute: async ({ reason }) => {
      await untilHeard(call);
      call.log.info({ reason }, 'agent hung up');
      const uuid = call.identity.uuid;
      if (vonage && uuid) await vonage.hangupCall(uuid);
      else call.hangup(1000, 'agent: hung up');
      return 'The call has ended.';
    },
  });
}

function sendDtmfTool(call: CallSession): AgentTool {
  return defineTool({
    name: 'send_dtmf',
    description:
      'Press keys on the phone keypad, for an automated menu (an IVR) on this call: digits 0-9, * and #, and p for a half-second pause. Only when a menu asks for a key.',
    parameters: z.object({
      digits: z
        .string()
        .regex(/^[0-9*#p]{1,32}$/)
        .describe('the keys to press, in order, such as 1 or 1234#'),
    }),
    execute: async ({ digits }) => {
      await untilHeard(call);
      await call.sendDtmf(digits);
      return `Pressed ${digits}.`;
    },
  });
}

/** Neither the server's telephony nor a Vonage client: the caller stays, and the model says so. */
function refusedHere(name: string): Promise<TransferResult> {
  return Promise.resolve({
    ok: false,
    kind: 'cold',
    to: name,
    reason: 'failed',
    detail: 'transfers are not set up on this line; offer to take a message instead',
  });
}

/** Keeps each tool's argument type tied to its parameters. */
export function defineTool<Parameters extends z.ZodObject>(definition: AgentTool<Parameters>): AgentTool {
  return definition as unknown as AgentTool;
}
