// The Ports view's rows: label, description, context value (which menus show) and order.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fakePort } from './fake-supervisor.js';
import { portItem, portItems } from './ports-model.js';

describe('portItem', () => {
  const rows = [
    {
      name: 'a served private port',
      port: fakePort(3000),
      expected: {
        label: '3000',
        description: 'served · private',
        contextValue: 'atelierPort.served.private',
        actions: ['open', 'preview', 'makePublic', 'copyUrl'],
        icon: { id: 'circle-filled', color: 'charts.green' },
      },
    },
    {
      name: 'a served public port with a name',
      port: fakePort(8080, { visibility: 'public', name: 'API' }),
      expected: {
        label: '8080 · API',
        description: 'served · public',
        contextValue: 'atelierPort.served.public',
        actions: ['open', 'preview', 'makePrivate', 'copyUrl'],
        icon: { id: 'unlock', color: 'charts.green' },
      },
    },
    {
      name: 'a configured port that nothing serves yet',
      port: fakePort(5432, { served: false, name: 'db' }),
      expected: {
        label: '5432 · db',
        description: 'not served · private',
        contextValue: 'atelierPort.notServed.private',
        actions: ['makePublic', 'copyUrl'],
        icon: { id: 'circle-outline', color: undefined },
      },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const { label, description, contextValue, actions, icon } = portItem(row.port);
      assert.deepEqual({ label, description, contextValue, actions, icon }, row.expected);
    });
  }

  it('the menus of package.json match the context values as intended', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      contributes: { menus: { 'view/item/context': { command: string; when: string; group: string }[] } };
    };
    const inline = manifest.contributes.menus['view/item/context'].filter((m) =>
      m.group.startsWith('inline'),
    );
    const shown = (contextValue: string) =>
      inline
        .filter((m) => new RegExp(/viewItem =~ \/(.+)\/$/.exec(m.when)?.[1] ?? '^$').test(contextValue))
        .map((m) => m.command);
    assert.deepEqual(shown('atelierPort.served.private'), [
      'atelier.ports.open',
      'atelier.ports.preview',
      'atelier.ports.makePublic',
    ]);
    assert.deepEqual(shown('atelierPort.served.public'), [
      'atelier.ports.open',
      'atelier.ports.preview',
      'atelier.ports.makePrivate',
    ]);
    assert.deepEqual(shown('atelierPort.notServed.public'), ['atelier.ports.makePrivate']);
  });

  it('the id is stable and the tooltip carries the URL', () => {
    const item = portItem(fakePort(3000, { description: 'the web app' }));
    assert.equal(item.id, 'port:3000');
    assert.equal(item.tooltip, `${item.url}\nport 3000\nthe web app\nserved · private`);
  });
});

describe('portItems', () => {
  it('sorts by port and leaves out ports configured ignore-completely', () => {
    const items = portItems([fakePort(8080), fakePort(22, { onOpen: 'ignore-completely' }), fakePort(3000)]);
    assert.deepEqual(
      items.map((i) => i.port),
      [3000, 8080],
    );
  });
});
