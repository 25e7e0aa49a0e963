// A server on a real SQLite database in a temporary folder, with the recording manager, and a
// client that keeps cookies like a browser; for the server's tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  hashToken,
  loadKeyRing,
  migrateToLatest,
  openDatabase,
  Repositories,
  type SecretBox,
  type User,
} from '@atelier/db';
import {
  type ConfigInput,
  dashboardUrl,
  type InstanceId,
  mergeConfig,
  type PublicUrls,
  validateConfig,
} from '@atelier/protocol';
import { workspaceToken } from '@atelier/ws-manager';
import type { Hono } from 'hono';
import pino from 'pino';
import { createAccessToken, createUser } from '../accounts.js';
import type { AppEnv, RepositoryCheck } from '../app-env.js';
import type { EventTiming } from '../routes/event-routes.js';
import { createServer, type Server } from '../server.js';
import { type RecordingManager, recordingManager } from './recording-manager.js';

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export class TestClient {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly app: Hono<AppEnv>,
    private readonly origin: string,
    private readonly bearer?: string,
  ) {}

  /** Sends JSON like the dashboard does (Origin and Content-Type set); `headers` override. */
  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const all: Record<string, string> = {};
    if (method !== 'GET' && method !== 'HEAD') all.origin = this.origin;
    if (body !== undefined) all['content-type'] = 'application/json';
    if (this.bearer) all.authorization = `Bearer ${this.bearer}`;
    if (this.cookies.size > 0) all.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    Object.assign(all, headers);
    const res = await this.app.request(`${this.origin}${path}`, {
      method,
      headers: all,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
      if (/max-age=0\b/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    const isJson = res.headers.get('content-type')?.includes('json') && text !== '';
    return { status: res.status, headers: res.headers, body: (isJson ? JSON.parse(text) : text) as T, text };
  }
}

export interface TestServer {
  dir: string;
  repos: Repositories;
  secrets: SecretBox;
  manager: RecordingManager;
  server: Server;
  urls: PublicUrls;
  /** every log line the server wrote */
  logs: string[];
  /** a browser-like client without credentials */
  browser(): TestClient;
  /**
   * The instance marked running, as its supervisor would see it: a client with the instance's
   * workspace token (what gp and git's credential helper use), and the token.
   */
  workspaceClient(instanceId: InstanceId): Promise<{ client: TestClient; token: string }>;
  /** a client with a new user's access token */
  userClient(
    name: string,
    options?: { admin?: boolean },
  ): Promise<{ user: User; token: string; client: TestClient }>;
  close(): Promise<void>;
}

export async function startTestServer(
  options: {
    config?: ConfigInput;
    urls?: Partial<PublicUrls>;
    dashboardDir?: string;
    checkRepository?: RepositoryCheck;
    events?: EventTiming;
  } = {},
): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'atelier-server-'));
  const config = validateConfig(
    mergeConfig(
      { dataDir: dir, database: { sqlite: { path: join(dir, 'atelier.db') } } },
      options.config ?? {},
    ),
  );
  const handle = await openDatabase(config.database, { dataDir: dir });
  await migrateToLatest(handle.db);
  const repos = new Repositories(handle.db);
  const secrets = await loadKeyRing(undefined, dir);
  const manager = recordingManager(repos, secrets);
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const urls: PublicUrls = { scheme: 'http', domain: 'localhost', port: 8080, ...options.urls };
  const server = createServer(
    {
      config,
      repos,
      secrets,
      manager,
      logger,
      urls,
      dashboardDir: options.dashboardDir,
      ...(options.checkRepository ? { checkRepository: options.checkRepository } : {}),
    },
    options.events ? { events: options.events } : {},
  );
  const origin = dashboardUrl(urls);
  return {
    dir,
    repos,
    secrets,
    manager,
    server,
    urls,
    logs,
    browser: () => new TestClient(server.app, origin),
    async workspaceClient(instanceId) {
      const instance = await repos.instances.get(instanceId);
      if (!instance) throw new Error(`no instance ${instanceId}`);
      await repos.instances.transition(instance.id, 'running');
      const token = workspaceToken(secrets.open(instance.supervisorTokenSealed));
      await repos.instances.update(instance.id, { workspaceTokenHash: hashToken(token) });
      return { client: new TestClient(server.app, origin, token), token };
    },
    async userClient(name, { admin = false } = {}) {
      const user = await createUser(repos, { name, password: `${name}-password`, admin });
      const { token } = await createAccessToken(repos, user.id, 'test');
      return { user, token, client: new TestClient(server.app, origin, token) };
    },
    async close() {
      await handle.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
