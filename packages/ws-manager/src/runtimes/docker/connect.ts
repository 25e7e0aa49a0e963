// Finds the container engine: config, then DOCKER_HOST, then the usual Docker and Podman sockets.
import { existsSync } from 'node:fs';
import Docker from 'dockerode';

export interface EngineAddress {
  /** what the user sees in messages */
  display: string;
  docker: Docker;
  /** the engine's host for published ports when it is remote (tcp://) */
  remoteHost: string | undefined;
}

export function connectEngine(
  socket: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): EngineAddress {
  const explicit = socket ?? env.DOCKER_HOST;
  if (explicit) return fromAddress(explicit);
  const candidates = [
    '/var/run/docker.sock',
    '/run/podman/podman.sock',
    env.XDG_RUNTIME_DIR ? `${env.XDG_RUNTIME_DIR}/podman/podman.sock` : undefined,
  ].filter((p): p is string => p !== undefined);
  const found = candidates.find((p) => existsSync(p)) ?? '/var/run/docker.sock';
  return fromAddress(found);
}

function fromAddress(address: string): EngineAddress {
  if (address.startsWith('tcp://') || address.startsWith('http://')) {
    const url = new URL(address.replace(/^tcp:/, 'http:'));
    return {
      display: address,
      docker: new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' }),
      remoteHost: url.hostname,
    };
  }
  const path = address.replace(/^unix:\/\//, '');
  return { display: path, docker: new Docker({ socketPath: path }), remoteHost: undefined };
}
