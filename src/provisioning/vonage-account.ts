/**
 * The Vonage account as `dev` and `setup` see it, through Vonage's official SDK clients
 * (`@vonage/applications`, `@vonage/numbers`, `@vonage/accounts`): no hand-written REST client.
 * `apiHost`/`restHost` are the SDK's own options, set only to point it at the emulator (or a proxy).
 * Every failure becomes one coded error that says what to do.
 */
import { Auth } from '@vonage/auth';
import { Applications, type ApplicationResponse } from '@vonage/applications';
import { Numbers } from '@vonage/numbers';
import { Accounts } from '@vonage/accounts';
import { VoicesocketError } from '../errors.js';
import { errorDetail } from '../error-detail.js';

export interface VonageCredentials {
  apiKey: string;
  apiSecret: string;
  /** Base URL of the Applications API (the SDK's `apiHost`), default Vonage's. */
  apiHost?: string | undefined;
  /** Base URL of the Numbers and Account APIs (the SDK's `restHost`), default Vonage's. */
  restHost?: string | undefined;
}

/** The voice side of an application, as the plan reasons about it. */
export interface VoiceApplication {
  id: string;
  name: string;
  answerUrl: string | undefined;
  eventUrl: string | undefined;
  signed: boolean;
}

export interface AccountNumber {
  msisdn: string;
  country: string;
  applicationId: string | undefined;
}

export interface NumberOffer {
  msisdn: string;
  country: string;
  cost: string;
}

export interface WebhookSpec {
  name: string;
  answerUrl: string;
  eventUrl: string;
  signed: boolean;
}

type RawApplication = ApplicationResponse & Record<string, unknown>;

/** What the SDK throws on a non-2xx answer (VetchError): the fetch Response is on it. */
interface HttpFailure {
  response?: { status?: number; text?: () => Promise<string>; bodyUsed?: boolean };
}

export class VonageAccount {
  private readonly applications: Applications;
  private readonly numbers: Numbers;
  private readonly accounts: Accounts;
  /** Where each API is reached (the SDK's defaults unless set), for the line that says it could not be. */
  private readonly apiHost: string;
  private readonly restHost: string;

  constructor(credentials: VonageCredentials) {
    // No private key here, but a string: @vonage/auth passes the key to fs.existsSync, which Node 26
    // warns about (DEP0187) for undefined, a second line on stderr. Read as no key (`|| ""`) either way.
    const auth = new Auth({ apiKey: credentials.apiKey, apiSecret: credentials.apiSecret, privateKey: '' });
    const hosts = {
      ...(credentials.apiHost ? { apiHost: credentials.apiHost.replace(/\/+$/, '') } : {}),
      ...(credentials.restHost ? { restHost: credentials.restHost.replace(/\/+$/, '') } : {}),
    };
    this.apiHost = hosts.apiHost ?? 'https://api.nexmo.com';
    this.restHost = hosts.restHost ?? 'https://rest.nexmo.com';
    this.applications = new Applications(auth, hosts);
    this.numbers = new Numbers(auth, hosts);
    this.accounts = new Accounts(auth, hosts);
  }

  async getApplication(id: string): Promise<VoiceApplication | undefined> {
    try {
      return voiceView((await this.applications.getApplication(id)) as RawApplication);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw await translate(error, `reading application ${id}`, this.apiHost);
    }
  }

  /** Creates a Voice application; Vonage makes the key pair and returns the private key only now. */
  async createApplication(spec: WebhookSpec): Promise<{ application: VoiceApplication; privateKey: string | undefined }> {
    try {
      const created = (await this.applications.createApplication({
        name: spec.name,
        capabilities: { voice: voiceCapability(spec) },
      } as never)) as RawApplication;
      const keys = created.keys as { privateKey?: string } | undefined;
      return { application: voiceView(created), privateKey: keys?.privateKey };
    } catch (error) {
      throw await translate(error, 'creating the application', this.apiHost);
    }
  }

  /**
   * Points an application's voice webhooks at new URLs. The Applications API replaces the whole
   * application on PUT, so everything else it has (other capabilities, its name) is sent back as read.
   */
  async updateWebhooks(id: string, spec: Omit<WebhookSpec, 'name'>): Promise<VoiceApplication> {
    try {
      const current = (await this.applications.getApplication(id)) as RawApplication;
      const capabilities = { ...(current.capabilities as Record<string, unknown>) };
      const voice = (capabilities.voice ?? {}) as Record<string, unknown>;
      capabilities.voice = { ...voice, ...voiceCapability({ ...spec, name: current.name }), webhooks: { ...(voice.webhooks as object), ...webhooks(spec) } };
      const updated = (await this.applications.updateApplication({ id, name: current.name, capabilities } as never)) as RawApplication;
      return voiceView(updated);
    } catch (error) {
      throw await translate(error, `updating application ${id}`, this.apiHost);
    }
  }

  async findNumber(msisdn: string): Promise<AccountNumber | undefined> {
    try {
      const owned = await this.numbers.getOwnedNumbers({ pattern: msisdn, searchPattern: 1, size: 100 } as never);
      const found = (owned.numbers ?? []).find((number) => number.msisdn === msisdn);
      return found ? numberView(found) : undefined;
    } catch (error) {
      throw await translate(error, `looking up ${msisdn}`, this.restHost);
    }
  }

  async numbersOf(applicationId: string): Promise<AccountNumber[]> {
    try {
      const owned = await this.numbers.getOwnedNumbers({ applicationId, size: 100 });
      return (owned.numbers ?? []).map(numberView);
    } catch (error) {
      throw await translate(error, `listing the numbers of application ${applicationId}`, this.restHost);
    }
  }

  async unlinkedNumbers(): Promise<AccountNumber[]> {
    try {
      const owned = await this.numbers.getOwnedNumbers({ hasApplication: false, size: 100 });
      return (owned.numbers ?? []).map(numberView);
    } catch (error) {
      throw await translate(error, 'listing the numbers of the account', this.restHost);
    }
  }

  async offer(country: string): Promise<NumberOffer | undefined> {
    try {
      const found = await this.numbers.getAvailableNumbers({ country, features: ['VOICE'], size: 1 } as never);
      const first = found.numbers?.[0];
      return first?.msisdn ? { msisdn: first.msisdn, country: first.country ?? country, cost: first.cost ?? '?' } : undefined;
    } catch (error) {
      throw await translate(error, `searching numbers in ${country}`, this.restHost);
    }
  }

  async balance(): Promise<number> {
    try {
      return (await this.accounts.getBalance()).value;
    } catch (error) {
      throw await translate(error, 'reading the balance', this.restHost);
    }
  }

  async buy(offer: NumberOffer): Promise<void> {
    try {
      const result = await this.numbers.buyNumber({ country: offer.country, msisdn: offer.msisdn });
      if (result.errorCode !== '200') throw new VoicesocketError('VONAGE_REFUSED', `buying ${offer.msisdn}: ${result.errorCodeLabel ?? result.errorCode}`);
    } catch (error) {
      throw await translate(error, `buying ${offer.msisdn}`, this.restHost);
    }
  }

  async link(number: { msisdn: string; country: string }, applicationId: string): Promise<void> {
    try {
      const result = await this.numbers.updateNumber({ country: number.country, msisdn: number.msisdn, applicationId } as never);
      if (result.errorCode !== '200') throw new VoicesocketError('VONAGE_REFUSED', `linking ${number.msisdn}: ${result.errorCodeLabel ?? result.errorCode}`);
    } catch (error) {
      throw await translate(error, `linking ${number.msisdn}`, this.restHost);
    }
  }
}

function webhooks(spec: Omit<WebhookSpec, 'name'>) {
  // Vonage fetches the answer URL with GET by default and posts events; the server takes both methods.
  return { answerUrl: { address: spec.answerUrl, httpMethod: 'GET' }, eventUrl: { address: spec.eventUrl, httpMethod: 'POST' } };
}

function voiceCapability(spec: WebhookSpec) {
  return { webhooks: webhooks(spec), signedCallbacks: spec.signed };
}

function voiceView(raw: RawApplication): VoiceApplication {
  const voice = (raw.capabilities as { voice?: { webhooks?: Record<string, { address?: string }>; signedCallbacks?: boolean } } | undefined)?.voice;
  return {
    id: String(raw.id),
    name: String(raw.name),
    answerUrl: voice?.webhooks?.answerUrl?.address,
    eventUrl: voice?.webhooks?.eventUrl?.address,
    signed: voice?.signedCallbacks === true,
  };
}

function numberView(raw: { msisdn?: string; country?: string } & Record<string, unknown>): AccountNumber {
  // The Numbers API names the linked application `app_id` (the SDK passes the body through as is).
  const appId = raw.app_id ?? raw.appId;
  return { msisdn: String(raw.msisdn), country: String(raw.country), applicationId: typeof appId === 'string' && appId ? appId : undefined };
}

function statusOf(error: unknown): number | undefined {
  return (error as HttpFailure | undefined)?.response?.status;
}

/** One coded error per way a Vonage call fails; the API's own words are kept in the message. */
async function translate(error: unknown, doing: string, host: string): Promise<Error> {
  if (error instanceof VoicesocketError) return error;
  const status = statusOf(error);
  // "fetch failed" alone names neither the host nor the reason (refused, not found, timed out).
  if (status === undefined) return new VoicesocketError('VONAGE_UNREACHABLE', `${doing}: ${errorDetail(error, host)}`, { cause: error });
  const response = (error as HttpFailure).response;
  let said = '';
  try {
    said = response?.text && !response.bodyUsed ? (await response.text()).slice(0, 300) : '';
  } catch {
    // the body is only for the message
  }
  if (status === 401 || status === 403)
    return new VoicesocketError('VONAGE_CREDENTIALS', `${doing}: Vonage answered ${status}; check VONAGE_API_KEY and VONAGE_API_SECRET`, { cause: error });
  if (status === 404) return new VoicesocketError('VONAGE_NOT_FOUND', `${doing}: ${said || 'not found'}`, { cause: error });
  return new VoicesocketError('VONAGE_REFUSED', `${doing}: Vonage answered ${status}${said ? ` ${said}` : ''}`, { cause: error });
}
