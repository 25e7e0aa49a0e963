// How workspaces reach this process when its domain is the machine's own (localhost): inside a
// container, localhost is the container. With Podman and no network configured, workspaces get
// slirp4netns with the host's loopback at 10.0.2.2 (as the tests use it); otherwise a warning says
// what to set, since the IDE's heartbeats and gp need the API.
import { execFileSync } from 'node:child_process';
import type { Config } from '@atelier/protocol';
import type { EngineAddress } from '@atelier/ws-manager';
import type { Logger } from 'pino';

const SLIRP = { network: 'slirp4netns:allow_host_loopback=true', hostLoopback: '10.0.2.2' } as const;

export async function withWorkspaceNetwork(
  config: Config,
  docker: EngineAddress['docker'],
  logger: Logger,
): Promise<Config> {
  const runtime = config.workspace.runtime.docker;
  if (config.workspace.serverUrl || runtime.network || runtime.hostLoopback) return config;
  if (config.domain !== 'localhost' && !config.domain.endsWith('.localhost')) return config;
  const version = await docker.version().catch(() => undefined);
  const podman = version?.Components?.some((c) => /podman/i.test(c.Name)) ?? false;
  if (podman && hasSlirp4netns()) {
    logger.info(SLIRP, 'workspaces reach this machine through slirp4netns (the host loopback is 10.0.2.2)');
    return {
      ...config,
      workspace: { ...config.workspace, runtime: { docker: { ...runtime, ...SLIRP } } },
    };
  }
  logger.warn(
    "workspaces cannot reach the API at localhost: set workspace.runtime.docker.hostLoopback (and a network that reaches it) or workspace.serverUrl — without it the IDE's heartbeats and gp cannot reach Atelier, and workspaces stop after the inactivity time-out",
  );
  return config;
}

function hasSlirp4netns(): boolean {
  try {
    execFileSync('slirp4netns', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false; // not installed: the engine's default network stays
  }
}
