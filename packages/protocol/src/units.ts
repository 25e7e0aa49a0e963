// Go-style durations ("30m", "1h30m") and Kubernetes-style quantities ("4Gi", "500m") as numbers.
import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a Go duration such as `30m`, `1h30m`, `90s`; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g))
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
  return total;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export const durationSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : parseDuration(v);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration: write e.g. 30m, 1h30m or 90s` });
    return z.NEVER;
  }
  return ms;
});

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Bytes of a quantity such as `4Gi`, `512Mi` or `1000000`; undefined when malformed. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (BYTE_UNITS[m[2] ?? ''] ?? 1));
}

export const bytesSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : parseBytes(v);
  if (n === undefined || n <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a size: write e.g. 4Gi, 512Mi or a number of bytes`,
    });
    return z.NEVER;
  }
  return n;
});

/** CPU as cores: `2`, `1.5` or Kubernetes millicores `500m`. */
export const cpuSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : /^\d+m$/.test(v) ? Number(v.slice(0, -1)) / 1000 : Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a CPU amount: write e.g. 2, 1.5 or 500m` });
    return z.NEVER;
  }
  return n;
});
