import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isAppError } from '../errors.js';
import { parseDevcontainer } from './devcontainer.js';
import { type WorkspaceConfig, workspaceConfigSchema } from './types.js';

interface ExpectedProblem {
  line: number;
  column: number;
  path: string;
  message: RegExp;
}
interface Row {
  name: string;
  text: string;
  /** default: .devcontainer/devcontainer.json */
  file?: string;
  expected?: Partial<WorkspaceConfig>;
  problems?: ExpectedProblem[];
}

const FILE = '.devcontainer/devcontainer.json';
/** One string per line, so a row's line numbers can be read off its array. */
const lines = (...l: string[]) => l.join('\n');

const REFUSED: [key: string, value: string, message: RegExp][] = [
  ['mounts', '["source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind"]', /host folders/],
  ['workspaceMount', `"source=\${localWorkspaceFolder},target=/src,type=bind"`, /always checks it out/],
  ['privileged', 'true', /privileged containers can take over the host/],
  ['capAdd', '["SYS_PTRACE"]', /capabilities/],
  ['securityOpt', '["seccomp=unconfined"]', /set by the installation/],
  ['runArgs', '["--network=host"]', /raw container engine arguments/],
  ['initializeCommand', '"docker login"', /runs on the host, which Atelier never does for a repository/],
  ['dockerComposeFile', '"compose.yml"', /Docker Compose dev containers are not supported yet/],
  ['service', '"app"', /Docker Compose dev containers are not supported yet/],
  ['runServices', '["db"]', /Docker Compose dev containers are not supported yet/],
  ['appPort', '[3000]', /use forwardPorts/],
];

const rows: Row[] = [
  {
    name: 'an image and nothing else',
    text: '{ "image": "mcr.microsoft.com/devcontainers/base:ubuntu" }',
    expected: {
      origin: 'devcontainer',
      file: FILE,
      image: { kind: 'ref', ref: 'mcr.microsoft.com/devcontainers/base:ubuntu' },
      features: [],
      tasks: [],
      ports: [],
      env: {},
      vscodeExtensions: [],
      warnings: [],
      checkoutLocation: undefined,
      workspaceLocation: undefined,
      user: undefined,
    },
  },
  {
    name: 'comments and trailing commas',
    text: lines(
      '{',
      '  // the base image',
      '  "image": "node:20", /* pinned */',
      '  "forwardPorts": [3000,],',
      '  "remoteUser": "node",',
      '}',
    ),
    expected: {
      image: { kind: 'ref', ref: 'node:20' },
      user: 'node',
      ports: [{ port: 3000, onOpen: 'notify', visibility: 'private', protocol: 'http' }],
    },
  },
  {
    name: 'build paths are relative to the folder of devcontainer.json',
    text: '{ "build": { "dockerfile": "Dockerfile", "context": "..", "args": { "V": "1" }, "target": "dev" } }',
    expected: {
      image: {
        kind: 'dockerfile',
        file: '.devcontainer/Dockerfile',
        context: '.',
        args: { V: '1' },
        target: 'dev',
      },
    },
  },
  {
    name: 'build context defaults to the folder of a named configuration',
    file: '.devcontainer/python/devcontainer.json',
    text: '{ "build": { "dockerfile": "../Dockerfile" } }',
    expected: {
      image: {
        kind: 'dockerfile',
        file: '.devcontainer/Dockerfile',
        context: '.devcontainer/python',
        args: {},
      },
    },
  },
  {
    name: 'legacy dockerFile and context in a root .devcontainer.json',
    file: '.devcontainer.json',
    text: '{ "dockerFile": "docker/dev.Dockerfile", "context": "." }',
    expected: { image: { kind: 'dockerfile', file: 'docker/dev.Dockerfile', context: '.', args: {} } },
  },
  {
    name: 'a Dockerfile outside the repository',
    text: lines(
      '{',
      '  "build": {',
      '    "dockerfile": "../../Dockerfile",',
      '    "context": "/"',
      '  }',
      '}',
    ),
    problems: [
      {
        line: 3,
        column: 19,
        path: 'build.dockerfile',
        message: /'..\/..\/Dockerfile' is outside the repository/,
      },
      { line: 4, column: 16, path: 'build.context', message: /'\/' is outside the repository/ },
    ],
  },
  {
    name: 'image and build together',
    text: lines('{', '  "build": { "dockerfile": "Dockerfile" },', '  "image": "node:20"', '}'),
    problems: [{ line: 3, column: 3, path: 'image', message: /give image or build.dockerfile, not both/ }],
  },
  {
    name: 'neither image nor build',
    text: lines('', '{ "name": "nothing" }'),
    problems: [{ line: 2, column: 1, path: '', message: /give image or build.dockerfile/ }],
  },
  {
    name: 'build without a dockerfile',
    text: '{ "build": { "args": { "A": "1" } } }',
    problems: [{ line: 1, column: 3, path: 'build', message: /build needs dockerfile/ }],
  },
  {
    name: 'dockerFile given twice',
    text: lines('{', '  "build": { "dockerfile": "Dockerfile" },', '  "dockerFile": "Other"', '}'),
    problems: [{ line: 3, column: 3, path: 'dockerFile', message: /give the Dockerfile once/ }],
  },
  ...REFUSED.map(
    ([key, value, message]): Row => ({
      name: `refuses ${key}`,
      text: lines('{', '  "image": "node:20",', `  "${key}": ${value}`, '}'),
      problems: [{ line: 3, column: 3, path: key, message }],
    }),
  ),
  {
    name: 'an unknown key, pointed at by its key',
    text: lines('{', '  "image": "node:20",', '    "extensions": ["a.b"]', '}'),
    problems: [
      {
        line: 3,
        column: 5,
        path: 'extensions',
        message: /^unknown key 'extensions'; allowed: .*image.*features/,
      },
    ],
  },
  {
    name: 'a key named like an Object property is unknown too',
    text: '{ "image": "x", "constructor": 1 }',
    problems: [{ line: 1, column: 17, path: 'constructor', message: /^unknown key 'constructor'/ }],
  },
  {
    name: 'an unknown key inside build',
    text: lines('{', '  "build": {', '    "dockerfile": "Dockerfile",', '    "contxt": ".."', '  }', '}'),
    problems: [
      {
        line: 4,
        column: 5,
        path: 'build.contxt',
        message: /^unknown key 'contxt'; allowed: dockerfile, context, args, target/,
      },
    ],
  },
  {
    name: 'wrong types point at the value',
    text: lines(
      '{',
      '  "image": 20,',
      '  "containerEnv": { "A": 1 },',
      '  "updateRemoteUserUID": "yes"',
      '}',
    ),
    problems: [
      { line: 2, column: 12, path: 'image', message: /expected string, received number/ },
      { line: 3, column: 26, path: 'containerEnv.A', message: /expected string, received number/ },
      { line: 4, column: 26, path: 'updateRemoteUserUID', message: /expected boolean, received string/ },
    ],
  },
  {
    name: 'a value outside its closed set',
    text: '{ "image": "x", "shutdownAction": "explode" }',
    problems: [
      { line: 1, column: 35, path: 'shutdownAction', message: /expected one of "none"\|"stopContainer"/ },
    ],
  },
  {
    name: 'a missing comma',
    text: lines('{', '  "image": "node:20"', '  "name": "x"', '}'),
    problems: [{ line: 3, column: 3, path: '', message: /^syntax error: comma expected$/ }],
  },
  {
    name: 'an empty file',
    text: '',
    problems: [{ line: 1, column: 1, path: '', message: /^syntax error: value expected$/ }],
  },
  {
    name: 'an array at the top',
    text: '[{ "image": "node:20" }]',
    problems: [{ line: 1, column: 1, path: '', message: /expected a JSON object/ }],
  },
  {
    name: 'a duplicate key',
    text: lines('{', '  "image": "a",', '  "image": "b"', '}'),
    problems: [{ line: 3, column: 3, path: 'image', message: /duplicate key 'image'/ }],
  },
  {
    name: 'forwardPorts: numbers and localhost strings, once each',
    text: '{ "image": "x", "forwardPorts": [3000, "localhost:8080", "127.0.0.1:9000", 3000] }',
    expected: {
      ports: [
        { port: 3000, onOpen: 'notify', visibility: 'private', protocol: 'http' },
        { port: 8080, onOpen: 'notify', visibility: 'private', protocol: 'http' },
        { port: 9000, onOpen: 'notify', visibility: 'private', protocol: 'http' },
      ],
    },
  },
  {
    name: 'forwardPorts: other hosts and bad ports',
    text: lines(
      '{',
      '  "image": "x",',
      '  "forwardPorts": [',
      '    "db:5432",',
      '    0,',
      '    "web"',
      '  ]',
      '}',
    ),
    problems: [
      {
        line: 4,
        column: 5,
        path: 'forwardPorts[0]',
        message: /forwards a port of host 'db'; only the workspace's/,
      },
      { line: 5, column: 5, path: 'forwardPorts[1]', message: /^0 is not a port number \(1-65535\)$/ },
      { line: 6, column: 5, path: 'forwardPorts[2]', message: /'web' is not a port number/ },
    ],
  },
  {
    name: 'portsAttributes: single ports and a range',
    text: lines(
      '{',
      '  "image": "x",',
      '  "forwardPorts": [3000, 3500],',
      '  "portsAttributes": {',
      '    "3000": { "label": "web", "onAutoForward": "openBrowser", "protocol": "https" },',
      '    "3000-3999": { "onAutoForward": "silent" },',
      '    "9229": { "label": "debug", "onAutoForward": "ignore", "requireLocalPort": true, "elevateIfNeeded": false },',
      '    "5173": { "onAutoForward": "openPreview" }',
      '  }',
      '}',
    ),
    expected: {
      ports: [
        { port: 3000, onOpen: 'open-browser', visibility: 'private', name: 'web', protocol: 'https' },
        { port: 3500, onOpen: 'ignore', visibility: 'private', protocol: 'http' },
        { port: 5173, onOpen: 'open-preview', visibility: 'private', protocol: 'http' },
        { port: 9229, onOpen: 'ignore-completely', visibility: 'private', name: 'debug', protocol: 'http' },
        { port: 3000, to: 3999, onOpen: 'ignore', visibility: 'private', protocol: 'http' },
      ],
    },
  },
  {
    name: 'portsAttributes: a pattern, an inverted range and a bad attribute',
    text: lines(
      '{',
      '  "image": "x",',
      '  "portsAttributes": {',
      '    ".+": { "label": "any" },',
      '    "4000-3000": {},',
      '    "8080": { "onAutoForward": "popup", "color": "red" }',
      '  }',
      '}',
    ),
    problems: [
      { line: 4, column: 5, path: 'portsAttributes..+', message: /'.\+' is not a port \(3000\) or a range/ },
      { line: 5, column: 5, path: 'portsAttributes.4000-3000', message: /is not a port \(3000\) or a range/ },
      {
        line: 6,
        column: 32,
        path: 'portsAttributes.8080.onAutoForward',
        message: /expected one of "notify"/,
      },
      {
        line: 6,
        column: 41,
        path: 'portsAttributes.8080.color',
        message: /^unknown key 'color'; allowed: label/,
      },
    ],
  },
  {
    name: 'otherPortsAttributes and hostRequirements are accepted with a warning',
    text: '{ "image": "x", "otherPortsAttributes": { "onAutoForward": "silent" }, "hostRequirements": { "cpus": 4 } }',
    expected: {
      ports: [],
      warnings: [
        { file: FILE, message: 'otherPortsAttributes is ignored: ports not listed get the defaults' },
        {
          file: FILE,
          message:
            'hostRequirements is not enforced: the workspace gets the resources of its workspace class',
        },
      ],
    },
  },
  {
    name: 'lifecycle strings: create stages → init, start and attach → command',
    text: lines(
      '{',
      '  "image": "x",',
      '  "postAttachCommand": "npm run dev",',
      '  "onCreateCommand": "npm ci",',
      '  "updateContentCommand": "npm run build",',
      '  "postCreateCommand": "git config pull.rebase true",',
      '  "postStartCommand": "docker compose up -d"',
      '}',
    ),
    expected: {
      tasks: [
        {
          name: 'devcontainer',
          init: 'npm ci && npm run build && git config pull.rebase true',
          command: 'docker compose up -d && npm run dev',
          env: {},
        },
      ],
    },
  },
  {
    name: 'lifecycle arrays are quoted; compound strings are grouped',
    text: lines(
      '{',
      '  "image": "x",',
      '  "onCreateCommand": "cd web; npm ci",',
      `  "postCreateCommand": ["echo", "hello world", "it's", "$HOME", ""]`,
      '}',
    ),
    expected: {
      tasks: [
        {
          name: 'devcontainer',
          init: `( cd web; npm ci ) && echo 'hello world' 'it'\\''s' '$HOME' ''`,
          command: undefined,
          env: {},
        },
      ],
    },
  },
  {
    name: 'lifecycle objects run their commands in parallel and fail when one fails',
    text: lines(
      '{',
      '  "image": "x",',
      '  "postStartCommand": { "server": "npm start", "watch": ["npm", "run", "watch"], "db": "cd db; ./up" },',
      '  "postAttachCommand": { "only": "echo ready # done" }',
      '}',
    ),
    expected: {
      tasks: [
        {
          name: 'devcontainer',
          init: undefined,
          command:
            '( npm start & p0=$!; npm run watch & p1=$!; ( cd db; ./up ) & p2=$!; s=0; wait $p0 || s=1; wait $p1 || s=1; wait $p2 || s=1; exit $s ) && ( echo ready # done\n)',
          env: {},
        },
      ],
    },
  },
  {
    name: 'lifecycle commands of the wrong shape',
    text: lines(
      '{',
      '  "image": "x",',
      '  "onCreateCommand": 5,',
      '  "postCreateCommand": ["npm", 1],',
      '  "postStartCommand": { "a": true }',
      '}',
    ),
    problems: [
      { line: 3, column: 22, path: 'onCreateCommand', message: /expected a command: a string, an array/ },
      { line: 4, column: 32, path: 'postCreateCommand[1]', message: /expected string, received number/ },
      { line: 5, column: 30, path: 'postStartCommand.a', message: /expected a command string or an array/ },
    ],
  },
  {
    name: 'features: OCI with a version string or options, and a local folder',
    text: lines(
      '{',
      '  "image": "x",',
      '  "features": {',
      '    "ghcr.io/devcontainers/features/node:1": "lts",',
      '    "ghcr.io/devcontainers/features/python:1": { "version": "3.12", "installTools": false },',
      '    "./local-feature": {}',
      '  },',
      '  "overrideFeatureInstallOrder": ["ghcr.io/devcontainers/features/python"]',
      '}',
    ),
    expected: {
      features: [
        {
          source: { kind: 'oci', ref: 'ghcr.io/devcontainers/features/python:1' },
          options: { version: '3.12', installTools: false },
        },
        {
          source: { kind: 'oci', ref: 'ghcr.io/devcontainers/features/node:1' },
          options: { version: 'lts' },
        },
        { source: { kind: 'local', path: '.devcontainer/local-feature' }, options: {} },
      ],
    },
  },
  {
    name: 'features that cannot be used',
    text: lines(
      '{',
      '  "image": "x",',
      '  "features": {',
      '    "../../outside": {},',
      '    "node": "lts",',
      '    "https://example.com/f.tgz": {},',
      '    "ghcr.io/a/b:1": { "n": 1 }',
      '  },',
      '  "overrideFeatureInstallOrder": ["ghcr.io/a/c"]',
      '}',
    ),
    problems: [
      { line: 4, column: 5, path: 'features.../../outside', message: /outside the repository/ },
      {
        line: 5,
        column: 5,
        path: 'features.node',
        message: /short feature id.*ghcr.io\/devcontainers\/features\/node:1/,
      },
      {
        line: 6,
        column: 5,
        path: 'features.https://example.com/f.tgz',
        message: /tarball URLs are not supported/,
      },
      {
        line: 7,
        column: 22,
        path: 'features.ghcr.io/a/b:1',
        message: /expected a version string or an object/,
      },
      {
        line: 9,
        column: 35,
        path: 'overrideFeatureInstallOrder[0]',
        message: /names no feature in features/,
      },
    ],
  },
  {
    name: 'workspaceFolder below /workspace becomes the workspace location',
    text: '{ "image": "x", "workspaceFolder": "/workspace/app/./src" }',
    expected: { workspaceLocation: 'app/src' },
  },
  {
    name: 'workspaceFolder outside /workspace',
    text: lines('{', '  "image": "x",', '  "workspaceFolder": "/workspaces/app"', '}'),
    problems: [{ line: 3, column: 22, path: 'workspaceFolder', message: /is not below \/workspace/ }],
  },
  {
    name: 'workspaceFolder climbing out of /workspace',
    text: '{ "image": "x", "workspaceFolder": "/workspace/../etc" }',
    problems: [{ line: 1, column: 36, path: 'workspaceFolder', message: /is not below \/workspace/ }],
  },
  {
    name: 'remoteEnv wins over containerEnv; variable references are kept',
    text: lines(
      '{',
      '  "image": "x",',
      `  "containerEnv": { "A": "1", "B": "\${localEnv:HOME}" },`,
      `  "remoteEnv": { "B": "2", "PATH": "\${containerEnv:PATH}:/opt/bin" }`,
      '}',
    ),
    expected: { env: { A: '1', B: '2', PATH: `\${containerEnv:PATH}:/opt/bin` } },
  },
  {
    name: 'containerUser when there is no remoteUser',
    text: '{ "image": "x", "containerUser": "vscode" }',
    expected: { user: 'vscode' },
  },
  {
    name: 'VS Code extensions; other customizations ignored',
    text: lines(
      '{',
      '  "image": "x",',
      '  "customizations": {',
      '    "vscode": { "extensions": ["dbaeumer.vscode-eslint"], "settings": { "a": 1 } },',
      '    "jetbrains": { "backend": "IntelliJ" }',
      '  }',
      '}',
    ),
    expected: { vscodeExtensions: ['dbaeumer.vscode-eslint'] },
  },
  {
    name: 'accepted keys Atelier does not act on',
    text: lines(
      '{',
      '  "$schema": "https://raw.githubusercontent.com/devcontainers/spec/main/schemas/devContainer.schema.json",',
      '  "name": "app",',
      '  "image": "x",',
      '  "shutdownAction": "none",',
      '  "waitFor": "postCreateCommand",',
      '  "userEnvProbe": "loginInteractiveShell",',
      '  "updateRemoteUserUID": true,',
      '  "overrideCommand": true,',
      '  "init": true,',
      '  "build": { "cacheFrom": "ghcr.io/a/b" }',
      '}',
    ),
    expected: { image: { kind: 'ref', ref: 'x' }, warnings: [] },
  },
  {
    name: 'several problems are all listed, in file order',
    text: lines(
      '{',
      '  "privileged": true,',
      '  "image": 5,',
      '  "colour": "blue",',
      '  "forwardPorts": ["db:5432"],',
      '  "workspaceFolder": "/home/me",',
      '  "initializeCommand": "make"',
      '}',
    ),
    problems: [
      { line: 2, column: 3, path: 'privileged', message: /privileged/ },
      { line: 3, column: 12, path: 'image', message: /expected string/ },
      { line: 4, column: 3, path: 'colour', message: /unknown key 'colour'/ },
      { line: 5, column: 20, path: 'forwardPorts[0]', message: /host 'db'/ },
      { line: 6, column: 22, path: 'workspaceFolder', message: /not below \/workspace/ },
      { line: 7, column: 3, path: 'initializeCommand', message: /runs on the host/ },
    ],
  },
];

function problemsOf(text: string, file: string): string[] {
  try {
    parseDevcontainer(text, file);
  } catch (e) {
    assert.ok(isAppError(e), `expected an AppError, got ${String(e)}`);
    assert.equal(e.code, 'invalid_argument');
    return [...(e.details ?? [])];
  }
  assert.fail('expected problems, got a configuration');
}

describe('parseDevcontainer', () => {
  for (const row of rows) {
    test(row.name, () => {
      const file = row.file ?? FILE;
      if (row.problems) {
        const got = problemsOf(row.text, file);
        assert.equal(got.length, row.problems.length, `problems:\n${got.join('\n')}`);
        row.problems.forEach((want, i) => {
          const prefix = `${file}:${want.line}:${want.column}: ${want.path ? `${want.path}: ` : ''}`;
          const line = got[i] ?? '';
          assert.ok(line.startsWith(prefix), `problem ${i}: want ${prefix}…, got ${line}`);
          assert.match(line.slice(prefix.length), want.message);
        });
        return;
      }
      const config = parseDevcontainer(row.text, file);
      assert.deepEqual(workspaceConfigSchema.parse(config), config, 'a valid WorkspaceConfig');
      for (const [key, value] of Object.entries(row.expected ?? {})) {
        assert.deepEqual(config[key as keyof WorkspaceConfig], value, key);
      }
    });
  }

  test('one problem makes the error message; several are counted in it', () => {
    assert.throws(
      () => parseDevcontainer('{ "image": "x", "privileged": true }', FILE),
      (e: Error) => e.message.startsWith(`${FILE}:1:17: privileged: privileged containers`),
    );
    assert.throws(
      () => parseDevcontainer('{ "privileged": true, "capAdd": [] }', FILE),
      (e: Error) => e.message.startsWith(`${FILE} has 3 problems:`),
    );
  });
});
