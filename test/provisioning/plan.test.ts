import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confirmationFor, describeStep, planSetup } from '../../src/provisioning/plan.js';

const spec = { name: 'voicesocket', answerUrl: 'https://a.example/webhooks/answer', eventUrl: 'https://a.example/webhooks/event', signed: false };
const application = { id: 'app-1', name: 'voicesocket', answerUrl: spec.answerUrl, eventUrl: spec.eventUrl, signed: false };

test('an application already pointing at the URL, its number linked: nothing to do', () => {
  assert.deepEqual(planSetup(application, { ...spec, number: { msisdn: '1', country: 'GB', applicationId: 'app-1' }, purchase: undefined }), []);
});

test('only what differs is changed, each change named', () => {
  const steps = planSetup(
    { ...application, answerUrl: 'https://old.example/webhooks/answer' },
    { ...spec, signed: true, number: undefined, purchase: undefined },
  );
  assert.equal(steps.length, 1);
  assert.equal(steps[0]!.kind, 'update-webhooks');
  assert.match(
    describeStep(steps[0]!),
    /answer URL https:\/\/old\.example\/webhooks\/answer → https:\/\/a\.example\/webhooks\/answer; signed webhooks off → on$/,
  );
  assert.doesNotMatch(describeStep(steps[0]!), /event URL/);
});

test('buying and moving a number need a yes; creating and linking a free number do not', () => {
  const offer = { msisdn: '447700900777', country: 'GB', cost: '0.90' };
  const buying = planSetup(undefined, { ...spec, number: undefined, purchase: offer });
  assert.deepEqual(
    buying.map((step) => step.kind),
    ['create-application', 'buy-number', 'link-number'],
  );
  assert.deepEqual(
    buying.map((step) => confirmationFor(step) !== undefined),
    [false, true, false],
  );
  const moving = planSetup(application, { ...spec, number: { msisdn: '2', country: 'GB', applicationId: 'someone-else' }, purchase: undefined });
  assert.match(confirmationFor(moving[0]!) ?? '', /linked to application someone-else/);
  const free = planSetup(application, { ...spec, number: { msisdn: '3', country: 'GB', applicationId: undefined }, purchase: undefined });
  assert.equal(confirmationFor(free[0]!), undefined);
});
