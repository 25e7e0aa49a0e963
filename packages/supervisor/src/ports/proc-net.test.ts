import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ListeningPort, mergeListening, parseProcNetTcp } from './proc-net.js';

const HEADER4 =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const HEADER6 =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const tail = ' 00000000:00000000 00:00000000 00000000 33333        0 412345 1 0000000000000000 100 0 0 10 0';

const rows: { name: string; text: string; expected: ListeningPort[] }[] = [
  { name: 'header only', text: HEADER4, expected: [] },
  {
    name: 'tcp: wildcard 8080 listening',
    text: `${HEADER4}\n   0: 00000000:1F90 00000000:0000 0A${tail}\n`,
    expected: [{ port: 8080, address: '0.0.0.0' }],
  },
  {
    name: 'tcp: loopback 3000, established connection skipped',
    text: [
      HEADER4,
      `   0: 0100007F:0BB8 00000000:0000 0A${tail}`,
      `   1: 0100007F:0BB8 0100007F:D2F4 01${tail}`,
      `   2: 0500580A:59D7 0100580A:C8A2 06${tail}`,
    ].join('\n'),
    expected: [{ port: 3000, address: '127.0.0.1' }],
  },
  {
    name: 'tcp: container address 10.88.0.5:5432',
    text: `${HEADER4}\n   0: 0500580A:1538 00000000:0000 0A${tail}`,
    expected: [{ port: 5432, address: '10.88.0.5' }],
  },
  {
    name: 'tcp6: wildcard, loopback, v4-mapped, link-local',
    text: [
      HEADER6,
      `   0: 00000000000000000000000000000000:59D7 00000000000000000000000000000000:0000 0A${tail}`,
      `   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A${tail}`,
      `   2: 0000000000000000FFFF00000100007F:1F91 00000000000000000000000000000000:0000 0A${tail}`,
      `   3: 000080FE00000000FF4B40029A8CB6FE:0016 00000000000000000000000000000000:0000 0A${tail}`,
      `   4: 00000000000000000000000001000000:0277 00000000000000000000000001000000:A0B2 01${tail}`,
    ].join('\n'),
    expected: [
      { port: 22999, address: '::' },
      { port: 631, address: '::1' },
      { port: 8081, address: '::ffff:127.0.0.1' },
      { port: 22, address: 'fe80::240:4bff:feb6:8c9a' },
    ],
  },
  { name: 'garbage line', text: 'not a table\n  0: zz:yy 0A', expected: [] },
];

describe('parseProcNetTcp', () => {
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(parseProcNetTcp(row.text, true), row.expected));
  }
  it('reads big-endian hosts in network order', () => {
    assert.deepEqual(parseProcNetTcp(`${HEADER4}\n 0: 7F000001:0050 00000000:0000 0A${tail}`, false), [
      { port: 80, address: '127.0.0.1' },
    ]);
  });
});

describe('mergeListening', () => {
  it('drops the excluded port, keeps one entry per port preferring the wildcard, sorts', () => {
    const v4 = [
      { port: 22999, address: '0.0.0.0' },
      { port: 8080, address: '127.0.0.1' },
      { port: 3000, address: '0.0.0.0' },
    ];
    const v6 = [
      { port: 8080, address: '::' },
      { port: 3000, address: '::1' },
    ];
    assert.deepEqual(mergeListening([v4, v6], [22999]), [
      { port: 3000, address: '0.0.0.0' },
      { port: 8080, address: '::' },
    ]);
  });
});
