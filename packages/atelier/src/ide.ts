// The browser IDE of this installation: installed once into ide.installDir (in the background, so
// the first start is not held up), then offered to every workspace that starts after.
import { join } from 'node:path';
import { ensureIde, type IdeInstall } from '@atelier/ide';
import type { Config } from '@atelier/protocol';
import type { IdeHostPaths } from '@atelier/ws-manager';
import type { Logger } from 'pino';
import { vscodeExtensionDir } from './assets.js';

export interface BrowserIde {
  /** the host paths to mount; undefined until the install is done (workspaces get the terminal page) */
  paths(): IdeHostPaths | undefined;
  /** resolves when the install is done (or failed: then undefined) */
  ready: Promise<IdeInstall | undefined>;
}

export function browserIde(config: Config, dataDir: string, logger: Logger): BrowserIde {
  const dir = config.ide.installDir ?? join(dataDir, 'ide');
  const extensions = vscodeExtensionDir();
  if (!extensions)
    logger.warn('the Atelier VS Code extension is not built (npm run build): VS Code starts without it');
  let paths: IdeHostPaths | undefined;
  let lastLine = 0;
  const ready = ensureIde({
    dir,
    codeServerVersion: config.ide.codeServerVersion,
    onProgress: (line) => {
      // npm is chatty; a line every few seconds shows it is alive
      if (Date.now() - lastLine < 3_000 && !/^(installing|verifying|done)/i.test(line)) return;
      lastLine = Date.now();
      logger.info({ line: line.slice(0, 300) }, 'installing VS Code for the browser');
    },
  }).then(
    (install) => {
      paths = {
        nodeDir: install.nodeDir,
        codeServerModules: install.codeServerModules,
        extensionsDir: extensions ?? dir,
        extensions: extensions ? ['atelier.vsix'] : [],
      };
      logger.info(
        { dir: install.root, codeServer: install.codeServerVersion, node: install.nodeVersion },
        'VS Code for the browser is installed',
      );
      return install;
    },
    (error: unknown) => {
      logger.error(
        { error: error instanceof Error ? error.message : String(error) },
        'VS Code for the browser could not be installed: workspaces open in the terminal page',
      );
      return undefined;
    },
  );
  return { paths: () => paths, ready };
}
