// `gp init` and `gp validate` on temporary checkouts: the starter file passes, problems come with file,
// line, column and key path (exit 2), devcontainer.json is found where the server looks.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { runAgainst } from './fake-workspace.js';
import { STARTER_GITPOD_YML } from './init.js';

// neither command needs the supervisor: an address where none listens proves it
const NO_API = 'http://127.0.0.1:9';

describe('gp init and gp validate', () => {
  const dirs: string[] = [];
  let dir: string;
  const gp = (argv: string[], cwd = dir) => runAgainst(NO_API, argv, { cwd, env: { GITPOD_REPO_ROOT: dir } });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gp-validate-'));
    dirs.push(dir);
  });
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('init writes a starter .gitpod.yml that validate accepts', async () => {
    const init = await gp(['init'], tmpdir());
    assert.equal(init.code, 0);
    assert.equal(init.stdout, `wrote ${join(dir, '.gitpod.yml')}\n`);
    assert.equal(readFileSync(join(dir, '.gitpod.yml'), 'utf8'), STARTER_GITPOD_YML);
    assert.deepEqual(await gp(['validate']), {
      code: 0,
      stdout: '✔ .gitpod.yml is valid (1 task, 1 port)\n',
      stderr: '',
    });
  });

  it('init refuses to overwrite without --force', async () => {
    writeFileSync(join(dir, '.gitpod.yml'), 'tasks: []\n');
    const r = await gp(['init']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `gp: ${join(dir, '.gitpod.yml')} exists already: gp init --force overwrites it\n`);
    assert.equal(readFileSync(join(dir, '.gitpod.yml'), 'utf8'), 'tasks: []\n');
    assert.equal((await gp(['init', '--force'])).code, 0);
    assert.equal(readFileSync(join(dir, '.gitpod.yml'), 'utf8'), STARTER_GITPOD_YML);
  });

  it('validate prints every problem with line and column, exit 2', async () => {
    writeFileSync(
      join(dir, '.gitpod.yml'),
      'tasks:\n  - name: a\n    comand: echo\n  - name: b\nports:\n  - port: 99999\n',
    );
    const r = await gp(['validate']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      [
        '.gitpod.yml:6:11: ports[0].port: expected a port number (1-65535) or a range such as 3000-3999',
        ".gitpod.yml:3:5: tasks[0].comand: unknown key 'comand'; allowed: name, before, init, prebuild, command, env, openIn, openMode",
        'gp: 2 problems found',
        '',
      ].join('\n'),
    );
  });

  it('validate reports YAML syntax errors with their place', async () => {
    writeFileSync(join(dir, 'broken.yml'), 'tasks:\n  - init: [unclosed\n');
    const r = await gp(['validate', 'broken.yml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^broken\.yml:\d+:\d+: .+\ngp: 1 problem found\n$/);
  });

  it('validate finds .devcontainer/devcontainer.json, and a named file', async () => {
    mkdirSync(join(dir, '.devcontainer'));
    writeFileSync(
      join(dir, '.devcontainer', 'devcontainer.json'),
      '{\n  // comments are allowed\n  "image": "node:20",\n  "forwardPorts": [3000, 9229],\n}\n',
    );
    assert.deepEqual(await gp(['validate']), {
      code: 0,
      stdout: '✔ .devcontainer/devcontainer.json is valid (0 tasks, 2 ports)\n',
      stderr: '',
    });
    writeFileSync(
      join(dir, '.devcontainer', 'devcontainer.json'),
      '{\n  "image": "node:20",\n  "appPort": 3000\n}\n',
    );
    const bad = await gp(['validate', '.devcontainer/devcontainer.json']);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /^\.devcontainer\/devcontainer\.json:3:3: appPort: appPort publishes a port on the host/,
    );
  });

  it('validate warns when .gitpod.yml hides a devcontainer.json', async () => {
    writeFileSync(join(dir, '.gitpod.yml'), 'tasks:\n  - command: echo hi\n');
    writeFileSync(join(dir, '.devcontainer.json'), '{"image": "node:20"}');
    const r = await gp(['validate']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '✔ .gitpod.yml is valid (1 task, 0 ports)\n');
    assert.equal(
      r.stderr,
      'gp: warning: .gitpod.yml configures this workspace; .devcontainer.json is not used\n',
    );
  });

  it('validate says what to do when there is no configuration, or the file is missing', async () => {
    const none = await gp(['validate']);
    assert.equal(none.code, 1);
    assert.equal(
      none.stderr,
      `gp: no .gitpod.yml or devcontainer.json in ${dir}: gp init writes a starter .gitpod.yml\n`,
    );
    const missing = await gp(['validate', 'nope.yml']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, 'gp: nope.yml: no such file\n');
  });
});
