/**
 * Brings the Vonage account to what a served voicesocket needs: a Voice application whose answer and
 * event URLs point at the public URL, and a number linked to it (docs/dev.md). Reads first, prints the
 * plan, asks every question before the first change (a "no" leaves nothing half done), then applies;
 * the new application's id and private key are saved the moment Vonage returns them.
 */
import { VoicesocketError } from '../errors.js';
import { ANSWER_PATHS } from '../server/answer-route.js';
import { EVENT_PATHS } from '../server/event-route.js';
import { confirmationFor, describeStep, planSetup, type Step } from './plan.js';
import type { AccountNumber, NumberOffer, VonageAccount } from './vonage-account.js';

export interface ProvisionOptions {
  account: VonageAccount;
  /** VONAGE_APPLICATION_ID: update this application; without it one is created. */
  applicationId: string | undefined;
  applicationName: string;
  publicUrl: string;
  /** Turn on signed webhooks (the server verifies them with the account's signature secret). */
  signed: boolean;
  /** VONAGE_NUMBER: the number to link. */
  number: string | undefined;
  /** `--buy-number <country>`: buy a voice number there first. */
  buyCountry: string | undefined;
  dryRun: boolean;
  confirm(question: string): Promise<boolean>;
  report(line: string): void;
  /** Keeps what Vonage returned for later runs (the id and private key in .env and a 0600 file). */
  save(values: { applicationId?: string; privateKey?: string; number?: string }): Promise<void>;
}

export interface ProvisionResult {
  applicationId: string | undefined;
  /** The number calls come in on, when one is linked. */
  number: string | undefined;
  steps: Step[];
  applied: boolean;
}

export async function provision(options: ProvisionOptions): Promise<ProvisionResult> {
  const { account, report } = options;
  const existing = options.applicationId ? await account.getApplication(options.applicationId) : undefined;
  if (options.applicationId && !existing)
    throw new VoicesocketError(
      'VONAGE_NOT_FOUND',
      `VONAGE_APPLICATION_ID=${options.applicationId} is not an application of this account; remove it from .env to create a new one`,
    );

  let number: AccountNumber | undefined;
  let purchase: NumberOffer | undefined;
  if (options.number) {
    number = await account.findNumber(options.number);
    if (!number)
      throw new VoicesocketError(
        'VONAGE_NOT_FOUND',
        `VONAGE_NUMBER=${options.number} is not a number of this account; run with --buy-number <country> to buy one`,
      );
  } else if (options.buyCountry) {
    purchase = await account.offer(options.buyCountry);
    if (!purchase) throw new VoicesocketError('VONAGE_NOT_FOUND', `no voice number is for sale in ${options.buyCountry}`);
    const balance = await account.balance();
    if (balance < Number(purchase.cost))
      throw new VoicesocketError(
        'INSUFFICIENT_BALANCE',
        `${purchase.msisdn} costs ${purchase.cost} a month and the balance is ${balance.toFixed(2)}; top up, then run again`,
      );
  } else if (existing) {
    number = (await account.numbersOf(existing.id))[0];
  }

  const spec = {
    name: existing?.name ?? options.applicationName,
    answerUrl: `${options.publicUrl}${ANSWER_PATHS[0]}`,
    eventUrl: `${options.publicUrl}${EVENT_PATHS[0]}`,
    signed: options.signed,
  };
  const steps = planSetup(existing, { ...spec, number, purchase });
  if (steps.length === 0) report(`application ${existing!.id} already points at ${options.publicUrl}: nothing to change`);
  for (const step of steps) report(`${options.dryRun ? 'would ' : ''}${describeStep(step)}`);
  const chosen = purchase?.msisdn ?? number?.msisdn;
  if (!chosen) await reportNoNumber(account, report);
  if (options.dryRun) return { applicationId: existing?.id, number: chosen, steps, applied: false };

  for (const step of steps) {
    const question = confirmationFor(step);
    if (question && !(await options.confirm(question))) {
      report('stopped: nothing was changed');
      return { applicationId: existing?.id, number: undefined, steps, applied: false };
    }
  }

  let applicationId = existing?.id;
  for (const step of steps) {
    switch (step.kind) {
      case 'create-application': {
        const created = await account.createApplication(step.spec);
        applicationId = created.application.id;
        await options.save({ applicationId, ...(created.privateKey ? { privateKey: created.privateKey } : {}) });
        report(`created application ${applicationId}`);
        break;
      }
      case 'update-webhooks':
        await account.updateWebhooks(step.application.id, step.spec);
        report(`updated application ${step.application.id}`);
        break;
      case 'buy-number':
        await account.buy(step.offer);
        report(`bought ${step.offer.msisdn}`);
        break;
      case 'link-number':
        await account.link(step.number, applicationId!);
        report(`linked ${step.number.msisdn}`);
        break;
    }
  }
  if (purchase) await options.save({ number: purchase.msisdn });
  return { applicationId, number: chosen, steps, applied: true };
}

async function reportNoNumber(account: VonageAccount, report: (line: string) => void): Promise<void> {
  const free = await account.unlinkedNumbers();
  report(
    free.length > 0
      ? `no number is linked: set VONAGE_NUMBER to one of ${free.map((n) => n.msisdn).join(', ')} (numbers of the account not linked to any application)`
      : 'no number is linked: the account has no free number; run with --buy-number <country> (e.g. GB, US) to buy one',
  );
}
