// What the IDE does for each notification, and for each button of the "port is open" message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Notification, notificationSchema } from '@atelier/protocol';
import { actionFor, choiceAction, type IdeAction } from './notification-actions.js';

const url = 'https://3000-amber-fox.ws.atelier.test/';

describe('actionFor', () => {
  const rows: { line: unknown; expected: IdeAction }[] = [
    {
      line: { kind: 'port', port: 3000, url, onOpen: 'open-browser' },
      expected: { kind: 'open-external', url },
    },
    { line: { kind: 'port', port: 3000, url, onOpen: 'open-preview' }, expected: { kind: 'preview', url } },
    {
      line: { kind: 'port', port: 3000, url, onOpen: 'notify' },
      expected: {
        kind: 'ask',
        message: 'Port 3000 is open',
        port: 3000,
        url,
        choices: ['Open in Browser', 'Open Preview', 'Make Public'],
      },
    },
    {
      line: { kind: 'open', path: '/workspace/app/README.md' },
      expected: { kind: 'open-file', path: '/workspace/app/README.md' },
    },
    { line: { kind: 'preview', url }, expected: { kind: 'preview', url } },
    { line: { kind: 'preview', url, external: true }, expected: { kind: 'open-external', url } },
  ];
  for (const row of rows) {
    it(JSON.stringify(row.line), () => {
      const n: Notification = notificationSchema.parse(row.line);
      assert.deepEqual(actionFor(n), row.expected);
    });
  }
});

describe('choiceAction', () => {
  it('maps each button of the port message', () => {
    assert.deepEqual(choiceAction('Open in Browser', 3000, url), { kind: 'open-external', url });
    assert.deepEqual(choiceAction('Open Preview', 3000, url), { kind: 'preview', url });
    assert.deepEqual(choiceAction('Make Public', 3000, url), { kind: 'make-public', port: 3000 });
  });
});
