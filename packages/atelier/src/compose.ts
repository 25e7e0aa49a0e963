// The composition root: builds every component of one process from the config and wires them.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsObjectStorage } from '@atelier/content';
import {
  type DatabaseHandle,
  loadKeyRing,
  migrateToLatest,
  openDatabase,
  Repositories,
  type SecretBox,
} from '@atelier/db';
import { EngineImageBuilder } from '@atelier/image-builder';
import { dashboardUrl, type PublicUrls, type UserId } from '@atelier/protocol';
import { createProxy, type EdgeServer, listen } from '@atelier/proxy';
import { createServer, ownerCredentialSource, startHousekeeping } from '@atelier/server';
import { loadOrCreateHostKeys, type SshGateway, startSshGateway } from '@atelier/ssh-gateway';
import { supervisorDistDir } from '@atelier/supervisor';
import { connectEngine, DockerRuntime, LocalWorkspaceManager } from '@atelier/ws-manager';
import type { Logger } from 'pino';
import { dashboardDir } from './assets.js';
import { edgeBindings } from './edge.js';
import { type BrowserIde, browserIde } from './ide.js';
import type { LoadedConfig } from './load-config.js';
import { prepareTls } from './tls.js';
import { withWorkspaceNetwork } from './workspace-network.js';

export interface Running {
  urls: PublicUrls;
  /** https when TLS is on */
  httpServer: EdgeServer;
  /** tls.mode local-ca: the CA certificate to import into browsers (printed at start-up) */
  caCertPath: string | undefined;
  /** printed on the console while no user exists */
  setupCode: string | undefined;
  manager: LocalWorkspaceManager;
  repos: Repositories;
  /** where the SSH gateway listens; undefined when it is off */
  sshPort: number | undefined;
  /** VS Code for the browser, installed in the background on the first start */
  ide: BrowserIde;
  close(): Promise<void>;
}

/** Opens the database (migrated) and the key ring: what every command that touches data needs. */
export async function openData(
  loaded: LoadedConfig,
): Promise<{ handle: DatabaseHandle; repos: Repositories; secrets: SecretBox }> {
  await mkdir(loaded.dataDir, { recursive: true, mode: 0o700 });
  const database =
    'sqlite' in loaded.config.database ? { sqlite: { path: loaded.sqlitePath } } : loaded.config.database;
  const handle = await openDatabase(database, { dataDir: loaded.dataDir });
  await migrateToLatest(handle.db);
  const secrets = await loadKeyRing(loaded.config.auth.encryptionKeys, loaded.dataDir);
  return { handle, repos: new Repositories(handle.db), secrets };
}

export async function startAtelier(loaded: LoadedConfig, logger: Logger): Promise<Running> {
  const engine = connectEngine(loaded.config.workspace.runtime.docker.socket);
  const config = await withWorkspaceNetwork(
    loaded.config,
    engine.docker,
    logger.child({ component: 'runtime' }),
  );
  const { handle, repos, secrets } = await openData(loaded);
  // before anything else starts: a certificate problem should stop the start, not a later request
  const tls = await prepareTls(config, loaded.dataDir, logger.child({ component: 'tls' }));
  const urls: PublicUrls = {
    scheme: tls.scheme,
    domain: config.domain,
    port: config.port,
    ...(config.ssh.enabled
      ? {
          ssh: {
            host: config.ssh.publicHost ?? config.domain,
            port: config.ssh.publicPort ?? config.ssh.port,
          },
        }
      : {}),
  };
  await repos.settings.setIfAbsent('installation_id', randomUUID().slice(0, 8));
  const installationId = (await repos.settings.get('installation_id')) as string;
  const storage = new FsObjectStorage(loaded.storagePath);
  const runtime = new DockerRuntime({
    engine,
    installationId,
    publishAddress: config.workspace.runtime.docker.publishAddress,
    network: config.workspace.runtime.docker.network,
    contentAccess: config.workspace.runtime.docker.contentAccess,
    supervisor: { distDir: supervisorDistDir(), nodeBinary: process.execPath },
    logger: logger.child({ component: 'runtime' }),
  });
  await runtime.ping();
  const images = new EngineImageBuilder({
    docker: engine.docker,
    defaultImage: config.workspace.defaultImage,
    registry: config.containerRegistry,
    maxConcurrent: config.imageBuilder.maxConcurrent,
    timeoutMs: config.imageBuilder.timeout,
    logger: logger.child({ component: 'image-builder' }),
  });
  const ide = browserIde(config, loaded.dataDir, logger.child({ component: 'ide' }));
  const manager = new LocalWorkspaceManager({
    repos,
    runtime,
    images,
    storage,
    secrets,
    config,
    urls,
    logger: logger.child({ component: 'ws-manager' }),
    ide: ide.paths,
    ...(tls.caCertPath ? { workspaceCaPem: await readFile(tls.caCertPath, 'utf8') } : {}),
    // image builds read private repositories with the owner's token for their SCM
    gitCredentials: ownerCredentialSource({
      config,
      urls,
      repos,
      secrets,
      logger: logger.child({ component: 'scm' }),
    }),
  });
  const server = createServer({
    config,
    repos,
    secrets,
    manager,
    logger: logger.child({ component: 'server' }),
    urls,
    dashboardDir: dashboardDir(),
  });
  const setupCode = await server.ensureSetupCode();
  const housekeeping = startHousekeeping({ repos, logger: logger.child({ component: 'housekeeping' }) });
  const edge = edgeBindings({ repos, secrets, manager });
  const proxy = createProxy({
    domain: config.domain,
    scheme: urls.scheme,
    publicPort: urls.port,
    logger: logger.child({ component: 'proxy' }),
    dashboard: { request: server.requestListener },
    resolve: edge.resolve,
    connect: edge.connect,
  });
  await manager.run();
  const httpServer = await listen(proxy, { host: config.bindAddress, port: config.port, tls: tls.pair });
  const stopTls = await tls.attach(httpServer);
  let sshGateway: SshGateway | undefined;
  if (config.ssh.enabled) {
    const hostKeys = await loadOrCreateHostKeys({
      dir: join(loaded.dataDir, 'ssh'),
      ...(config.ssh.hostKeyFiles ? { files: config.ssh.hostKeyFiles } : {}),
    });
    sshGateway = await startSshGateway(
      {
        logger: logger.child({ component: 'ssh-gateway' }),
        hostKeys,
        resolve: edge.resolve,
        connect: edge.connect,
        publicKeys: async (userId) => (await repos.sshKeys.list(userId as UserId)).map((k) => k.publicKey),
        markActive: edge.markActive,
        startUrl: (workspaceId) => `${dashboardUrl(urls)}/start/${workspaceId}`,
      },
      { host: config.ssh.bindAddress ?? config.bindAddress, port: config.ssh.port },
    );
  }
  return {
    urls,
    httpServer,
    caCertPath: tls.caCertPath,
    setupCode,
    manager,
    repos,
    sshPort: sshGateway?.port,
    ide,
    async close() {
      await sshGateway?.close();
      await stopTls();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeAllConnections();
      proxy.close();
      await manager.close();
      await housekeeping.stop();
      await handle.close();
    },
  };
}
