// Host routing on the one public port: `<domain>` to the dashboard, `<wsid>.ws.<domain>` to the
// workspace's supervisor, `<port>-<wsid>.ws.<domain>` to a port inside it; owner checks in front.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  classifyHost,
  dashboardUrl,
  httpStatusOf,
  isAppError,
  type PublicUrls,
  type WorkspaceHost,
} from '@atelier/protocol';
import { forwardHttp, spliceUpgrade } from './forward.js';
import { isAtelierCookie, requestHeadersForWorkspace } from './headers.js';
import {
  AUTH_PATH,
  checkOwner,
  needsOwner,
  ownerCookie,
  readAuthForm,
  safeReturnUrl,
  tokensEqual,
} from './owner-auth.js';
import { isNavigation, type Reply, redirect, refusal, sendReply, writeRawReply } from './pages.js';
import { securityHeaders, setDefaults } from './security-headers.js';
import type { Proxy as EdgeProxy, ProxyDeps, RouteTarget } from './types.js';
import { ConnectTimeout, UpstreamPool, withTimeout } from './upstream-pool.js';

type WorkspaceRoute = Extract<WorkspaceHost, { kind: 'workspace' | 'port' }>;
/** log fields of one request; never tokens, cookies or query strings */
type Fields = Record<string, string | number | undefined>;

const pathOf = (req: IncomingMessage) => (req.url ?? '/').split('?')[0]?.slice(0, 200) ?? '/';
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** tunnels are made within a second or two; longer means the workspace is stuck or gone */
const CONNECT_TIMEOUT_MS = 15_000;
/** JSON and forms only: the dashboard and API take no uploads */
const MAX_DASHBOARD_BODY_BYTES = 10 * 1024 * 1024;

export function createProxy(deps: ProxyDeps): EdgeProxy {
  const urls: PublicUrls = { scheme: deps.scheme, domain: deps.domain, port: deps.publicPort };
  const log = deps.logger;
  const atelierCookie = isAtelierCookie(deps.domain);
  const startUrl = (workspaceId: string) => `${dashboardUrl(urls)}/start/${workspaceId}`;
  /** sockets into workspaces and upgraded client connections, destroyed by close() */
  const open = new Set<Duplex>();
  const track = (s: Duplex) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };
  const defaults = {
    dashboard: securityHeaders(urls, 'dashboard'),
    workspace: securityHeaders(urls, 'workspace'),
    other: securityHeaders(urls, 'other'),
  };
  /** keep-alive connections for plain HTTP; upgrades always get a connection of their own */
  const connect = withTimeout(deps.connect, deps.connectTimeoutMs ?? CONNECT_TIMEOUT_MS);
  const pool = new UpstreamPool(connect);
  const maxBody = deps.maxDashboardBodyBytes ?? MAX_DASHBOARD_BODY_BYTES;

  function unknownHost(req: IncomingMessage): Reply {
    const host = (req.headers.host ?? '(none)').slice(0, 200);
    const d = deps.domain;
    return refusal(
      req,
      404,
      'not_found',
      `unknown host ${host}: this server answers on ${d}, <workspace id>.ws.${d} and <port>-<workspace id>.ws.${d}`,
      { link: { href: dashboardUrl(urls), text: 'Go to the dashboard' } },
    );
  }

  async function resolveRoute(req: IncomingMessage, route: WorkspaceRoute, fields: Fields) {
    const target = await deps.resolve(route.workspaceId);
    // a browser goes to the start page, which says (signed in, in the dashboard's words) what is wrong
    if (!target && isNavigation(req)) return redirect(startUrl(route.workspaceId));
    if (!target)
      return refusal(req, 404, 'not_found', `there is no workspace ${route.workspaceId}`, {
        link: { href: dashboardUrl(urls), text: 'Go to the dashboard' },
      });
    fields.instanceId = target.instanceId;
    return target;
  }

  /** undefined when the request may go through; otherwise the answer that stops it. */
  function admit(req: IncomingMessage, route: WorkspaceRoute, target: RouteTarget): Reply | undefined {
    const id = route.workspaceId;
    if (needsOwner(route.kind === 'port' ? route.port : undefined, target)) {
      const check = checkOwner(req, target, deps.domain);
      if (check === 'missing' && route.kind === 'workspace' && isNavigation(req))
        return redirect(startUrl(id));
      const link = { href: startUrl(id), text: `Open workspace ${id} from the dashboard` };
      if (check === 'missing')
        return refusal(
          req,
          401,
          'unauthenticated',
          `workspace ${id} is private: open it from the dashboard, or send its owner token in the x-atelier-owner-token header`,
          { link },
        );
      if (check === 'wrong')
        return refusal(req, 403, 'permission_denied', `the owner token does not match workspace ${id}`, {
          link,
        });
    }
    if (target.phase !== 'running') {
      if (isNavigation(req)) return redirect(startUrl(id));
      return refusal(
        req,
        503,
        'unavailable',
        `workspace ${id} is ${target.phase}; start it from the dashboard`,
      );
    }
    return undefined;
  }

  async function mint(req: IncomingMessage, target: RouteTarget): Promise<Reply> {
    const id = target.workspaceId;
    if (req.method !== 'POST') {
      const reply = refusal(req, 405, 'invalid_argument', `${AUTH_PATH} takes a POST of token=…&return=…`);
      return { ...reply, headers: { ...reply.headers, allow: 'POST' } };
    }
    const form = await readAuthForm(req);
    if (!form.ok) {
      const reply = refusal(req, form.status, 'invalid_argument', form.message);
      return { ...reply, headers: { ...reply.headers, connection: 'close' } };
    }
    if (!tokensEqual(form.token, target.ownerToken))
      return refusal(req, 403, 'permission_denied', `the token does not match workspace ${id}`, {
        link: { href: startUrl(id), text: `Open workspace ${id} from the dashboard` },
      });
    return redirect(safeReturnUrl(form.returnTo, urls, id), 303, { 'set-cookie': ownerCookie(urls, target) });
  }

  /** The answer when the workspace cannot be reached: a retrying page for a port nobody serves yet. */
  function upstreamFailure(req: IncomingMessage, route: WorkspaceRoute, err: unknown): Reply {
    const id = route.workspaceId;
    if (err instanceof ConnectTimeout)
      return refusal(req, 504, 'unavailable', `workspace ${id}: ${err.message}`, { refreshSeconds: 5 });
    const unavailable = !isAppError(err) || err.code === 'unavailable';
    if (route.kind === 'port' && unavailable)
      return refusal(req, 502, 'unavailable', `Port ${route.port} is not served in workspace ${id} (yet)`, {
        refreshSeconds: 2,
      });
    if (isAppError(err))
      return refusal(req, httpStatusOf(err.code), err.code, err.message, {
        ...(unavailable ? { refreshSeconds: 2 } : {}),
      });
    return refusal(req, 502, 'unavailable', `cannot reach workspace ${id}`, { refreshSeconds: 2 });
  }

  /** `attempt` to reach the workspace; its failure becomes the page the client sees. */
  async function reach<T>(
    req: IncomingMessage,
    route: WorkspaceRoute,
    fields: Fields,
    attempt: () => Promise<T>,
  ) {
    try {
      return await attempt();
    } catch (err) {
      log.warn({ ...fields, err: messageOf(err) }, 'cannot reach the workspace');
      return upstreamFailure(req, route, err);
    }
  }

  const portOf = (route: WorkspaceRoute) => (route.kind === 'port' ? route.port : 'supervisor');

  const headersFor = (
    req: IncomingMessage,
    upstream: { headers: Record<string, string> },
    upgrade: boolean,
  ) =>
    requestHeadersForWorkspace(req, {
      isAtelierCookie: atelierCookie,
      scheme: deps.scheme,
      publicPort: deps.publicPort,
      added: upstream.headers,
      upgrade,
    });

  async function serveWorkspace(
    req: IncomingMessage,
    res: ServerResponse,
    route: WorkspaceRoute,
    fields: Fields,
  ) {
    const target = await resolveRoute(req, route, fields);
    if ('status' in target) return sendReply(res, target);
    if (route.kind === 'workspace' && pathOf(req) === AUTH_PATH)
      return sendReply(res, await mint(req, target));
    const refused = admit(req, route, target);
    if (refused) return sendReply(res, refused);
    const upstream = await reach(req, route, fields, () => pool.route(target, portOf(route)));
    if ('status' in upstream) return sendReply(res, upstream);
    if (res.destroyed) return; // the client left while we connected; the connection stays pooled
    forwardHttp({
      req,
      res,
      agent: upstream.agent,
      headers: headersFor(req, upstream, false),
      isAtelierCookie: atelierCookie,
      onUpstreamError(err) {
        log.warn({ ...fields, err: err.message }, 'the workspace did not answer');
        sendReply(res, upstreamFailure(req, route, err));
      },
      onBroken(err) {
        if (err) log.warn({ ...fields, err: err.message }, 'the exchange with the workspace broke off');
        else log.debug(fields, 'the client went away');
      },
    });
  }

  async function upgradeWorkspace(req: IncomingMessage, socket: Duplex, head: Buffer, route: WorkspaceRoute) {
    const fields: Fields = { method: req.method, path: pathOf(req), workspaceId: route.workspaceId };
    const refuse = (reply: Reply) => {
      log.debug({ ...fields, status: reply.status }, 'upgrade');
      writeRawReply(socket, reply);
    };
    const target = await resolveRoute(req, route, fields);
    if ('status' in target) return refuse(target);
    if (route.kind === 'workspace' && pathOf(req) === AUTH_PATH)
      return refuse(refusal(req, 405, 'invalid_argument', `${AUTH_PATH} takes a POST of token=…&return=…`));
    const refused = admit(req, route, target);
    if (refused) return refuse(refused);
    const upstream = await reach(req, route, fields, () => connect(target, portOf(route)));
    if ('status' in upstream) return refuse(upstream);
    if (socket.destroyed) return upstream.socket.destroy(); // the client left while we connected
    log.debug({ ...fields, port: route.kind === 'port' ? route.port : undefined }, 'upgrade');
    track(socket);
    track(upstream.socket);
    spliceUpgrade(req, socket, head, upstream.socket, headersFor(req, upstream, true));
  }

  return {
    handleRequest(req, res) {
      const started = performance.now();
      const route = classifyHost(req.headers.host ?? '', deps.domain);
      const fields: Fields = { method: req.method, host: route.kind, path: pathOf(req) };
      if (route.kind === 'workspace' || route.kind === 'port') fields.workspaceId = route.workspaceId;
      if (route.kind === 'port') fields.port = route.port;
      res.once('close', () =>
        log.debug(
          { ...fields, status: res.statusCode, ms: Math.round(performance.now() - started) },
          'request',
        ),
      );
      setDefaults(
        res,
        defaults[route.kind === 'port' ? 'workspace' : route.kind === 'unknown' ? 'other' : route.kind],
      );
      switch (route.kind) {
        case 'dashboard':
          if (Number(req.headers['content-length'] ?? 0) > maxBody) {
            // answered before the body is read: close, so the rest of the body is not parsed as a request
            const limit = maxBody >= 1 << 20 ? `${maxBody / (1 << 20)} MiB` : `${maxBody / 1024} KiB`;
            const reply = refusal(req, 413, 'invalid_argument', `the request body is larger than ${limit}`);
            sendReply(res, { ...reply, headers: { ...reply.headers, connection: 'close' } });
            return;
          }
          deps.dashboard.request(req, res);
          return;
        case 'unknown':
          sendReply(res, unknownHost(req));
          return;
        case 'workspace':
        case 'port':
          serveWorkspace(req, res, route, fields).catch((err: unknown) => {
            log.error({ ...fields, err }, 'the proxy failed on a request');
            sendReply(res, refusal(req, 500, 'internal', 'the proxy failed on this request; see its log'));
          });
          return;
      }
    },

    handleUpgrade(req, socket, head) {
      const route = classifyHost(req.headers.host ?? '', deps.domain);
      // a client that resets the connection while we look things up: the socket is destroyed, nothing to do
      socket.on('error', (err) => log.debug({ err: err.message }, 'client connection failed'));
      switch (route.kind) {
        case 'dashboard':
          if (deps.dashboard.upgrade) deps.dashboard.upgrade(req, socket, head);
          else writeRawReply(socket, refusal(req, 404, 'not_found', 'the dashboard takes no upgrades here'));
          return;
        case 'unknown':
          writeRawReply(socket, unknownHost(req));
          return;
        case 'workspace':
        case 'port':
          upgradeWorkspace(req, socket, head, route).catch((err: unknown) => {
            log.error({ workspaceId: route.workspaceId, err }, 'the proxy failed on an upgrade');
            writeRawReply(
              socket,
              refusal(req, 500, 'internal', 'the proxy failed on this request; see its log'),
            );
          });
          return;
      }
    },

    close() {
      pool.close();
      for (const s of open) s.destroy();
      open.clear();
    },
  };
}
