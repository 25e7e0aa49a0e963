// The gateway's contract with its host process: how it finds a workspace, its owner's keys, and
// reaches into it (the same shapes as the proxy's, so one binding serves both).
import type net from 'node:net';
import type { Phase } from '@atelier/protocol';
import type { Logger } from 'pino';

export interface SshWorkspace {
  workspaceId: string;
  /** the latest instance; its owner token is a credential */
  instanceId: string;
  ownerId: string;
  phase: Phase;
  ownerToken: string;
}

export interface SshGatewayDeps {
  logger: Logger;
  /** private host keys (OpenSSH or PEM) */
  hostKeys: Buffer[];
  resolve(workspaceId: string): Promise<SshWorkspace | undefined>;
  /** the user's authorized public keys as OpenSSH lines ("ssh-ed25519 AAAA... comment") */
  publicKeys(userId: string): Promise<string[]>;
  /**
   * A connected socket to the workspace's supervisor (plus headers to send with each request,
   * e.g. its token), or a raw TCP tunnel to a port inside the workspace. Rejects with AppError
   * 'unavailable' when the workspace is not running or nothing listens there.
   */
  connect(
    target: SshWorkspace,
    to: 'supervisor' | number,
  ): Promise<{ socket: net.Socket; headers: Record<string, string> }>;
  /** traffic happened for this instance (called on connect and at most every 30 s while bytes flow) */
  markActive(instanceId: string): void;
  /** where a stopped workspace can be started, for the message shown to the user */
  startUrl(workspaceId: string): string;
}

export interface SshGateway {
  port: number;
  close(): Promise<void>;
}
