/**
 * What `dev`/`setup` will change in the Vonage account, decided from what is there and what is wanted.
 * Pure: no I/O, so the plan printed by `--dry-run` is exactly the one applied.
 */
import type { AccountNumber, NumberOffer, VoiceApplication, WebhookSpec } from './vonage-account.js';

export interface Wanted extends WebhookSpec {
  /** The number to link, when one is named or was found. */
  number: AccountNumber | undefined;
  /** A number to buy first (`--buy-number`), with its price. */
  purchase: NumberOffer | undefined;
}

export type Step =
  | { kind: 'create-application'; spec: WebhookSpec }
  | { kind: 'update-webhooks'; application: VoiceApplication; spec: WebhookSpec; changes: string[] }
  | { kind: 'buy-number'; offer: NumberOffer }
  /** `from`: the application the number is linked to now, if another one: moving it needs a yes. */
  | { kind: 'link-number'; number: AccountNumber; from: string | undefined };

export function planSetup(existing: VoiceApplication | undefined, wanted: Wanted): Step[] {
  const steps: Step[] = [];
  if (!existing) steps.push({ kind: 'create-application', spec: wanted });
  else {
    const changes = [
      ...(existing.answerUrl !== wanted.answerUrl ? [`answer URL ${existing.answerUrl ?? '(none)'} → ${wanted.answerUrl}`] : []),
      ...(existing.eventUrl !== wanted.eventUrl ? [`event URL ${existing.eventUrl ?? '(none)'} → ${wanted.eventUrl}`] : []),
      ...(existing.signed !== wanted.signed ? [`signed webhooks ${existing.signed ? 'on' : 'off'} → ${wanted.signed ? 'on' : 'off'}`] : []),
    ];
    if (changes.length > 0) steps.push({ kind: 'update-webhooks', application: existing, spec: wanted, changes });
  }
  if (wanted.purchase) {
    steps.push({ kind: 'buy-number', offer: wanted.purchase });
    steps.push({
      kind: 'link-number',
      number: { msisdn: wanted.purchase.msisdn, country: wanted.purchase.country, applicationId: undefined },
      from: undefined,
    });
  } else if (wanted.number && (!existing || wanted.number.applicationId !== existing.id)) {
    steps.push({ kind: 'link-number', number: wanted.number, from: wanted.number.applicationId });
  }
  return steps;
}

/** One line per step, as printed before anything is changed. */
export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'create-application':
      return `create Voice application "${step.spec.name}": answer ${step.spec.answerUrl}, events ${step.spec.eventUrl}${step.spec.signed ? ', signed webhooks' : ''}`;
    case 'update-webhooks':
      return `update application ${step.application.id} ("${step.application.name}"): ${step.changes.join('; ')}`;
    case 'buy-number':
      return `buy ${step.offer.msisdn} (${step.offer.country}) for ${step.offer.cost} a month`;
    case 'link-number':
      return `link ${step.number.msisdn} to the application${step.from ? ` (moving it from application ${step.from})` : ''}`;
  }
}

/** Steps that change what someone else set up or cost money: they need a yes. */
export function confirmationFor(step: Step): string | undefined {
  if (step.kind === 'buy-number') return `Buy ${step.offer.msisdn} (${step.offer.country}) for ${step.offer.cost} a month?`;
  if (step.kind === 'link-number' && step.from)
    return `${step.number.msisdn} is linked to application ${step.from}; calls to it would reach this server instead. Move it?`;
  return undefined;
}
