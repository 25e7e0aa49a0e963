// The pure parts of the RFC 2136 client: server addresses, challenge record names, wire names.
// Updates themselves are tested against BIND in acme.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { challengeRecordName } from './acme-dns01.js';
import { encodeName, splitHostPort } from './dns-update.js';

describe('dns-update', () => {
  const servers: [string, [string, string] | RegExp][] = [
    ['127.0.0.1:5353', ['127.0.0.1', '5353']],
    ['ns1.example.com:53', ['ns1.example.com', '53']],
    ['ns1.example.com', ['ns1.example.com', '53']],
    ['[2001:db8::1]:53', ['2001:db8::1', '53']],
    ['[::1]', ['::1', '53']],
    ['::1', /"::1" is not host:port \(write an IPv6 address as \[::1\]:53\)/],
    ['host:port', /"host:port" is not host:port/],
  ];
  for (const [input, expected] of servers)
    test(`server ${input}`, () => {
      if (expected instanceof RegExp) assert.throws(() => splitHostPort(input), expected);
      else assert.deepEqual(splitHostPort(input), expected);
    });

  const records: [string, string][] = [
    ['atelier.example.com', '_acme-challenge.atelier.example.com'],
    ['*.atelier.example.com', '_acme-challenge.atelier.example.com'],
    ['*.ws.atelier.example.com', '_acme-challenge.ws.atelier.example.com'],
  ];
  for (const [identifier, name] of records)
    test(`record for ${identifier}`, () => assert.equal(challengeRecordName(identifier), name));

  const names: [string, string | RegExp][] = [
    ['Example.COM.', '076578616d706c6503636f6d00'],
    ['a.b', '0161016200'],
    ['.', '00'],
    [`${'x'.repeat(64)}.com`, /longer than 63 bytes/],
  ];
  for (const [input, expected] of names)
    test(`wire name ${input.slice(0, 20)}`, () => {
      if (expected instanceof RegExp) assert.throws(() => encodeName(input), expected);
      else assert.equal(encodeName(input).toString('hex'), expected);
    });
});
