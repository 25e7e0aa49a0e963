// The supervisor's in-workspace API: what `gp`, the Atelier VS Code extension and the terminal page
// use from inside a workspace. It listens on the container's loopback only (never published), so it
// takes no token: everything in the container runs for the workspace's owner.
import { z } from 'zod';
import { activitySourceSchema, ideChoiceSchema, portSchema, setPortVisibilityRequestSchema } from './api.js';

/** Port of the in-workspace API on 127.0.0.1 inside the container. */
export const WORKSPACE_API_PORT = 22998;
/** Port of the browser IDE (code-server) on 127.0.0.1 inside the container; the supervisor fronts it. */
export const IDE_PORT = 23000;
/** Environment variable with the API's base URL (`http://127.0.0.1:22998`), set for terminals, tasks and the IDE. */
export const WORKSPACE_API_ENV = 'ATELIER_SUPERVISOR_API';
/**
 * Ports of the workspace's own machinery: never listed, never tunnelled to, never made public
 * (the in-workspace API would otherwise hand the workspace token to anyone with the URL).
 */
export const INTERNAL_PORTS: readonly number[] = [WORKSPACE_API_PORT, 22999, IDE_PORT];

/** GET /v1/info */
export const workspaceInfoSchema = z.object({
  workspaceId: z.string(),
  instanceId: z.string(),
  ownerId: z.string(),
  /** https://<wsid>.ws.<domain> */
  workspaceUrl: z.string(),
  /** https://<domain> */
  dashboardUrl: z.string(),
  /** the port URL pattern: `{port}` stands for the number, e.g. https://{port}-<wsid>.ws.<domain> */
  portUrlTemplate: z.string(),
  contextUrl: z.string(),
  checkoutLocation: z.string(),
  /** the folder (or .code-workspace file) the IDE opens */
  workspaceLocation: z.string(),
  repository: z.object({ cloneUrl: z.string(), owner: z.string().nullable(), name: z.string() }).nullable(),
  ide: ideChoiceSchema,
  /** how often a client with user activity should send a heartbeat (30 s; shorter when time-outs are short) */
  heartbeatIntervalMs: z.number().int().positive(),
  /** `ssh <user>@<host> -p <port>`; null when the SSH gateway is off */
  ssh: z.object({ host: z.string(), port: z.number().int(), user: z.string() }).nullable(),
  /** the file the context URL pointed at (absolute): the IDE opens it on its first start */
  openFile: z.string().optional(),
});
export type WorkspaceInfo = z.infer<typeof workspaceInfoSchema>;

/** POST /v1/heartbeat: the user did something (or, with closed, the IDE's last tab went away). */
export const heartbeatRequestSchema = z.strictObject({
  source: activitySourceSchema,
  closed: z.boolean().default(false),
});
export type HeartbeatRequest = z.input<typeof heartbeatRequestSchema>;

/** GET /v1/ports: the server's list for this workspace (config ports, detected ports, visibility, URLs). */
export const workspacePortsSchema = z.object({ ports: z.array(portSchema) });
export type WorkspacePorts = z.infer<typeof workspacePortsSchema>;
/** PUT /v1/ports/<port>/visibility → the port (portSchema) */
export const portVisibilityRequestSchema = setPortVisibilityRequestSchema;

/**
 * POST /v1/notify: asks the IDE to show something. 200 {delivered} when at least one IDE window
 * listens on /v1/notifications; 412 (code failed_precondition) when none does.
 */
export const notificationSchema = z.discriminatedUnion('kind', [
  /** open a file in the editor (absolute, or relative to the caller's cwd which the caller resolves) */
  z.strictObject({
    kind: z.literal('open'),
    path: z.string().startsWith('/'),
    wait: z.boolean().default(false),
  }),
  /** show a URL in the IDE's preview (or a browser tab when external) */
  z.strictObject({ kind: z.literal('preview'), url: z.url(), external: z.boolean().default(false) }),
  /** a port opened that the configuration asks to announce (onOpen); the IDE acts on it */
  z.strictObject({
    kind: z.literal('port'),
    port: z.number().int(),
    url: z.string(),
    onOpen: z.enum(['open-browser', 'open-preview', 'notify']),
  }),
]);
export type Notification = z.infer<typeof notificationSchema>;
export const notifyResponseSchema = z.object({ delivered: z.number().int().min(1) });

/** GET /v1/status/ide */
export const ideStatusDetailSchema = z.object({
  ide: ideChoiceSchema,
  /** the browser IDE answers (always true for `terminal`) */
  ready: z.boolean(),
  /** why it is not ready, when it failed */
  error: z.string().nullable(),
  /** the configuration's `vscode.extensions`, each installed or with the reason it is not */
  extensions: z.array(z.object({ id: z.string(), installed: z.boolean(), error: z.string().nullable() })),
});
export type IdeStatusDetail = z.infer<typeof ideStatusDetailSchema>;

/**
 * GET /v1/token/server: how to call the Atelier API as this workspace (scoped to it: heartbeat,
 * ports, time-out, stop, the owner's variables). `connectTo` is set when the API's host name does not
 * resolve inside the workspace (a *.localhost domain): connect there and send `Host` from apiUrl.
 */
export const serverAccessSchema = z.object({
  /** e.g. https://atelier.example.com/api/v1 */
  apiUrl: z.string(),
  token: z.string(),
  connectTo: z.object({ host: z.string(), port: z.number().int() }).nullable(),
  /** PEM of a private CA (tls.mode local-ca) to trust for apiUrl */
  caPem: z.string().nullable(),
});
export type ServerAccess = z.infer<typeof serverAccessSchema>;

/** GET /v1/ports/<port>/await?timeoutMs=N: 200 once something listens on the port, 504 when the time is up. */
export const portAwaitResponseSchema = z.object({ port: z.number().int() });

export const workspaceApiPaths = {
  info: '/v1/info',
  /** GET tasksStatusSchema; `?observe=true`: NDJSON, one tasksStatus line now and on each change */
  tasks: '/v1/tasks',
  /** + `/<index>/stop`, POST: hangs up the task's terminal → 204 */
  task: '/v1/tasks',
  /**
   * + `/<alias>`, WebSocket: the same protocol as the token API's terminal attach (text frames
   * terminalClientMessageSchema, binary frames output; the scrollback is replayed first)
   */
  terminalAttach: '/v1/terminal/attach',
  /** GET workspacePortsSchema; `?observe=true`: NDJSON, a line now and on each change (checked every 2 s) */
  ports: '/v1/ports',
  /** + `/<port>/visibility` (PUT) and `/<port>/await` (GET) */
  port: '/v1/ports',
  heartbeat: '/v1/heartbeat',
  notify: '/v1/notify',
  /** GET NDJSON stream of notificationSchema lines, for the IDE extension; a `{}` line every 15 s keeps it open */
  notifications: '/v1/notifications',
  ideStatus: '/v1/status/ide',
  serverToken: '/v1/token/server',
} as const;
