import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../errors.js';
import { parseGitpodYml } from './gitpod-yml.js';
import type { WorkspaceConfig } from './types.js';

type Expected =
  | { config: Partial<WorkspaceConfig> }
  | { problems: { line: number; column: number; path: string; message: RegExp }[] };

const rows: { name: string; yml: string; expected: Expected }[] = [
  {
    name: 'an empty file is the default configuration',
    yml: '',
    expected: {
      config: { origin: 'gitpod', image: { kind: 'default' }, tasks: [], ports: [], warnings: [] },
    },
  },
  {
    name: 'a comment only is the default configuration',
    yml: '# nothing here\n',
    expected: { config: { image: { kind: 'default' }, tasks: [] } },
  },
  {
    name: 'an image name',
    yml: 'image: gitpod/workspace-node:latest\n',
    expected: { config: { image: { kind: 'ref', ref: 'gitpod/workspace-node:latest' } } },
  },
  {
    name: 'a Dockerfile image with a context',
    yml: 'image:\n  file: .gitpod.Dockerfile\n  context: docker\n',
    expected: {
      config: { image: { kind: 'dockerfile', file: '.gitpod.Dockerfile', context: 'docker', args: {} } },
    },
  },
  {
    name: 'a Dockerfile image without a context builds in the repository root',
    yml: 'image: { file: build/Dockerfile }\n',
    expected: { config: { image: { kind: 'dockerfile', file: 'build/Dockerfile', context: '', args: {} } } },
  },
  {
    name: 'tasks with every field, unnamed ones numbered, env values made strings',
    yml: [
      'tasks:',
      '  - name: web',
      '    before: nvm use',
      '    init: npm ci',
      '    command: npm start',
      '    env: { PORT: 3000, DEBUG: true }',
      '    openIn: main',
      '    openMode: split-right',
      '  - command: echo two',
      '  - prebuild: make cache',
    ].join('\n'),
    expected: {
      config: {
        tasks: [
          {
            name: 'web',
            before: 'nvm use',
            init: 'npm ci',
            command: 'npm start',
            env: { PORT: '3000', DEBUG: 'true' },
            openIn: 'main',
            openMode: 'split-right',
          },
          { name: 'Task 2', command: 'echo two', env: {} },
          { name: 'Task 3', prebuild: 'make cache', env: {} },
        ],
      },
    },
  },
  {
    name: 'ports: numbers, ranges with - and :, every attribute, defaults private and notify',
    yml: [
      'ports:',
      '  - port: 3000',
      '    onOpen: open-browser',
      '    visibility: public',
      '    name: web',
      '    description: the app',
      '    protocol: https',
      '  - port: 5000-5010',
      '  - port: "6000:6001"',
    ].join('\n'),
    expected: {
      config: {
        ports: [
          {
            port: 3000,
            onOpen: 'open-browser',
            visibility: 'public',
            name: 'web',
            description: 'the app',
            protocol: 'https',
          },
          { port: 5000, to: 5010, onOpen: 'notify', visibility: 'private', protocol: 'http' },
          { port: 6000, to: 6001, onOpen: 'notify', visibility: 'private', protocol: 'http' },
        ],
      },
    },
  },
  {
    name: 'workspace-wide env, gitConfig, extensions, locations',
    yml: [
      'env: { NODE_ENV: development }',
      'gitConfig: { core.autocrlf: input, pull.rebase: true }',
      'vscode: { extensions: [dbaeumer.vscode-eslint, esbenp.prettier-vscode@9.0.0] }',
      'checkoutLocation: app',
      'workspaceLocation: app/app.code-workspace',
    ].join('\n'),
    expected: {
      config: {
        env: { NODE_ENV: 'development' },
        gitConfig: { 'core.autocrlf': 'input', 'pull.rebase': 'true' },
        vscodeExtensions: ['dbaeumer.vscode-eslint', 'esbenp.prettier-vscode@9.0.0'],
        checkoutLocation: 'app',
        workspaceLocation: 'app/app.code-workspace',
      },
    },
  },
  {
    name: 'an absolute location below /workspace is made relative',
    yml: 'checkoutLocation: /workspace/app\n',
    expected: { config: { checkoutLocation: 'app' } },
  },
  {
    name: 'coreDump: enabled with limits, and without them unlimited',
    yml: 'coreDump: { enabled: true, softLimit: 1024 }\n',
    expected: { config: { coreDump: { soft: 1024, hard: 'unlimited' } } },
  },
  {
    name: 'coreDump disabled sets nothing',
    yml: 'coreDump: { enabled: false, hardLimit: 5 }\n',
    expected: { config: { warnings: [] } },
  },
  {
    name: 'deprecated and not-yet-honoured keys are accepted with warnings',
    yml: [
      'github: { prebuilds: { master: true } }',
      'experimentalNetwork: true',
      'jetbrains: { intellij: { vmoptions: -Xmx4g } }',
      'mainConfiguration: https://github.com/a/config',
      'additionalRepositories: [{ url: https://github.com/a/b, checkoutLocation: b }]',
    ].join('\n'),
    expected: {
      config: {
        additionalRepositories: [{ url: 'https://github.com/a/b', checkoutLocation: 'b' }],
        warnings: [
          {
            file: '.gitpod.yml',
            message: "'github' is deprecated (prebuild settings live in the project); it is ignored",
          },
          { file: '.gitpod.yml', message: "'experimentalNetwork' is deprecated and ignored" },
          {
            file: '.gitpod.yml',
            message: "'jetbrains' is accepted but ignored: Atelier offers VS Code and SSH",
          },
          { file: '.gitpod.yml', message: "'mainConfiguration' is accepted but not used yet" },
        ],
      },
    },
  },
  {
    name: 'a port that is a word says what a port may be',
    yml: 'ports:\n  - port: web\n',
    expected: {
      problems: [
        {
          line: 2,
          column: 11,
          path: 'ports[0].port',
          message: /^expected a port number \(1-65535\) or a range such as 3000-3999$/,
        },
      ],
    },
  },
  {
    name: 'an unknown top-level key names the key and what is allowed',
    yml: 'image: node\ntask:\n  - command: x\n',
    expected: {
      problems: [
        { line: 2, column: 1, path: 'task', message: /^unknown key 'task'; allowed: image, ports, tasks,/ },
      ],
    },
  },
  {
    name: 'an unknown key in a task is placed on that key',
    yml: 'tasks:\n  - name: a\n    comand: npm start\n',
    expected: {
      problems: [
        {
          line: 3,
          column: 5,
          path: 'tasks[0].comand',
          message: /unknown key 'comand'; allowed: name, before, init/,
        },
      ],
    },
  },
  {
    name: 'a wrong type is placed on the value',
    yml: 'tasks:\n  - init:\n      - npm ci\n',
    expected: { problems: [{ line: 3, column: 7, path: 'tasks[0].init', message: /expected string/i }] },
  },
  {
    name: 'a visibility that does not exist says which do',
    yml: 'ports:\n  - port: 80\n    visibility: everyone\n',
    expected: {
      problems: [{ line: 3, column: 17, path: 'ports[0].visibility', message: /"private"\|"public"/ }],
    },
  },
  {
    name: 'a port out of range',
    yml: 'ports:\n  - port: 70000\n',
    expected: {
      problems: [
        { line: 2, column: 11, path: 'ports[0].port', message: /port number \(1-65535\) or a range/ },
      ],
    },
  },
  {
    name: 'a backwards port range',
    yml: 'ports:\n  - port: 4000-3000\n',
    expected: {
      problems: [
        { line: 2, column: 11, path: 'ports[0].port', message: /'4000-3000' is not a range of ports/ },
      ],
    },
  },
  {
    name: 'a port without port',
    yml: 'ports:\n  - name: web\n',
    expected: { problems: [{ line: 2, column: 5, path: 'ports[0].port', message: /port number/ }] },
  },
  {
    name: 'an image that is neither a name nor a Dockerfile',
    yml: 'image: 42\n',
    expected: { problems: [{ line: 1, column: 8, path: 'image', message: /an image name, or \{file/ }] },
  },
  {
    name: 'an unknown key in the image object',
    yml: 'image:\n  file: Dockerfile\n  target: dev\n',
    expected: {
      problems: [
        { line: 3, column: 3, path: 'image.target', message: /unknown key 'target'; allowed: file, context/ },
      ],
    },
  },
  {
    name: 'a checkout location that escapes /workspace',
    yml: 'checkoutLocation: ../etc\n',
    expected: {
      problems: [{ line: 1, column: 19, path: 'checkoutLocation', message: /outside \/workspace/ }],
    },
  },
  {
    name: 'an absolute workspace location elsewhere',
    yml: 'workspaceLocation: /home/gitpod\n',
    expected: {
      problems: [{ line: 1, column: 20, path: 'workspaceLocation', message: /outside \/workspace/ }],
    },
  },
  {
    name: 'a Dockerfile outside the repository',
    yml: 'image: { file: ../../Dockerfile }\n',
    expected: { problems: [{ line: 1, column: 16, path: 'image.file', message: /outside the repository/ }] },
  },
  {
    name: 'an environment variable name that is not one',
    yml: 'env:\n  MY-VAR: x\n',
    expected: { problems: [{ line: 2, column: 3, path: 'env.MY-VAR', message: /letters, digits and _/ }] },
  },
  {
    name: 'a list where a mapping belongs',
    yml: '- image: node\n',
    expected: { problems: [{ line: 1, column: 1, path: '', message: /expected a mapping/ }] },
  },
  {
    name: 'a YAML syntax error has its place',
    yml: 'tasks:\n  - command: "unterminated\n',
    expected: { problems: [{ line: 3, column: 1, path: '', message: /Missing closing "quote/ }] },
  },
  {
    name: 'a duplicate key is an error',
    yml: 'image: a\nimage: b\n',
    expected: { problems: [{ line: 2, column: 1, path: '', message: /unique/i }] },
  },
  {
    name: 'several problems are all listed, in order',
    yml: 'image: 1\nports:\n  - port: 0\ntasks:\n  - colour: red\n',
    expected: {
      problems: [
        { line: 1, column: 8, path: 'image', message: /image name/ },
        { line: 3, column: 11, path: 'ports[0].port', message: /port number/ },
        { line: 5, column: 5, path: 'tasks[0].colour', message: /unknown key 'colour'/ },
      ],
    },
  },
];

for (const row of rows) {
  test(`.gitpod.yml: ${row.name}`, () => {
    if ('config' in row.expected) {
      const config = parseGitpodYml(row.yml);
      for (const [key, value] of Object.entries(row.expected.config))
        assert.deepEqual(config[key as keyof WorkspaceConfig], value, key);
      return;
    }
    let caught: unknown;
    try {
      parseGitpodYml(row.yml);
    } catch (e) {
      caught = e;
    }
    assert.ok(
      isAppError(caught) && caught.code === 'invalid_argument',
      `an invalid_argument error: ${caught}`,
    );
    const details = caught.details ?? [];
    assert.equal(details.length, row.expected.problems.length, details.join('\n'));
    row.expected.problems.forEach((p, i) => {
      const line = details[i] ?? '';
      const prefix = `.gitpod.yml:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}`;
      assert.ok(line.startsWith(prefix), `"${line}" starts with "${prefix}"`);
      assert.match(line.slice(prefix.length), p.message);
    });
  });
}

test('.gitpod.yml: the message of one problem names the file, line, column and key', () => {
  assert.throws(() => parseGitpodYml('tasks:\n  - comand: x\n', '.gitpod.yml'), {
    message: /^\.gitpod\.yml:2:5: tasks\[0\]\.comand: unknown key 'comand'; allowed: /,
  });
});
