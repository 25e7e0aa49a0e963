// WorkspaceRuntime on the Docker Engine API (Docker, or Podman's compatible socket) via dockerode.
// One container and one named volume for /workspace per instance, found again by labels.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, type EngineRegistryAuth, type InstanceId } from '@atelier/protocol';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import {
  type ContentExport,
  type Endpoint,
  IDE_MOUNTS,
  type ListedWorkspace,
  type RuntimeEvent,
  type RuntimeRef,
  type RuntimeState,
  type WorkspaceRuntime,
  type WorkspaceSpec,
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
  /** see `workspace.runtime.docker.contentAccess` */
  contentAccess: 'auto' | 'engine';
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

  async prepareImage(
    image: string,
    onProgress: (line: string) => void,
    auth?: EngineRegistryAuth | undefined,
  ): Promise<{ user: string }> {
    const existing = await this.inspectImage(image);
    if (existing) return existing;
    onProgress(`pulling ${image}`);
    try {
      const stream = await this.docker.pull(image, auth ? { authconfig: auth } : {});
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
            ...(spec.ide
              ? [
                  `${spec.ide.nodeDir}:${IDE_MOUNTS.nodeDir}:ro`,
                  `${spec.ide.codeServerModules}:${IDE_MOUNTS.codeServerModules}:ro`,
                  `${spec.ide.extensionsDir}:${IDE_MOUNTS.extensionsDir}:ro`,
                ]
              : []),
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
    let volume: VolumeInfo;
    try {
      volume = (await this.docker.getVolume(ref.volume).inspect()) as VolumeInfo;
    } catch (e) {
      if (statusOf(e) === 404)
        throw new AppError('not_found', `the workspace volume ${ref.volume} no longer exists`);
      throw e;
    }
    const folder = await this.hostFolder(volume);
    if (folder) {
      const args = [
        '--numeric-owner',
        ...exclude.map((p) => `--exclude=${p}`),
        '-C',
        folder,
        '-cf',
        '-',
        '.',
      ];
      return hostTar(args, undefined, 'archiving /workspace');
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

  async importContent(ref: RuntimeRef, input: Readable): Promise<void> {
    // consume at once: a child process's stdout that nobody reads when the child exits is discarded
    const tar = new PassThrough({ highWaterMark: 1 << 20 });
    input.once('error', (e) => tar.destroy(e));
    // whoever reads `tar` below sees the error; until then it must not go unhandled (it would end
    // the process); the caller also watches `input` itself
    tar.on('error', () => undefined);
    input.pipe(tar);
    // on the host only while nothing runs in the container: a process in it could otherwise swap a
    // folder for a symlink under tar's feet and make a root tar on the host write outside the volume
    if ((await this.state(ref)).kind === 'created') {
      const volume = (await this.docker.getVolume(ref.volume).inspect()) as VolumeInfo;
      const folder = await this.hostFolder(volume);
      if (folder) {
        // --ignore-zeros: read to the end of the stream, past tar's end marker, so that the checksum
        // of the whole archive is verified before the restore counts as done
        const untar = hostTar(
          ['--numeric-owner', '--ignore-zeros', '-xpf', '-', '-C', folder],
          tar,
          'restoring /workspace',
        );
        untar.tar.resume(); // tar -x prints nothing on stdout
        untar.tar.on('error', () => undefined); // its failure is reported through `done`
        this.opts.logger.debug({ volume: ref.volume, folder }, 'restoring with tar on this machine');
        return untar.done;
      }
    }
    this.opts.logger.debug({ container: ref.container }, 'restoring through the engine API');
    await this.docker.getContainer(ref.container).putArchive(tar, { path: '/workspace' });
  }

  /**
   * The volume's folder when tar may run on this machine: contentAccess auto, a local engine that
   * keeps the volume in a folder this process (root) can reach. Undefined: go through the engine.
   */
  private async hostFolder(volume: VolumeInfo): Promise<string | undefined> {
    if (this.opts.contentAccess !== 'auto' || this.opts.engine.remoteHost) return undefined;
    if (process.getuid?.() !== 0 || volume.Driver !== 'local' || !volume.Mountpoint) return undefined;
    try {
      return (await stat(volume.Mountpoint)).isDirectory() ? volume.Mountpoint : undefined;
    } catch {
      return undefined; // the engine keeps its volumes elsewhere (a VM, another machine)
    }
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

interface VolumeInfo {
  Driver?: string;
  Mountpoint?: string;
}

/**
 * Runs GNU tar on the host; `done` rejects with tar's own message when it fails and, with an input,
 * unless the input was read to its very end without error (a checksum is verified at the end).
 */
function hostTar(
  args: string[],
  input: Readable | undefined,
  what: string,
): { tar: Readable; done: Promise<void> } {
  const child = spawn('tar', args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  const fed = input && child.stdin ? pipeline(input, child.stdin) : Promise.resolve();
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (e) =>
      reject(new AppError('failed_precondition', `cannot run tar on this machine: ${e.message}`)),
    );
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new AppError('internal', `${what} failed (tar exit ${code}): ${stderr.trim()}`));
    });
  });
  const done = Promise.all([fed, exited]).then(() => undefined);
  done.catch(() => child.stdout?.destroy(new Error(`${what} failed`)));
  return { tar: child.stdout as Readable, done };
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
