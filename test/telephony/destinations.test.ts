/**
 * The operator's named destinations: what parses, what is refused and why, and that a lookup finds a
 * name and nothing else (a number given where a name belongs finds nothing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DestinationTable, MAX_DESTINATIONS, describeEndpoint, endpointOf } from '../../src/telephony/destinations.js';

test('a line of name=endpoint pairs: E.164 numbers and SIP URIs, looked up by exact name', () => {
  const table = DestinationTable.from(' sales = +447700900001 , desk=sip:desk@pbx.example.com;transport=tls,Night_Line=sips:night@10.0.0.7:5061');
  assert.deepEqual(table.names, ['sales', 'desk', 'Night_Line']);
  assert.deepEqual(table.find('sales')?.endpoint, { type: 'phone', number: '447700900001' });
  assert.deepEqual(table.find('desk')?.endpoint, { type: 'sip', uri: 'sip:desk@pbx.example.com;transport=tls' });
  assert.equal(describeEndpoint(table.find('sales')!.endpoint), '+447700900001');
  assert.equal(describeEndpoint(table.find('Night_Line')!.endpoint), 'sips:night@10.0.0.7:5061');
  // Only a name finds a destination: a number, another case, a prototype key find nothing.
  for (const other of ['+447700900001', '447700900001', 'SALES', 'constructor', '__proto__', '']) assert.equal(table.find(other), undefined, other);
  assert.deepEqual(JSON.parse(JSON.stringify(table)), table.toJSON());
});

test('a list from code is checked by the same rules', () => {
  const table = DestinationTable.from([{ name: 'desk', endpoint: { type: 'sip', uri: 'sip:desk@pbx.example.com' } }]);
  assert.equal(table.size, 1);
  assert.throws(() => DestinationTable.from([{ name: 'x', endpoint: { type: 'phone', number: '0900123' } }]), /not an E\.164 number/);
  assert.throws(() => DestinationTable.from([{ name: 'x', endpoint: { type: 'sip', uri: 'sip:a b@host' } }]), /not a SIP URI/);
});

test('refused, each with a reason: numbers not in E.164, URIs not SIP, bad or repeated names, too many', () => {
  const refusals: Array<[string, RegExp]> = [
    ['premium=09001234567', /not an E\.164 number/],
    ['x=+0447700900001', /not an E\.164 number/],
    ['x=+1234', /not an E\.164 number/],
    ['x=+1234567890123456', /not an E\.164 number/],
    ['x=+44 7700 900001', /not an E\.164 number/],
    ['x=tel:+447700900001', /neither an E\.164 number .* nor a SIP URI/],
    ['x=sip:desk', /not a SIP URI/],
    ['x=sip:<desk@pbx.example.com>', /not a SIP URI/],
    ['1st=+447700900001', /not a destination name/],
    ['a b=+447700900001', /not a destination name/],
    ['sales=+447700900001,Sales=+447700900002', /named twice/],
    ['+447700900001', /not name=endpoint/],
    ['sales=+447700900001,', /not name=endpoint/],
    ['', /no destinations/],
    [Array.from({ length: MAX_DESTINATIONS + 1 }, (_, i) => `d${i}=+4477009000${String(i).padStart(2, '0')}`).join(','), /at most 20/],
  ];
  for (const [line, reason] of refusals) assert.throws(() => DestinationTable.from(line), reason, line);
});

test('property: whatever endpointOf accepts is an E.164 number or a SIP URI, with no separator of the list in it', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (text) => {
      const endpoint = endpointOf(text);
      if (typeof endpoint === 'string') return;
      if (endpoint.type === 'phone') assert.match(endpoint.number, /^[1-9]\d{6,14}$/);
      else assert.match(endpoint.uri, /^sips?:[^\s,<>@]+@[^\s,<>@]+$/);
    }),
  );
});
