/**
 * What the phone network's tests share: an emulator with a scenario, `@vonage/voice` pointed at it
 * by its `apiHost` option, and an app that records every webhook (answer and event) it is sent.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Auth } from '@vonage/auth';
import { Voice } from '@vonage/voice';
import { VonageEmulator } from '../../src/emulator/vonage-emulator.js';
import type { ScenarioInput } from '../../src/emulator/network/scenario.js';
import type { EmulatorSwitches } from '../../src/emulator/switches.js';
import { startScriptedApp, type RecordedRequest, type Reply, type ScriptedApp } from '../fixtures/scripted-app.js';

export const APPLICATION_ID = 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab';
export const OUR_NUMBER = '447700900000';

export interface Network {
  emulator: VonageEmulator;
  voice: Voice;
  app: ScriptedApp;
  /** Event webhook bodies of one leg (by `uuid`, or `call_uuid` on detection events), in arrival order. */
  events(uuid: string): Array<Record<string, unknown>>;
  statuses(uuid: string): string[];
  /** Places a call to `number` through the SDK; `extra` is merged into the request. */
  call(number: string, extra?: Record<string, unknown>): Promise<string>;
}

export async function startNetwork(
  t: TestContext,
  scenario: ScenarioInput,
  options: { switches?: Partial<EmulatorSwitches>; reply?: (request: RecordedRequest) => Reply | undefined } = {},
): Promise<Network> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const emulator = new VonageEmulator({
    applicationId: APPLICATION_ID,
    publicKey,
    network: { scenario },
    ...(options.switches ? { switches: options.switches } : {}),
  });
  await emulator.listen();
  const app = await startScriptedApp((request) => options.reply?.(request) ?? { status: 200, text: '' });
  t.after(async () => {
    await emulator.close();
    await app.close();
  });
  const voice = new Voice(new Auth({ applicationId: APPLICATION_ID, privateKey }), { apiHost: emulator.restUrl });
  const events = (uuid: string) =>
    app.requests
      .filter((request) => request.path === '/event')
      .map((request) => request.body as Record<string, unknown>)
      .filter((body) => body.uuid === uuid || body.call_uuid === uuid);
  return {
    emulator,
    voice,
    app,
    events,
    statuses: (uuid) => events(uuid).map((body) => String(body.status ?? (body.conversation_uuid_to ? 'transfer' : '?'))),
    call: async (number, extra = {}) => {
      const created = (await voice.createOutboundCall({
        to: [{ type: 'phone', number }],
        from: { type: 'phone', number: OUR_NUMBER },
        eventUrl: [`${app.base}/event`],
        ...extra,
      } as never)) as unknown as { uuid: string; status: string };
      return created.uuid;
    },
  };
}
