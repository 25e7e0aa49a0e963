import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configCandidates, loadWorkspaceConfig } from './select.js';

const DEVCONTAINER =
  '{ "image": "mcr.microsoft.com/devcontainers/base:bookworm", "postCreateCommand": "make" }';

test('no configuration file: the default configuration', () => {
  const config = loadWorkspaceConfig(new Map([['README.md', 'hi']]));
  assert.equal(config.origin, 'default');
  assert.deepEqual(config.image, { kind: 'default' });
  assert.deepEqual(config.warnings, []);
});

test('.gitpod.yml wins over devcontainer.json, and says so', () => {
  const config = loadWorkspaceConfig(
    new Map([
      ['.devcontainer/devcontainer.json', DEVCONTAINER],
      ['.gitpod.yml', 'image: node:20\n'],
    ]),
  );
  assert.equal(config.origin, 'gitpod');
  assert.deepEqual(config.image, { kind: 'ref', ref: 'node:20' });
  assert.deepEqual(config.warnings, [
    {
      file: '.gitpod.yml',
      message: '.gitpod.yml configures this workspace; .devcontainer/devcontainer.json is not used',
    },
  ]);
});

test('devcontainer.json locations in the order of the spec, named configurations last and sorted', () => {
  assert.deepEqual(
    configCandidates([
      '.devcontainer/python/devcontainer.json',
      '.devcontainer.json',
      '.devcontainer/devcontainer.json',
      '.devcontainer/go/devcontainer.json',
      '.devcontainer/a/b/devcontainer.json',
    ]),
    [
      '.devcontainer/devcontainer.json',
      '.devcontainer.json',
      '.devcontainer/go/devcontainer.json',
      '.devcontainer/python/devcontainer.json',
    ],
  );
  const config = loadWorkspaceConfig(new Map([['.devcontainer/go/devcontainer.json', DEVCONTAINER]]));
  assert.equal(config.origin, 'devcontainer');
  assert.equal(config.file, '.devcontainer/go/devcontainer.json');
  assert.equal(config.tasks[0]?.init, 'make');
});

test('an invalid chosen file is an error even when another file would be valid', () => {
  assert.throws(
    () =>
      loadWorkspaceConfig(
        new Map([
          ['.gitpod.yml', 'tasks: 3\n'],
          ['.devcontainer.json', DEVCONTAINER],
        ]),
      ),
    { code: 'invalid_argument', message: /^\.gitpod\.yml:1:8: tasks: / },
  );
});
