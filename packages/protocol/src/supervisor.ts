// The contract between the control plane and the supervisor inside every workspace container.
import { z } from 'zod';
import { ideChoiceSchema } from './api.js';
import { localBranchSchema } from './context/resolved.js';
import { serverAccessSchema } from './workspace-api.js';
import { portConfigSchema, taskConfigSchema } from './workspace-config/types.js';

/** Port of the supervisor's HTTP API inside the container (Gitpod's apiEndpointPort). */
export const SUPERVISOR_PORT = 22999;
/** Environment variable holding the supervisor's JSON config. */
export const SUPERVISOR_CONFIG_ENV = 'ATELIER_SUPERVISOR_CONFIG';
/**
 * Environment variable that runs the supervisor bundle outside a container (tests, local
 * development): JSON of supervisorLocalSchema. It then stays the user that started it.
 */
export const SUPERVISOR_LOCAL_ENV = 'ATELIER_SUPERVISOR_LOCAL';
/** Header with which the manager and the proxy authenticate to a supervisor. */
export const SUPERVISOR_TOKEN_HEADER = 'x-atelier-supervisor-token';
/** Upgrade protocol of the TCP tunnel to a port inside the workspace. */
export const TUNNEL_PROTOCOL = 'atelier-tunnel';
/** Where the supervisor bundle and its node binary are mounted, read-only. */
export const SUPERVISOR_MOUNT = '/.supervisor';
/** Content-ready marker written after initialization (Gitpod: /workspace/.gitpod/ready). */
export const CONTENT_READY_FILE = '/workspace/.gitpod/ready';

export const gitRefSchema = z
  .string()
  .regex(/^[A-Za-z0-9._/-]{1,200}$/)
  .refine((r) => !r.startsWith('-'));

export const contentInitSchema = z.discriminatedUnion('kind', [
  /**
   * shallow clone of cloneUrl at ref (branch, tag or commit; default branch when absent) with
   * `git clone --config` pairs, then the additional repositories, each in its folder below /workspace
   */
  z.object({
    kind: z.literal('git'),
    cloneUrl: z.string().min(1),
    ref: gitRefSchema.optional(),
    /** a branch created at the checked-out commit and checked out (an issue's context) */
    localBranch: localBranchSchema.optional(),
    /** a pull request from a fork: its target repository, added as the remote `upstream` */
    upstreamCloneUrl: z.string().min(1).optional(),
    gitConfig: z.record(z.string(), z.string()).optional(),
    additional: z.array(z.object({ cloneUrl: z.string().min(1), location: z.string().min(1) })).optional(),
  }),
  /** the manager imports a backup and then calls POST /_supervisor/v1/content/ready */
  z.object({ kind: z.literal('backup') }),
  z.object({ kind: z.literal('empty') }),
]);
export type ContentInit = z.infer<typeof contentInitSchema>;

export const supervisorConfigSchema = z.object({
  workspaceId: z.string(),
  instanceId: z.string(),
  ownerId: z.string(),
  /** the secret callers present in SUPERVISOR_TOKEN_HEADER */
  token: z.string().min(32),
  workspaceUrl: z.string(),
  /** the image's user (name or uid) that tasks, terminals and git run as */
  user: z.string().default('gitpod'),
  /** absolute path of the checkout, below /workspace */
  checkoutLocation: z.string().regex(/^\/workspace(\/[^/]+)*$/),
  contentInit: contentInitSchema,
  /** extra environment for terminals and tasks */
  env: z.record(z.string(), z.string()).default({}),
  /** the workspace's tasks (.gitpod.yml tasks, devcontainer lifecycle commands), run once content is ready */
  tasks: z.array(taskConfigSchema).default([]),
  /** a headless start (a prebuild): tasks run `before && init && prebuild` and end */
  headless: z.boolean().optional(),
  /** the configuration's ports: their onOpen is announced to the IDE when they open */
  ports: z.array(portConfigSchema).default([]),
  /** what the in-workspace API tells gp and the IDE (workspaceInfoSchema) */
  info: z
    .object({
      dashboardUrl: z.string(),
      /** `{port}` stands for the number */
      portUrlTemplate: z.string(),
      contextUrl: z.string(),
      repository: z
        .object({ cloneUrl: z.string(), owner: z.string().nullable(), name: z.string() })
        .nullable(),
      ssh: z.object({ host: z.string(), port: z.number().int(), user: z.string() }).nullable(),
      /** the file the context URL pointed at (absolute, below the checkout): the IDE opens it */
      openFile: z.string().startsWith('/workspace/').optional(),
    })
    .optional(),
  /** how often the IDE and the terminal page send heartbeats on user activity */
  heartbeatIntervalMs: z.number().int().positive().default(30_000),
  /** the API as this workspace (heartbeats, ports, gp); absent: the workspace works offline */
  server: serverAccessSchema.optional(),
  ide: z
    .object({
      choice: ideChoiceSchema,
      /** code-server as mounted; absent: the terminal page is the IDE */
      codeServer: z.object({ node: z.string(), entry: z.string() }).optional(),
      /** the folder or .code-workspace file to open; default: the checkout */
      workspaceLocation: z.string().optional(),
      /** .vsix files installed in every workspace (Atelier's own extension) */
      builtinExtensions: z.array(z.string()).default([]),
      /** the configuration's vscode.extensions: ids (from openVsxUrl) or repository-relative .vsix paths */
      extensions: z.array(z.string()).default([]),
      openVsxUrl: z.string().optional(),
    })
    .default({ choice: 'terminal', builtinExtensions: [], extensions: [] }),
});
export type SupervisorConfig = z.infer<typeof supervisorConfigSchema>;
/** A supervisor config as written, before defaults (tests, the manager). */
export type SupervisorConfigInput = z.input<typeof supervisorConfigSchema>;

/** Where a supervisor outside a container keeps its workspace and listens (SUPERVISOR_LOCAL_ENV). */
export const supervisorLocalSchema = z.strictObject({
  /** stands in for /workspace */
  workspaceRoot: z.string().startsWith('/'),
  /** the HOME of its shells (an empty folder keeps the machine user's profile out) */
  home: z.string().startsWith('/').optional(),
  host: z.string().default('127.0.0.1'),
  /** 0 picks a free port; the "supervisor listening" log line on stdout says which */
  port: z.number().int().min(0).max(65535).default(0),
  /** the in-workspace API's port on 127.0.0.1 (0: a free one, in the same log line) */
  workspaceApiPort: z.number().int().min(0).max(65535).default(0),
  /** code-server's port on 127.0.0.1 */
  idePort: z.number().int().min(1).max(65535).default(23000),
});
export type SupervisorLocal = z.input<typeof supervisorLocalSchema>;

export const contentSourceSchema = z.enum(['from-other', 'from-backup']);
export type ContentSource = z.infer<typeof contentSourceSchema>;

export const contentStatusSchema = z.object({
  available: z.boolean(),
  source: contentSourceSchema.nullable(),
  /** set when initialization failed: what went wrong and what to do */
  error: z.string().nullable(),
  /** last progress line of the initialization (e.g. git's "Receiving objects: 40%") */
  progress: z.string().nullable(),
});
export type ContentStatus = z.infer<typeof contentStatusSchema>;

export const ideStatusSchema = z.object({ ok: z.boolean() });
export const listeningPortSchema = z.object({ port: z.number().int(), address: z.string() });
export const portsStatusSchema = z.object({ ports: z.array(listeningPortSchema) });
export type PortsStatus = z.infer<typeof portsStatusSchema>;

export const contentReadyRequestSchema = z.object({ source: contentSourceSchema });

export const terminalSchema = z.object({
  alias: z.string(),
  title: z.string(),
  pid: z.number(),
  cwd: z.string(),
});
export const openTerminalRequestSchema = z.object({
  cols: z.number().int().min(1).max(1000).default(80),
  rows: z.number().int().min(1).max(1000).default(24),
});

/**
 * A task's terminal: pending until content is ready and its terminal opens, running while the
 * terminal lives (the task's shell stays after its command, as in Gitpod), exited when it is gone.
 */
export const taskStateSchema = z.enum(['pending', 'running', 'exited']);
export type TaskState = z.infer<typeof taskStateSchema>;

export const taskStatusSchema = z.object({
  /** position in the configuration's task list, from 0 */
  index: z.number().int().min(0),
  name: z.string(),
  /** the terminal the task runs in; null while pending */
  alias: z.string().nullable(),
  state: taskStateSchema,
  /** the terminal's exit code once it exited; null while it runs or when unknown */
  exitCode: z.number().int().nullable(),
});
export type TaskStatus = z.infer<typeof taskStatusSchema>;
export const tasksStatusSchema = z.object({ tasks: z.array(taskStatusSchema) });
export type TasksStatus = z.infer<typeof tasksStatusSchema>;

/** The instance log stream (db instance_logs) in which a task's output is kept once the instance stops. */
export const taskLogStream = (index: number): string => `task-${index}`;
/** The instance log stream of the image build (written by the manager, read by the API). */
export const IMAGE_BUILD_LOG_STREAM = 'image-build';

/** Messages a terminal client sends as text frames; output arrives as binary frames. */
export const terminalClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('input'), data: z.string() }),
  z.object({
    type: z.literal('resize'),
    cols: z.number().int().min(1).max(1000),
    rows: z.number().int().min(1).max(1000),
  }),
]);
export type TerminalClientMessage = z.infer<typeof terminalClientMessageSchema>;

/**
 * The exec API (WebSocket at supervisorPaths.exec, with SUPERVISOR_TOKEN_HEADER): one process as the
 * workspace user, in the checkout, with the terminals' environment; for the SSH gateway.
 * - client: first a `start` text frame (execStartSchema; a bad one closes with 1008 and the reason);
 *   then binary frames are stdin, text frames `resize`, `signal`, `eof` (execClientMessageSchema).
 * - run: `command` is `<shell> -c <command>` (as sshd runs it), `shell` is `<shell> -l`, `sftp` is the image's
 *   sftp-server without a shell (none: a one-line message on stderr and exit 127). With `pty`, in a
 *   pseudo-terminal (output all on stdout); without, on pipes with stderr apart (never for sftp).
 * - server: binary frames whose first byte is the stream (EXEC_STDOUT, EXEC_STDERR), then one
 *   `exit` text frame (execExitSchema), then close 1000.
 * - flow control: the process's output waits while the client has not read 1 MiB; stdin waits
 *   (the supervisor stops reading the socket, so TCP pushes back) while the process has not read
 *   1 MiB. A client that disconnects hangs the process group up (SIGHUP, SIGKILL 3 s later).
 */
export const execStartSchema = z.strictObject({
  type: z.literal('start'),
  /** what to run: a command line (by the user's shell), the login shell, or the SFTP server */
  run: z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('command'),
      command: z
        .string()
        .min(1)
        .max(256 * 1024),
    }),
    z.strictObject({ kind: z.literal('shell') }),
    z.strictObject({ kind: z.literal('sftp') }),
  ]),
  /** a pseudo-terminal of this size; absent: pipes, stderr apart */
  pty: z
    .strictObject({
      term: z.string().min(1).max(64).default('xterm-256color'),
      cols: z.number().int().min(1).max(1000),
      rows: z.number().int().min(1).max(1000),
    })
    .optional(),
  /** added to the workspace's environment (the gateway passes only what the client may set) */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(32 * 1024)).default({}),
});
export type ExecStart = z.input<typeof execStartSchema>;

/** Signals a client may send to the process (as OpenSSH's "signal" channel request names them). */
export const EXEC_SIGNALS = ['HUP', 'INT', 'QUIT', 'TERM', 'KILL', 'USR1', 'USR2', 'ALRM'] as const;
export const execClientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('resize'),
    cols: z.number().int().min(1).max(1000),
    rows: z.number().int().min(1).max(1000),
  }),
  z.strictObject({ type: z.literal('signal'), name: z.enum(EXEC_SIGNALS) }),
  z.strictObject({ type: z.literal('eof') }),
]);
export type ExecClientMessage = z.infer<typeof execClientMessageSchema>;

export const execExitSchema = z.object({
  type: z.literal('exit'),
  /** null when a signal ended it */
  code: z.number().int().nullable(),
  /** the signal's name without SIG, e.g. TERM */
  signal: z.string().nullable(),
});
export type ExecExit = z.infer<typeof execExitSchema>;
export const EXEC_STDOUT = 1;
export const EXEC_STDERR = 2;

export const supervisorPaths = {
  statusSupervisor: '/_supervisor/v1/status/supervisor',
  statusContent: '/_supervisor/v1/status/content',
  statusIde: '/_supervisor/v1/status/ide',
  statusPorts: '/_supervisor/v1/status/ports',
  contentReady: '/_supervisor/v1/content/ready',
  terminalList: '/_supervisor/v1/terminal/list',
  terminalOpen: '/_supervisor/v1/terminal/open',
  /** + `/<alias>`, WebSocket */
  terminalAttach: '/_supervisor/v1/terminal/attach',
  statusTasks: '/_supervisor/v1/status/tasks',
  /** + `/<index>`: the task terminal's scrollback as text/plain (ANSI escapes as the program wrote them) */
  taskOutput: '/_supervisor/v1/task/output',
  /** WebSocket: one process (execStartSchema first) */
  exec: '/_supervisor/v1/exec',
  /** + `/<port>`, HTTP Upgrade to TUNNEL_PROTOCOL, then raw TCP */
  tunnel: '/_supervisor/v1/tunnel',
  /** POST heartbeatRequestSchema: the terminal page's user did something */
  heartbeat: '/_supervisor/v1/heartbeat',
  /** the built-in terminal page, also when VS Code is the IDE */
  terminalPage: '/_supervisor/terminal',
} as const;
