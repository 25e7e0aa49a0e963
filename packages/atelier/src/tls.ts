// TLS of the edge as the config chooses it: the certificate to start with, how it is kept fresh,
// and the redirect listener; none of it exists in mode "none".
import type http from 'node:http';
import type https from 'node:https';
import { join } from 'node:path';
import type { Config } from '@atelier/protocol';
import {
  type CertificatePair,
  type EdgeServer,
  ensureLocalCa,
  listenRedirect,
  loadCertificateFiles,
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
    default: {
      const unknown: never = tls.mode;
      throw new Error(`unknown tls.mode ${String(unknown)}`);
    }
  }
}

/** Starts the http→https redirect when tls.httpPort asks for it; the stop also ends `stopWatching`. */
async function attachRedirect(
  config: Config,
  stopWatching: (() => void) | undefined,
): Promise<() => Promise<void>> {
  let redirect: http.Server | undefined;
  if (config.tls.httpPort !== undefined)
    redirect = await listenRedirect({
      host: config.bindAddress,
      port: config.tls.httpPort,
      domain: config.domain,
      httpsPort: config.port,
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
