/**
 * The voice agent's settings (`--app agent`, docs/agents.md) that are the operator's to decide, not the
 * model's: where a call may be transferred. Only the destinations named here can be reached; with none,
 * the agent has no transfer tool.
 */
import { DestinationTable, MAX_DESTINATIONS } from '../telephony/destinations.js';
import { setting, type Setting } from './setting-parsers.js';

export const AGENT_SETTINGS: Setting[] = [
  setting({
    key: 'transfer',
    env: 'TRANSFER_DESTINATIONS',
    flag: '--transfer <name=endpoint,...>',
    description: 'agent: where the agent may transfer a caller, by name (the model picks a name, never a number); none: no transfer tool',
    allowed: `up to ${MAX_DESTINATIONS} name=endpoint pairs, comma-separated: a name (a letter, then letters, digits, _ or -) and an E.164 number (+447700900001) or a SIP URI (sip:desk@pbx.example.com)`,
    example: 'sales=+447700900001,desk=sip:desk@pbx.example.com',
    invalid: 'premium=09001234567',
    parse: (raw) => {
      try {
        return DestinationTable.from(raw).toJSON();
      } catch {
        return undefined;
      }
    },
  }),
];
