// WorkspaceRuntime on the Docker Engine API (Docker, or Podman's compatible socket) via dockerode.
// One container and one named volume for /workspace per instance, found again by labels.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { AppError, type InstanceId } from '@atelier/protocol';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type {
  ContentExport,
  Endpoint,
  ListedWorkspace,
  RuntimeEvent,
  RuntimeRef,
  RuntimeState,
  WorkspaceRuntime,
  WorkspaceSpec,
} from '../types.js';
import type { EngineAddress } from './connect.js';
import { StdoutDemux } from './demux.js';

export const LABELS = {
  installation: 'io.atelier.installation',
  instance: 'io.atelier.instance',
  workspace: 'io.atelier.workspace',
  owner: 'io.atelier.owner',
  role: 'io.atelier.role',
} as const;

const SUPERVISOR_PORT_KEY = '22999/tcp';

export interface DockerRuntimeOptions {
  engine: EngineAddress;
  /** separates this installation's containers from others on the same engine */
  installationId: string;
  publishAddress: string;
  network: string | undefined;
  /** host paths of the supervisor bundle folder and of the node binary that runs it */
  supervisor: { distDir: string; nodeBinary: string };
  logger: Logger;
}

/** Mount points of the supervisor inside the container. */
export const SUPERVISOR_DIR = '/.supervisor';
export const SUPERVISOR_NODE = '/.supervisor-node/node';

interface DockerError {
  statusCode?: number;
  json?: { message?: string };
  message: string;
}
const statusOf = (e: unknown) => (e as DockerError).statusCode;
const messageOf = (e: unknown) => (e as DockerError).json?.message ?? (e as DockerError).message;

export class DockerRuntime implements WorkspaceRuntime {
  private readonly docker: Docker;

  constructor(private readonly opts: DockerRuntimeOptions) {
    this.docker = opts.engine.docker;
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (e) {
      throw new AppError(
        'unavailable',
        `cannot reach the container engine at ${this.opts.engine.display} (${messageOf(e)}) — start Docker or Podman (podman system service), or set workspace.runtime.docker.socket`,
        undefined,
        { cause: e },
      );
    }
  }

  async prepareImage(image: string, onProgress: (line: string) => void): Promise<{ user: string }> {
    const existing = await this.inspectImage(image);
    if (existing) return existing;
    onProgress(`pulling ${image}`);
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (ev: { status?: string; progress?: string; error?: string }) => {
            if (ev.error) reject(new Error(ev.error));
            else if (ev.status) onProgress(`${ev.status}${ev.progress ? ` ${ev.progress}` : ''}`);
          },
        );
      });
    } catch (e) {
      throw new AppError(
        'failed_precondition',
        `the workspace image ${image} is not on the engine and could not be pulled (${messageOf(e)}) — run scripts/setup.sh to build the default image, or set workspace.defaultImage`,
      );
    }
    const pulled = await this.inspectImage(image);
    if (!pulled)
      throw new AppError('failed_precondition', `the image ${image} is still missing after the pull`);
    return pulled;
  }

  private async inspectImage(image: string): Promise<{ user: string } | undefined> {
    try {
      const info = await this.docker.getImage(image).inspect();
      return { user: info.Config?.User || 'root' };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw e;
    }
  }

  async create(spec: WorkspaceSpec): Promise<RuntimeRef> {
    const ref = refFor(spec.instanceId);
    if (await this.containerExists(ref.container)) return ref;
    const labels = {
      [LABELS.installation]: this.opts.installationId,
      [LABELS.instance]: spec.instanceId,
      [LABELS.workspace]: spec.workspaceId,
      [LABELS.owner]: spec.ownerId,
    };
    await this.docker.createVolume({ Name: ref.volume, Labels: { ...labels, [LABELS.role]: 'workspace' } });
    const { distDir, nodeBinary } = this.opts.supervisor;
    try {
      await this.docker.createContainer({
        name: ref.container,
        Image: spec.image,
        User: '0',
        Cmd: [SUPERVISOR_NODE, `${SUPERVISOR_DIR}/supervisor.cjs`],
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        WorkingDir: '/workspace',
        Labels: { ...labels, [LABELS.role]: 'workspace' },
        ExposedPorts: { [SUPERVISOR_PORT_KEY]: {} },
        StopSignal: 'SIGTERM',
        HostConfig: {
          Init: true,
          Binds: [
            `${ref.volume}:/workspace`,
            `${distDir}:${SUPERVISOR_DIR}:ro`,
            `${nodeBinary}:${SUPERVISOR_NODE}:ro`,
            ...spec.readOnlyHostPaths.map((p) => `${p}:${p}:ro`),
          ],
          PortBindings: { [SUPERVISOR_PORT_KEY]: [{ HostIp: this.opts.publishAddress, HostPort: '' }] },
          Memory: spec.memoryBytes,
          NanoCpus: Math.round(spec.cpu * 1e9),
          ...(this.opts.network ? { NetworkMode: this.opts.network } : {}),
        },
      });
    } catch (e) {
      if (statusOf(e) === 409 || /already in use/.test(messageOf(e))) return ref;
      if (statusOf(e) === 404) {
        throw new AppError(
          'failed_precondition',
          `the workspace image ${spec.image} is missing: ${messageOf(e)}`,
        );
      }
      throw e;
    }
    return ref;
  }

  private async containerExists(name: string): Promise<boolean> {
    try {
      await this.docker.getContainer(name).inspect();
      return true;
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw e;
    }
  }

  async start(ref: RuntimeRef): Promise<void> {
    try {
      await this.docker.getContainer(ref.container).start();
    } catch (e) {
      if (statusOf(e) === 304) return; // already running
      throw new AppError('unavailable', `the workspace container did not start: ${messageOf(e)}`, undefined, {
        cause: e,
      });
    }
  }

  async state(ref: RuntimeRef): Promise<RuntimeState> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.getContainer(ref.container).inspect();
    } catch (e) {
      if (statusOf(e) === 404) return { kind: 'absent' };
      throw e;
    }
    if (info.State.Running) return { kind: 'running', endpoint: this.endpointOf(info) };
    if (info.State.Status === 'created' || info.State.Status === 'configured') return { kind: 'created' };
    return { kind: 'exited', exitCode: info.State.ExitCode, error: info.State.Error || undefined };
  }

  private endpointOf(info: Docker.ContainerInspectInfo): Endpoint | undefined {
    const binding = info.NetworkSettings.Ports?.[SUPERVISOR_PORT_KEY]?.[0];
    if (!binding?.HostPort) return undefined;
    const wildcard = !binding.HostIp || binding.HostIp === '0.0.0.0' || binding.HostIp === '::';
    const host = this.opts.engine.remoteHost ?? (wildcard ? '127.0.0.1' : binding.HostIp);
    return { host, port: Number(binding.HostPort) };
  }

  async stop(ref: RuntimeRef, graceMs: number): Promise<void> {
    try {
      await this.docker.getContainer(ref.container).stop({ t: Math.max(1, Math.ceil(graceMs / 1000)) });
    } catch (e) {
      if (statusOf(e) === 304 || statusOf(e) === 404) return;
      throw e;
    }
  }

  async exportContent(ref: RuntimeRef, image: string, exclude: string[]): Promise<ContentExport> {
    const name = `${ref.container}-backup`;
    await this.removeContainer(name);
    try {
      await this.docker.getVolume(ref.volume).inspect();
    } catch (e) {
      if (statusOf(e) === 404)
        throw new AppError('not_found', `the workspace volume ${ref.volume} no longer exists`);
      throw e;
    }
    const helper = await this.docker.createContainer({
      name,
      Image: image,
      User: '0',
      Cmd: [
        'tar',
        '--numeric-owner',
        ...exclude.map((p) => `--exclude=${p}`),
        '-C',
        '/workspace',
        '-cf',
        '-',
        '.',
      ],
      Labels: { [LABELS.installation]: this.opts.installationId, [LABELS.role]: 'backup' },
      HostConfig: { Binds: [`${ref.volume}:/workspace:ro`], NetworkMode: 'none' },
      AttachStdout: true,
      AttachStderr: true,
    });
    const raw = (await helper.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    const demux = new StdoutDemux();
    (raw as Readable).pipe(demux);
    await helper.start();
    const done = (async () => {
      try {
        const result = (await helper.wait()) as { StatusCode: number };
        if (result.StatusCode !== 0) {
          throw new AppError(
            'internal',
            `archiving /workspace failed (tar exit ${result.StatusCode}): ${demux.stderr.trim()}`,
          );
        }
      } finally {
        await this.removeContainer(name);
      }
    })();
    done.catch(() => demux.destroy(new Error('archiving /workspace failed')));
    return { tar: demux, done };
  }

  async importContent(ref: RuntimeRef, tar: Readable): Promise<void> {
    await this.docker.getContainer(ref.container).putArchive(tar, { path: '/workspace' });
  }

  async delete(ref: RuntimeRef): Promise<void> {
    await this.removeContainer(`${ref.container}-backup`);
    await this.removeContainer(ref.container);
    try {
      await this.docker.getVolume(ref.volume).remove();
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
    }
  }

  private async removeContainer(name: string): Promise<void> {
    try {
      await this.docker.getContainer(name).remove({ force: true, v: true });
    } catch (e) {
      if (statusOf(e) !== 404 && !/no such container/i.test(messageOf(e))) throw e;
    }
  }

  async list(): Promise<ListedWorkspace[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.installation}=${this.opts.installationId}`, `${LABELS.role}=workspace`] },
    });
    return containers.map((c) => {
      const instanceId = (c.Labels[LABELS.instance] ?? '') as InstanceId; // a label we set
      return {
        instanceId,
        workspaceId: c.Labels[LABELS.workspace] ?? '',
        ref: refFor(instanceId),
        running: c.State === 'running',
      };
    });
  }

  async *events(signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    // no server-side filters: Podman 4.3's compat API sends nothing at all when any is given
    const stream = (await this.docker.getEvents({})) as Readable;
    const abort = () => stream.destroy();
    signal.addEventListener('abort', abort, { once: true });
    try {
      for await (const line of createInterface({ input: stream })) {
        const ev = parseEvent(line, this.opts.installationId);
        if (ev) yield ev;
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    } finally {
      signal.removeEventListener('abort', abort);
      stream.destroy(); // also when the consumer stopped early: the connection would keep the process alive
    }
  }
}

export function refFor(instanceId: string): RuntimeRef {
  return { container: `atelier-ws-${instanceId}`, volume: `atelier-ws-${instanceId}` };
}

function parseEvent(line: string, installationId: string): RuntimeEvent | undefined {
  if (!line.trim()) return undefined;
  try {
    const ev = JSON.parse(line) as {
      Type?: string;
      status?: string;
      Action?: string;
      Actor?: { Attributes?: Record<string, string> };
    };
    const labels = ev.Actor?.Attributes ?? {};
    if (ev.Type !== 'container' || labels[LABELS.installation] !== installationId) return undefined;
    if (labels[LABELS.role] !== 'workspace') return undefined;
    const instanceId = labels[LABELS.instance] as InstanceId | undefined; // a label we set
    const action = ev.Action ?? ev.status;
    if (!instanceId || (action !== 'die' && action !== 'remove')) return undefined;
    return { instanceId, kind: action === 'die' ? 'died' : 'removed' };
  } catch {
    return undefined; // a malformed line from the engine is not ours to act on
  }
}
