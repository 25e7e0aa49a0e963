import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configFromEnv, mergeConfig, parseConfigYaml, validateConfig } from './config.js';

describe('config', () => {
  test('embedded defaults', () => {
    const c = validateConfig({});
    assert.equal(c.domain, 'localhost');
    assert.equal(c.port, 8080);
    assert.deepEqual(c.database, { sqlite: {} });
    assert.equal(c.workspace.defaultImage, 'localhost/atelier-workspace:bookworm');
    assert.equal(c.workspace.resources.memory, 4 * 1024 ** 3);
    assert.equal(c.workspace.timeouts.inactivity, 30 * 60_000);
    assert.equal(c.workspace.timeouts.maxLifetime, 36 * 3_600_000);
  });

  test('environment overrides nest with double underscores and parse YAML scalars', () => {
    const env = configFromEnv({
      ATELIER_PORT: '9000',
      ATELIER_DATA_DIR: '/var/lib/atelier',
      ATELIER_DATABASE__MYSQL__HOST: 'db.internal',
      ATELIER_DATABASE__MYSQL__USERNAME: 'atelier',
      ATELIER_WORKSPACE__TIMEOUTS__INACTIVITY: '1h',
      ATELIER_UNRELATED: 'x',
      HOME: '/root',
    });
    assert.deepEqual(env, {
      port: 9000,
      dataDir: '/var/lib/atelier',
      database: { mysql: { host: 'db.internal', username: 'atelier' } },
      workspace: { timeouts: { inactivity: '1h' } },
    });
    const c = validateConfig(env);
    assert.equal(c.port, 9000);
    assert.deepEqual(c.database, {
      mysql: {
        host: 'db.internal',
        port: 3306,
        username: 'atelier',
        password: '',
        database: 'atelier',
        tls: false,
        connectionLimit: 10,
      },
    });
  });

  test('the file is overridden by the environment, arrays replaced', () => {
    const file = parseConfigYaml('port: 8081\nworkspace:\n  defaultImage: img:1\n', 'a.yaml');
    const merged = mergeConfig(file, { port: 8082 });
    const c = validateConfig(merged);
    assert.equal(c.port, 8082);
    assert.equal(c.workspace.defaultImage, 'img:1');
  });

  test('every problem is listed, with its path', () => {
    assert.throws(
      () =>
        validateConfig({
          domain: 'Not A Domain',
          port: 70000,
          nope: 1,
          workspace: { timeouts: { inactivity: '5 minutes' }, resources: { memory: 'lots' } },
        }),
      (e: Error & { details?: string[] }) => {
        const d = (e.details ?? []).join('\n');
        return (
          /has 5 problem/.test(e.message) &&
          /^domain: must be a lower-case DNS name/m.test(d) &&
          /^port: /m.test(d) &&
          /nope/.test(d) &&
          /^workspace\.timeouts\.inactivity: "5 minutes" is not a duration/m.test(d) &&
          /^workspace\.resources\.memory: "lots" is not a size/m.test(d)
        );
      },
    );
  });

  test('YAML syntax errors name the line and column', () => {
    assert.throws(
      () => parseConfigYaml('port: 8080\n  bad: [\n', 'broken.yaml'),
      (e: Error & { details?: string[] }) =>
        /broken\.yaml is not valid YAML/.test(e.message) &&
        /broken\.yaml:\d+:\d+:/.test((e.details ?? [])[0] ?? ''),
    );
  });
});
