// TLS of the edge as the config chooses it: the certificate to start with, how it is kept fresh,
// and the redirect listener; none of it exists in mode "none".
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import type https from 'node:https';
import { join } from 'node:path';
import { type AcmeConfig, AppError, type Config } from '@atelier/protocol';
import {
  type CertificatePair,
  certificateHosts,
  createAcme,
  type Dns01Provider,
  type EdgeServer,
  ensureLocalCa,
  execProvider,
  fileAcmeStore,
  listenRedirect,
  loadCertificateFiles,
  rfc2136Provider,
  watchCertificateFiles,
} from '@atelier/proxy';
import type { Logger } from 'pino';

export interface EdgeTls {
  scheme: 'http' | 'https';
  pair: CertificatePair | undefined;
  /** mode local-ca: the CA certificate users import to trust Atelier */
  caCertPath: string | undefined;
  /** starts what runs beside the server (file reloads, the redirect); returns how to stop it */
  attach(server: EdgeServer): Promise<() => Promise<void>>;
}

export async function prepareTls(config: Config, dataDir: string, logger: Logger): Promise<EdgeTls> {
  const { tls } = config;
  switch (tls.mode) {
    case 'none':
      return { scheme: 'http', pair: undefined, caCertPath: undefined, attach: async () => async () => {} };
    case 'local-ca': {
      const ca = await ensureLocalCa({ dir: join(dataDir, 'tls'), domain: config.domain });
      if (ca.renewed) logger.info({ caCertPath: ca.caCertPath }, 'made a new certificate from the local CA');
      return {
        scheme: 'https',
        pair: ca,
        caCertPath: ca.caCertPath,
        attach: () => attachRedirect(config, undefined),
      };
    }
    case 'files': {
      // the schema guarantees files in this mode
      const files = tls.files as { cert: string; key: string };
      return {
        scheme: 'https',
        pair: await loadCertificateFiles(files),
        caCertPath: undefined,
        attach: (server) =>
          attachRedirect(
            config,
            watchCertificateFiles(files, (pair) => (server as https.Server).setSecureContext(pair), {
              logger: logger.child({ component: 'tls' }),
            }),
          ),
      };
    }
    case 'acme':
      // the schema guarantees acme in this mode
      return prepareAcme(config, tls.acme as AcmeConfig, dataDir, logger);
    default: {
      const unknown: never = tls.mode;
      throw new Error(`unknown tls.mode ${String(unknown)}`);
    }
  }
}

/**
 * Mode "acme". The server starts at once: with the stored certificate, or before the first issuance
 * with a temporary self-signed one that is swapped for the CA's as soon as it arrives (an HTTP-01
 * order needs the running http listener, so the start cannot wait for it). Progress and failures
 * are in the log (`acme: ...`); a failed order is retried with backoff.
 */
async function prepareAcme(
  config: Config,
  acme: AcmeConfig,
  dataDir: string,
  logger: Logger,
): Promise<EdgeTls> {
  const { dns01 } = acme.challenge;
  let provider: Dns01Provider | undefined;
  if (dns01?.rfc2136) {
    const r = dns01.rfc2136;
    provider = rfc2136Provider({
      server: r.server,
      zone: r.zone,
      key: { name: r.keyName, algorithm: r.algorithm, secret: r.secret },
    });
  } else if (dns01?.exec) provider = execProvider(dns01.exec.command);
  // without DNS-01 no wildcard: workspace hosts get the certificate of <domain>, which browsers refuse
  const names = provider ? certificateHosts(config.domain) : [config.domain];
  if (!provider)
    logger.warn(
      { names },
      `tls.acme has no dns01: the certificate names ${config.domain} only, so workspace hosts (*.ws.${config.domain}) will not have a valid certificate; add challenge.dns01 for the wildcards`,
    );
  let caCert: string | undefined;
  if (acme.caCertFile)
    caCert = await readFile(acme.caCertFile, 'utf8').catch((e: Error) => {
      throw new AppError('failed_precondition', `cannot read tls.acme.caCertFile: ${e.message}`);
    });
  let target: https.Server | undefined;
  const manager = await createAcme(
    {
      directoryUrl: acme.directoryUrl,
      email: acme.email,
      names,
      caCert,
      challenge: { http01: acme.challenge.http01 !== undefined, dns01: provider },
      renewBeforeDays: acme.renewBeforeDays,
      checkIntervalMs: acme.checkIntervalSeconds * 1000,
      store: fileAcmeStore(join(dataDir, 'tls', 'acme')),
      logger,
    },
    (pair) => {
      target?.setSecureContext(pair);
      logger.info({ names }, 'acme: the new certificate is served');
    },
  );
  return {
    scheme: 'https',
    pair: manager.current(),
    caCertPath: undefined,
    attach: async (server) => {
      target = server as https.Server;
      const stopRedirect = await attachRedirect(
        config,
        () => manager.stop(),
        (token) => manager.answerHttp01(token),
      );
      manager.start();
      return stopRedirect;
    },
  };
}

/** Starts the http→https redirect when tls.httpPort asks for it; the stop also ends `stopWatching`. */
async function attachRedirect(
  config: Config,
  stopWatching: (() => void) | undefined,
  acmeHttp01?: (token: string) => Promise<string | undefined>,
): Promise<() => Promise<void>> {
  let redirect: http.Server | undefined;
  if (config.tls.httpPort !== undefined)
    redirect = await listenRedirect({
      host: config.bindAddress,
      port: config.tls.httpPort,
      domain: config.domain,
      httpsPort: config.port,
      ...(acmeHttp01 ? { acmeHttp01 } : {}),
    });
  return async () => {
    stopWatching?.();
    if (redirect) {
      const closing = new Promise<void>((resolve) => redirect?.close(() => resolve()));
      redirect.closeAllConnections();
      await closing;
    }
  };
}
