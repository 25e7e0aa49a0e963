// `atelier config validate FILE`: every problem of a config file, or that it is valid.
import { AppError } from '@atelier/protocol';
import { loadConfig } from '../load-config.js';

export async function runConfig(args: string[]): Promise<number> {
  const [sub, file, ...extra] = args;
  if (sub !== 'validate' || !file || extra.length) {
    throw new AppError('invalid_argument', 'usage: atelier config validate FILE');
  }
  const loaded = await loadConfig({ file, env: {} });
  process.stdout.write(`${file} is valid (data in ${loaded.dataDir})\n`);
  return 0;
}
