/**
 * A Vonage account as the emulator keeps it: API credentials, a signature secret, a balance, Voice
 * applications and phone numbers (docs/emulator.md "Account"). Pure state and rules; the HTTP shape of
 * the Applications and Numbers APIs is in account-api.ts. Inbound calls to a number are placed to the
 * application the number is linked to, as Vonage does.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';

export interface WebhookAddress {
  address: string;
  http_method: 'GET' | 'POST';
}

/** An application as the Applications API (v2) writes it: snake_case, capabilities optional. */
export interface StoredApplication {
  id: string;
  name: string;
  keys: { public_key: string };
  privacy?: { improve_ai: boolean };
  capabilities: {
    voice?: {
      webhooks?: { answer_url?: WebhookAddress; event_url?: WebhookAddress; fallback_answer_url?: WebhookAddress };
      signed_callbacks?: boolean;
      conversations_ttl?: number;
      leg_persistence_time?: number;
      region?: string;
    };
    [other: string]: unknown;
  };
}

export interface OwnedNumber {
  country: string;
  msisdn: string;
  type: 'landline' | 'mobile-lvn' | 'landline-toll-free';
  features: string[];
  /** The application inbound calls go to; absent when the number is linked to none. */
  app_id?: string;
}

export interface AvailableNumber extends Omit<OwnedNumber, 'app_id'> {
  /** Monthly cost in the account's currency, as a decimal string (as the search answers). */
  cost: string;
}

export interface AccountOptions {
  apiKey: string;
  apiSecret: string;
  /** The account's signature secret: signs webhooks of applications with `signed_callbacks`. */
  signatureSecret?: string;
  balance?: number;
  /** Numbers the account owns at the start. */
  numbers?: OwnedNumber[];
  /** Numbers for sale (`GET /number/search`). */
  forSale?: AvailableNumber[];
  /** Applications the account has at the start (e.g. one another project owns). */
  applications?: StoredApplication[];
}

/** The answer of a rule the API turns into an error reply; `reason` names which. */
export type AccountResult<T> = { ok: true; value: T } | { ok: false; reason: 'not-found' | 'insufficient-funds' | 'invalid'; detail: string };

export class EmulatedAccount {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly signatureSecret: string | undefined;
  balance: number;
  private readonly applications = new Map<string, StoredApplication>();
  private readonly numbers = new Map<string, OwnedNumber>();
  private readonly forSale = new Map<string, AvailableNumber>();

  constructor(options: AccountOptions) {
    this.apiKey = options.apiKey;
    this.apiSecret = options.apiSecret;
    this.signatureSecret = options.signatureSecret;
    this.balance = options.balance ?? 10;
    for (const number of options.numbers ?? []) this.numbers.set(number.msisdn, { ...number });
    for (const number of options.forSale ?? []) this.forSale.set(number.msisdn, { ...number });
    for (const application of options.applications ?? []) this.applications.set(application.id, structuredClone(application));
  }

  authenticate(apiKey: string | undefined, apiSecret: string | undefined): boolean {
    return apiKey === this.apiKey && apiSecret === this.apiSecret;
  }

  listApplications(): StoredApplication[] {
    return [...this.applications.values()].map((application) => structuredClone(application));
  }

  getApplication(id: string): StoredApplication | undefined {
    const application = this.applications.get(id);
    return application ? structuredClone(application) : undefined;
  }

  /**
   * Creates an application. Without a public key Vonage makes a key pair and returns the private key
   * once, in this answer only; it keeps the public key.
   */
  createApplication(body: Record<string, unknown>): AccountResult<StoredApplication & { keys: { public_key: string; private_key?: string } }> {
    const parsed = parseApplication(body);
    if (!parsed.ok) return parsed;
    let privateKey: string | undefined;
    let publicKey = parsed.value.publicKey;
    if (!publicKey) {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      privateKey = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    }
    const application: StoredApplication = {
      id: randomUUID(),
      name: parsed.value.name,
      keys: { public_key: publicKey },
      privacy: { improve_ai: false },
      capabilities: parsed.value.capabilities,
    };
    this.applications.set(application.id, application);
    return { ok: true, value: { ...structuredClone(application), keys: { public_key: publicKey, ...(privateKey ? { private_key: privateKey } : {}) } } };
  }

  /** `PUT` replaces the application's name and capabilities; its id and keys stay unless a new public key is given. */
  updateApplication(id: string, body: Record<string, unknown>): AccountResult<StoredApplication> {
    const existing = this.applications.get(id);
    if (!existing) return { ok: false, reason: 'not-found', detail: `application ${id} does not exist in this account` };
    const parsed = parseApplication(body);
    if (!parsed.ok) return parsed;
    const updated: StoredApplication = {
      ...existing,
      name: parsed.value.name,
      capabilities: parsed.value.capabilities,
      keys: { public_key: parsed.value.publicKey ?? existing.keys.public_key },
    };
    this.applications.set(id, updated);
    return { ok: true, value: structuredClone(updated) };
  }

  deleteApplication(id: string): boolean {
    if (!this.applications.delete(id)) return false;
    for (const number of this.numbers.values()) if (number.app_id === id) delete number.app_id;
    return true;
  }

  ownedNumbers(filter: { pattern?: string; applicationId?: string; hasApplication?: boolean } = {}): OwnedNumber[] {
    return [...this.numbers.values()]
      .filter(
        (number) =>
          (!filter.pattern || number.msisdn.includes(filter.pattern)) &&
          (!filter.applicationId || number.app_id === filter.applicationId) &&
          (filter.hasApplication === undefined || Boolean(number.app_id) === filter.hasApplication),
      )
      .map((number) => ({ ...number }));
  }

  searchForSale(filter: { country: string; pattern?: string; features?: string[] }): AvailableNumber[] {
    return [...this.forSale.values()]
      .filter(
        (number) =>
          number.country === filter.country &&
          (!filter.pattern || number.msisdn.includes(filter.pattern)) &&
          (filter.features ?? []).every((feature) => number.features.includes(feature)),
      )
      .map((number) => ({ ...number }));
  }

  buy(country: string, msisdn: string): AccountResult<OwnedNumber> {
    const offer = this.forSale.get(msisdn);
    if (!offer || offer.country !== country) return { ok: false, reason: 'not-found', detail: `${msisdn} is not for sale in ${country}` };
    const cost = Number(offer.cost);
    if (this.balance < cost)
      return { ok: false, reason: 'insufficient-funds', detail: `the balance is ${this.balance.toFixed(2)}, the number costs ${offer.cost}` };
    this.balance -= cost;
    this.forSale.delete(msisdn);
    const { cost: _cost, ...owned } = offer;
    this.numbers.set(msisdn, owned);
    return { ok: true, value: { ...owned } };
  }

  /** Links a number to an application, or unlinks it with an empty id. */
  linkNumber(country: string, msisdn: string, applicationId: string | undefined): AccountResult<OwnedNumber> {
    const number = this.numbers.get(msisdn);
    if (!number || number.country !== country) return { ok: false, reason: 'not-found', detail: `${msisdn} (${country}) is not a number of this account` };
    if (applicationId && !this.applications.has(applicationId))
      return { ok: false, reason: 'invalid', detail: `application ${applicationId} does not exist in this account` };
    if (applicationId) number.app_id = applicationId;
    else delete number.app_id;
    return { ok: true, value: { ...number } };
  }

  /** Where an inbound call to `msisdn` goes, as Vonage resolves it: the number's application. */
  routeFor(msisdn: string): { number: OwnedNumber; application: StoredApplication } | undefined {
    const number = this.numbers.get(msisdn);
    const application = number?.app_id ? this.applications.get(number.app_id) : undefined;
    return number && application ? { number: { ...number }, application: structuredClone(application) } : undefined;
  }

  publicKeyOf(applicationId: string): string | undefined {
    return this.applications.get(applicationId)?.keys.public_key;
  }
}

function parseApplication(
  body: Record<string, unknown>,
): AccountResult<{ name: string; capabilities: StoredApplication['capabilities']; publicKey: string | undefined }> {
  if (typeof body.name !== 'string' || body.name.trim() === '') return { ok: false, reason: 'invalid', detail: 'name is required' };
  const capabilities = (body.capabilities ?? {}) as StoredApplication['capabilities'];
  if (typeof capabilities !== 'object' || Array.isArray(capabilities)) return { ok: false, reason: 'invalid', detail: 'capabilities must be an object' };
  const webhooks = capabilities.voice?.webhooks;
  for (const [name, hook] of Object.entries(webhooks ?? {})) {
    if (!hook) continue;
    if (typeof hook.address !== 'string' || !/^https?:\/\//.test(hook.address))
      return { ok: false, reason: 'invalid', detail: `capabilities.voice.webhooks.${name}.address must be an http(s) URL` };
    if (hook.http_method !== 'GET' && hook.http_method !== 'POST')
      return { ok: false, reason: 'invalid', detail: `capabilities.voice.webhooks.${name}.http_method must be GET or POST` };
  }
  const keys = body.keys as { public_key?: unknown } | undefined;
  return { ok: true, value: { name: body.name, capabilities, publicKey: typeof keys?.public_key === 'string' ? keys.public_key : undefined } };
}
