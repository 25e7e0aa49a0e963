// `gp tasks attach`: this terminal joins a task's terminal over the supervisor's WebSocket (text frames
// input/resize, binary frames output) in raw mode, until Ctrl-] detaches or the task's shell ends.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { type TaskStatus, type TerminalClientMessage, workspaceApiPaths } from '@atelier/protocol';
import WebSocket from 'ws';
import { CliError, type Command, expectArgs, parseFlags, say } from './cli.js';
import type { GpContext } from './context.js';
import { describeTask, findTask, listTasks } from './task-status.js';
import { errorOf } from './workspace-api.js';

/** Ctrl-] (GS), telnet's and docker's escape key. */
export const DETACH_KEY = 0x1d;

export const attachCommand: Command = {
  name: 'attach',
  summary: "attach this terminal to a task's terminal (detach with Ctrl-])",
  usage: ['gp tasks attach [index|name]'],
  help: [
    "Shows the task's output since it started and passes your keys to it. Ctrl-] detaches; the task",
    'keeps running. Without an argument: the running task, or a choice when several run (on a terminal).',
  ].join('\n'),
  async run(args, ctx) {
    const { positionals } = parseFlags(attachCommand, args, {});
    expectArgs(positionals, attachCommand.usage, 0, 1);
    const tasks = await listTasks(ctx);
    const task =
      positionals[0] === undefined ? await chooseTask(ctx, tasks) : findTask(tasks, positionals[0]);
    if (task.state === 'exited') throw new CliError(`${describeTask(task)} has ended: its terminal is gone`);
    if (task.alias === null || task.state === 'pending') {
      throw new CliError(
        `${describeTask(task)} has not started yet: its terminal opens once the content is ready`,
      );
    }
    return attach(ctx, task.alias, describeTask(task));
  },
};

/** The running task, or the one the user picks on a terminal; an error that asks for the index otherwise. */
async function chooseTask(ctx: GpContext, tasks: readonly TaskStatus[]): Promise<TaskStatus> {
  const running = tasks.filter((t) => t.state === 'running' && t.alias !== null);
  const [first] = running;
  if (!first) throw new CliError(tasks.length ? 'no task is running' : 'this workspace has no tasks');
  if (running.length === 1) return first;
  const list = running.map((t) => `  ${t.index}) ${t.name}`).join('\n');
  if (!ctx.isTTY) {
    throw new CliError(
      `${running.length} tasks are running: give the index or name, e.g. gp tasks attach ${first.index}\n${list}`,
      2,
    );
  }
  ctx.stderr.write(`${running.length} tasks are running:\n${list}\nattach to which one? `);
  const rl = createInterface({ input: ctx.stdin, terminal: false });
  const closed = once(rl, 'close').then(() => ['']);
  const [answer] = (await Promise.race([once(rl, 'line'), closed])) as string[];
  rl.close();
  if (!answer?.trim()) throw new CliError('no task chosen', 2);
  return findTask(running, answer.trim());
}

/** Joins the terminal `alias` until detach, its end or Ctrl-C; resolves with gp's exit code. */
export async function attach(ctx: GpContext, alias: string, label: string): Promise<number> {
  const url = ctx.api.webSocketUrl(`${workspaceApiPaths.terminalAttach}/${encodeURIComponent(alias)}`);
  // the scrollback may come in the same packet as the handshake: say so and listen on 'open' itself
  const ws = await connect(ctx, url, {
    opened: () => say(ctx, `attached to ${label}; detach with Ctrl-]`),
    output: (data) => ctx.stdout.write(data),
  });
  const closed = new Promise<[number, Buffer]>((resolve) => ws.once('close', (c, r) => resolve([c, r])));
  const send = (msg: TerminalClientMessage) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  };
  let detached = false;
  const detach = () => {
    detached = true;
    ws.close(1000, 'detached');
  };
  const stopInput = forwardInput(ctx, send, detach);
  const stopResize = forwardSize(ctx, send);
  const abort = () => detach();
  ctx.signal.addEventListener('abort', abort, { once: true });
  const [code, reason] = await closed;
  ctx.signal.removeEventListener('abort', abort);
  stopInput();
  stopResize();
  const why = reason.toString();
  if (detached) say(ctx, `detached from ${label}; it keeps running`);
  else if (why.startsWith('exit')) say(ctx, `${label} ended (${why})`);
  else {
    say(ctx, `the supervisor closed the terminal connection (${code}${why ? ` ${why}` : ''})`);
    return 1;
  }
  return 0;
}

/** Opens the WebSocket; the API's error answer or an unreachable supervisor become gp's error. */
function connect(
  ctx: GpContext,
  url: string,
  on: { opened: () => void; output: (data: Buffer) => void },
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) on.output(data);
    });
    ws.on('open', () => {
      on.opened();
      resolve(ws);
    });
    // after open, failures end in 'close', which attach() reports
    ws.on('error', (e) => reject(ctx.api.unreachable(e)));
    ws.on('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        reject(errorOf({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }, 'attach'));
        req.destroy();
      });
    });
  });
}

/** Passes stdin to the terminal (raw on a TTY) until Ctrl-]; returns the undo. */
function forwardInput(ctx: GpContext, send: (m: TerminalClientMessage) => void, detach: () => void) {
  const raw = ctx.isTTY && typeof ctx.stdin.setRawMode === 'function';
  if (raw) ctx.stdin.setRawMode?.(true);
  const decoder = new StringDecoder('utf8');
  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const at = bytes.indexOf(DETACH_KEY);
    const data = decoder.write(at === -1 ? bytes : bytes.subarray(0, at));
    if (data) send({ type: 'input', data });
    if (at !== -1) detach();
  };
  ctx.stdin.on('data', onData);
  ctx.stdin.resume();
  return () => {
    ctx.stdin.removeListener('data', onData);
    ctx.stdin.pause();
    if (raw) ctx.stdin.setRawMode?.(false);
  };
}

/** Sends this terminal's size now and on each resize (on a TTY); returns the undo. */
function forwardSize(ctx: GpContext, send: (m: TerminalClientMessage) => void) {
  const out = ctx.stdout;
  const sendSize = () => {
    const { columns, rows } = out;
    if (columns && rows) send({ type: 'resize', cols: Math.min(columns, 1000), rows: Math.min(rows, 1000) });
  };
  if (!ctx.isTTY) return () => {};
  sendSize();
  out.on('resize', sendSize);
  return () => out.removeListener('resize', sendSize);
}
