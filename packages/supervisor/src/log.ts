// A tiny structured logger: one JSON line per event on stdout (no pino, to keep the bundle small).

export type Fields = Record<string, unknown>;

export interface Logger {
  info(fields: Fields, msg: string): void;
  warn(fields: Fields, msg: string): void;
  error(fields: Fields, msg: string): void;
}

export function jsonLogger(
  base: Fields,
  write: (line: string) => void = (l) => process.stdout.write(l),
): Logger {
  const log = (level: string) => (fields: Fields, msg: string) => {
    const line = { level, time: new Date().toISOString(), ...base, ...fields, msg };
    write(`${JSON.stringify(line, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`);
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
