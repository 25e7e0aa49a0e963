// listPorts and isPublicPort over a table of configurations, served ports and overrides; port parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors.js';
import { isPublicPort, type ListedPort, listPorts, portNumberSchema, storedConfigPorts } from './ports.js';
import { type PortConfig, portConfigSchema } from './types.js';

const port = (p: Partial<PortConfig> & { port: number }): PortConfig => portConfigSchema.parse(p);
/** a listed port with the defaults of an unconfigured one */
const listed = (p: Partial<ListedPort> & { port: number }): ListedPort => ({
  visibility: 'private',
  state: 'not-served',
  name: null,
  description: null,
  onOpen: 'notify',
  protocol: 'http',
  ...p,
});

const CONFIG: PortConfig[] = [
  port({ port: 8000, visibility: 'public', name: 'web', description: 'the app', onOpen: 'open-browser' }),
  port({ port: 8001 }),
  port({ port: 9000, to: 9999, visibility: 'public', name: 'range', protocol: 'https' }),
  // an exact entry inside the range wins over the range, wherever it stands
  port({ port: 9500, visibility: 'private', name: 'inside' }),
];

const cases: {
  name: string;
  config: PortConfig[];
  served: number[];
  overrides: { port: number; visibility: 'private' | 'public' }[];
  expected: ListedPort[];
}[] = [
  { name: 'nothing configured, nothing served', config: [], served: [], overrides: [], expected: [] },
  {
    name: 'configured single ports are listed when not served; ranges are not',
    config: CONFIG,
    served: [],
    overrides: [],
    expected: [
      listed({
        port: 8000,
        visibility: 'public',
        name: 'web',
        description: 'the app',
        onOpen: 'open-browser',
      }),
      listed({ port: 8001 }),
      listed({ port: 9500, name: 'inside' }),
    ],
  },
  {
    name: 'a served port takes the attributes of its entry, of a range holding it, or the defaults',
    config: CONFIG,
    served: [9999, 3000, 8001, 9001],
    overrides: [],
    expected: [
      listed({ port: 3000, state: 'served' }),
      listed({
        port: 8000,
        visibility: 'public',
        name: 'web',
        description: 'the app',
        onOpen: 'open-browser',
      }),
      listed({ port: 8001, state: 'served' }),
      listed({ port: 9001, state: 'served', visibility: 'public', name: 'range', protocol: 'https' }),
      listed({ port: 9500, name: 'inside' }),
      listed({ port: 9999, state: 'served', visibility: 'public', name: 'range', protocol: 'https' }),
    ],
  },
  {
    name: 'overrides win over the configuration, and list a port nobody configured or serves',
    config: CONFIG,
    served: [9001, 3000],
    overrides: [
      { port: 8000, visibility: 'private' },
      { port: 8001, visibility: 'public' },
      { port: 9001, visibility: 'private' },
      { port: 3000, visibility: 'public' },
      { port: 4000, visibility: 'public' },
    ],
    expected: [
      listed({ port: 3000, state: 'served', visibility: 'public' }),
      listed({ port: 4000, visibility: 'public' }),
      listed({ port: 8000, name: 'web', description: 'the app', onOpen: 'open-browser' }),
      listed({ port: 8001, visibility: 'public' }),
      listed({ port: 9001, state: 'served', name: 'range', protocol: 'https' }),
      listed({ port: 9500, name: 'inside' }),
    ],
  },
  {
    name: 'the first of two entries for one port counts; a port served twice is listed once',
    config: [port({ port: 5000, visibility: 'public', name: 'first' }), port({ port: 5000, name: 'second' })],
    served: [5000, 5000],
    overrides: [],
    expected: [listed({ port: 5000, state: 'served', visibility: 'public', name: 'first' })],
  },
];

for (const c of cases) {
  test(`listPorts: ${c.name}`, () => {
    assert.deepEqual(listPorts(c.config, c.served, c.overrides), c.expected);
  });
}

test('isPublicPort: the override, else the exact entry, else a range, else private', () => {
  const rows: [number, { port: number; visibility: 'private' | 'public' }[], boolean][] = [
    [8000, [], true],
    [8001, [], false],
    [8002, [], false],
    [9000, [], true],
    [9999, [], true],
    [10000, [], false],
    [9500, [], false],
    [8000, [{ port: 8000, visibility: 'private' }], false],
    [8001, [{ port: 8001, visibility: 'public' }], true],
    [9123, [{ port: 9123, visibility: 'private' }], false],
    [3000, [{ port: 3000, visibility: 'public' }], true],
    [3000, [{ port: 3001, visibility: 'public' }], false],
  ];
  for (const [p, overrides, expected] of rows) {
    assert.equal(isPublicPort(p, CONFIG, overrides), expected, `port ${p} with ${JSON.stringify(overrides)}`);
  }
});

test('portNumberSchema: decimal 1-65535 only', () => {
  const ok: [string, number][] = [
    ['1', 1],
    ['8000', 8000],
    ['65535', 65535],
    ['08080', 8080],
  ];
  for (const [raw, n] of ok) assert.equal(portNumberSchema.parse(raw), n, raw);
  for (const raw of ['0', '65536', '99999', '', ' 80', '0x50', '1e3', '80.5', '-1', 'http', '123456']) {
    const result = portNumberSchema.safeParse(raw);
    assert.equal(result.success, false, raw);
    assert.equal(result.error?.issues[0]?.message, 'a port is a whole number from 1 to 65535', raw);
  }
});

test('storedConfigPorts: null is no port; the stored ports with their defaults; a broken row is an internal error', () => {
  assert.deepEqual(storedConfigPorts('w', null), []);
  assert.deepEqual(
    storedConfigPorts('w', JSON.stringify({ origin: 'default', image: { kind: 'default' } })),
    [],
  );
  assert.deepEqual(storedConfigPorts('w', JSON.stringify({ ports: [{ port: 3000, to: 3005 }] })), [
    { port: 3000, to: 3005, onOpen: 'notify', visibility: 'private', protocol: 'http' },
  ]);
  for (const broken of ['{', JSON.stringify({ ports: [{ port: 0 }] })]) {
    assert.throws(
      () => storedConfigPorts('amber-panda-abcdefgh1', broken),
      (e: unknown) =>
        e instanceof AppError && e.code === 'internal' && /workspace amber-panda-abcdefgh1/.test(e.message),
    );
  }
});
