// Loads the configuration: embedded defaults, then a YAML file, then ATELIER_* variables, then flags.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import {
  AppError,
  type Config,
  configFromEnv,
  mergeConfig,
  parseConfigYaml,
  validateConfig,
} from '@atelier/protocol';

export interface ConfigSources {
  file?: string | undefined;
  /** values from command-line flags, in config shape */
  flags?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** A validated config whose paths are absolute. */
export interface LoadedConfig {
  config: Config;
  dataDir: string;
  sqlitePath: string | undefined;
  storagePath: string;
  source: string;
}

export async function loadConfig(sources: ConfigSources): Promise<LoadedConfig> {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const file = sources.file ?? env.ATELIER_CONFIG;
  let fromFile: unknown = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new AppError('invalid_argument', `cannot read the config file ${file}: ${(e as Error).message}`);
    }
    fromFile = parseConfigYaml(text, file);
  }
  const merged = mergeConfig(mergeConfig(fromFile, configFromEnv(env)), sources.flags ?? {});
  const config = validateConfig(merged, file ?? 'the configuration');
  const dataDir = absolute(cwd, config.dataDir);
  const sqlitePath =
    'sqlite' in config.database ? absolute(dataDir, config.database.sqlite.path ?? 'atelier.db') : undefined;
  const storagePath = absolute(dataDir, config.objectStorage.fs.path ?? 'storage');
  return {
    config: { ...config, dataDir },
    dataDir,
    sqlitePath,
    storagePath,
    source: file ?? 'embedded defaults',
  };
}

const absolute = (base: string, p: string) => (isAbsolute(p) ? p : resolve(base, p));
