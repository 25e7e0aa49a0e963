// The proxy's contract with its host process: how it finds a workspace and reaches into it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Phase } from '@atelier/protocol';
import type { Logger } from 'pino';

/** What the proxy needs to know about a workspace to route and admit a request. */
export interface RouteTarget {
  workspaceId: string;
  /** the latest instance; its owner token guards every workspace host */
  instanceId: string;
  ownerId: string;
  phase: Phase;
  ownerToken: string;
  /**
   * Whether anyone may reach this port without the owner token. A predicate, not a list, so that a
   * public range (9000-9999) costs nothing; asked on every request, so a change applies at once.
   */
  isPublicPort(port: number): boolean;
  /** the whole workspace is open to anyone */
  shared: boolean;
}

export interface ProxyDeps {
  domain: string;
  scheme: 'http' | 'https';
  /** the externally visible port (as in PublicUrls) */
  publicPort: number;
  logger: Logger;
  /** everything on `<domain>` */
  dashboard: {
    request(req: IncomingMessage, res: ServerResponse): void;
    upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  };
  resolve(workspaceId: string): Promise<RouteTarget | undefined>;
  /**
   * A connected socket to the supervisor's HTTP server ('supervisor', plus headers to add to each
   * request, e.g. its token) or a raw TCP tunnel to a port inside the workspace. Rejects with
   * AppError 'unavailable' when nothing listens there.
   */
  connect(
    target: RouteTarget,
    to: 'supervisor' | number,
  ): Promise<{ socket: net.Socket; headers: Record<string, string> }>;
  /** how long connect() may take before the client gets a 504 (default 15 s) */
  connectTimeoutMs?: number;
  /** the largest request body the dashboard and API take (default 10 MiB); workspaces have no limit */
  maxDashboardBodyBytes?: number;
}

export interface Proxy {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** destroys every connection into a workspace (open WebSockets, streams in flight) */
  close(): void;
}
