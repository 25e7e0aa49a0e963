// What the lifecycle steps share: dependencies, the instance's runtime record, small helpers.
import type { ObjectStorage } from '@atelier/content';
import type { Instance, Repositories, SecretBox } from '@atelier/db';
import type { Config, GitCredentials, ImageResolver, PublicUrls, UserId } from '@atelier/protocol';
import type { Logger } from 'pino';
import { refFor } from './runtimes/docker/runtime.js';
import type { Endpoint, IdeHostPaths, RuntimeRef, WorkspaceRuntime } from './runtimes/types.js';
import { SupervisorClient } from './supervisor-client.js';

export interface ManagerDeps {
  repos: Repositories;
  runtime: WorkspaceRuntime;
  /** which image an instance runs; builds it when its configuration asks for a Dockerfile or features */
  images: ImageResolver;
  storage: ObjectStorage;
  secrets: SecretBox;
  config: Config;
  urls: PublicUrls;
  logger: Logger;
  clock?: () => Date;
  /** backoff between retries of a failed backup; tests shorten it */
  retryDelayMs?: (attempt: number) => number;
  /** the browser IDE's install on this machine; undefined while it is not installed (workspaces get the terminal page) */
  ide?: () => IdeHostPaths | undefined;
  /** a private CA (tls.mode local-ca) workspaces must trust to reach the API */
  workspaceCaPem?: string;
  /**
   * The owner's token for a repository's SCM (the server's linked accounts), so that an image is
   * built from a private repository; undefined when none is linked. Absent: builds fetch anonymously.
   */
  gitCredentials?: (ownerId: UserId, cloneUrl: string) => Promise<GitCredentials | undefined>;
}

export interface LifecycleContext
  extends Required<Omit<ManagerDeps, 'clock' | 'retryDelayMs' | 'ide' | 'workspaceCaPem' | 'gitCredentials'>>,
    Pick<ManagerDeps, 'workspaceCaPem' | 'gitCredentials'> {
  ide: () => IdeHostPaths | undefined;
  clock: () => Date;
  retryDelayMs: (attempt: number) => number;
  /** persist-then-announce: every change goes through here so listeners see it */
  announce(instance: Instance): void;
  signal: AbortSignal;
}

/** The part of instances.runtime the manager writes. */
export interface RuntimeRecord {
  ref: RuntimeRef;
  endpoint?: Endpoint;
  /** the backup went into the volume before the container started */
  restored?: boolean;
}

export function runtimeRecord(instance: Instance): RuntimeRecord {
  const raw = instance.runtime as Partial<RuntimeRecord> | null;
  return {
    ref: raw?.ref ?? refFor(instance.id),
    ...(raw?.endpoint ? { endpoint: raw.endpoint } : {}),
    ...(raw?.restored ? { restored: true } : {}),
  };
}

export function supervisorOf(ctx: LifecycleContext, instance: Instance): SupervisorClient | undefined {
  const { endpoint } = runtimeRecord(instance);
  if (!endpoint) return undefined;
  return new SupervisorClient({ ...endpoint, token: ctx.secrets.open(instance.supervisorTokenSealed) });
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
