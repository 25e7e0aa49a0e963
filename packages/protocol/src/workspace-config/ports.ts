// A workspace's ports as the API lists them and the proxy admits them: the configuration file's
// ports, the ports something listens on, and the visibility the owner set at run time, merged.
import { z } from 'zod';
import type { PortDto } from '../api.js';
import { AppError } from '../errors.js';
import { type PortConfig, type PortVisibility, portConfigSchema } from './types.js';

const PORT_RANGE_MESSAGE = 'a port is a whole number from 1 to 65535';

/** A port as written in a URL path: decimal digits only (no `0x50`, `1e3` or blanks), 1 to 65535. */
export const portNumberSchema = z
  .string()
  .regex(/^[0-9]{1,5}$/, PORT_RANGE_MESSAGE)
  .transform(Number)
  .pipe(z.number().int().min(1, PORT_RANGE_MESSAGE).max(65535, PORT_RANGE_MESSAGE));

/** The visibility the owner set for one port; it wins over the configuration. */
export interface PortOverride {
  port: number;
  visibility: PortVisibility;
}

export type PortState = PortDto['state'];

/** One listed port, without its URL (which depends on the installation's host names). */
export type ListedPort = Omit<PortDto, 'url' | 'served'>;

/** The configuration entry for a port: an entry for exactly that port first, else the first range holding it. */
export function configForPort(port: number, config: readonly PortConfig[]): PortConfig | undefined {
  return (
    config.find((c) => c.to === undefined && c.port === port) ??
    config.find((c) => c.to !== undefined && c.port <= port && port <= c.to)
  );
}

/** Whether anyone may reach the port without the owner's token: the owner's choice, else the configuration's. */
export function isPublicPort(
  port: number,
  config: readonly PortConfig[],
  overrides: readonly PortOverride[],
): boolean {
  const override = overrides.find((o) => o.port === port);
  return (override?.visibility ?? configForPort(port, config)?.visibility) === 'public';
}

/**
 * Every port worth showing, sorted: configured single ports (served or not), served ports (with
 * the attributes of a range that holds them; private when nothing configures them), and ports
 * whose visibility the owner set. A range itself is not listed: it may span thousands of ports.
 */
export function listPorts(
  config: readonly PortConfig[],
  served: readonly number[],
  overrides: readonly PortOverride[],
): ListedPort[] {
  const servedSet = new Set(served);
  const numbers = new Set<number>([
    ...config.filter((c) => c.to === undefined).map((c) => c.port),
    ...served,
    ...overrides.map((o) => o.port),
  ]);
  return [...numbers]
    .sort((a, b) => a - b)
    .map((port) => {
      const entry = configForPort(port, config);
      return {
        port,
        visibility: isPublicPort(port, config, overrides) ? 'public' : 'private',
        state: servedSet.has(port) ? 'served' : 'not-served',
        name: entry?.name ?? null,
        description: entry?.description ?? null,
        onOpen: entry?.onOpen ?? 'notify',
        protocol: entry?.protocol ?? 'http',
      };
    });
}

const storedPortsSchema = z.object({ ports: z.array(portConfigSchema).default([]) });

/**
 * The ports of a workspace configuration stored as JSON (the workspace row's `config`; null for
 * workspaces made before configurations were kept, which configure no port).
 */
export function storedConfigPorts(workspaceId: string, json: string | null): PortConfig[] {
  if (json === null) return [];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new AppError(
      'internal',
      `the stored configuration of workspace ${workspaceId} is not JSON`,
      undefined,
      {
        cause: e,
      },
    );
  }
  const parsed = storedPortsSchema.safeParse(value);
  if (!parsed.success) {
    throw new AppError(
      'internal',
      `the stored configuration of workspace ${workspaceId} has invalid ports: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data.ports;
}
