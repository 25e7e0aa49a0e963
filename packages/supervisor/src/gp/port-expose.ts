// `gp ports expose`: a TCP forwarder from 0.0.0.0:<target> to 127.0.0.1:<port>, in the foreground until
// Ctrl-C, for servers that listen on loopback only and must be reached on the container's address.
import net from 'node:net';
import { CliError, type Command, expectArgs, parseFlags, parsePort, say, UsageError } from './cli.js';
import type { GpContext } from './context.js';

export const exposeCommand: Command = {
  name: 'expose',
  summary: 'make a port that listens on 127.0.0.1 reachable on 0.0.0.0 (until Ctrl-C)',
  usage: ['gp ports expose <port> [target-port]'],
  help: [
    'Forwards every connection to 0.0.0.0:<target-port> to 127.0.0.1:<port>, until Ctrl-C. Use it for a',
    'server that listens on loopback only: the workspace URL of <target-port> then reaches it.',
    '<target-port> defaults to <port> + 1 (as in Gitpod); `gp url <target-port>` prints its URL.',
  ].join('\n'),
  async run(args, ctx) {
    const { positionals } = parseFlags(exposeCommand, args, {});
    expectArgs(positionals, exposeCommand.usage, 1, 2);
    const port = parsePort(positionals[0], exposeCommand.usage);
    const target =
      positionals[1] === undefined ? port + 1 : parsePort(positionals[1], exposeCommand.usage, 'target port');
    if (target > 65535)
      throw new UsageError(`${port} + 1 is not a port: give the target port`, exposeCommand.usage);
    if (target === port) {
      throw new UsageError(
        `the target port must differ from ${port}, which the server already holds on 127.0.0.1`,
        exposeCommand.usage,
      );
    }
    return forward(ctx, port, target);
  },
};

/** Serves the forwarder until ctx.signal is aborted; resolves with the exit code. */
async function forward(ctx: GpContext, port: number, target: number): Promise<number> {
  const sockets = new Set<net.Socket>();
  let warned = false;
  // half-open on both sides: a client that sends all and shuts down its side still gets the answer
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    upstream.on('connect', () => {
      warned = false;
    });
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED' && !warned) {
        warned = true;
        say(ctx, `nothing listens on 127.0.0.1:${port} (yet): the connection to port ${target} was closed`);
      }
      client.destroy();
    });
    // the peer went away: the other side closes with it
    client.on('error', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await listen(server, target);
  say(ctx, `forwarding 0.0.0.0:${target} → 127.0.0.1:${port}; press Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  say(ctx, `stopped forwarding port ${target}`);
  return 0;
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'EADDRINUSE'
          ? `port ${port} is in use on 0.0.0.0: give another target port (gp ports expose <port> <target-port>)`
          : `cannot listen on 0.0.0.0:${port}: ${e.message}`;
      reject(new CliError(why));
    });
    server.listen({ host: '0.0.0.0', port }, () => resolve());
  });
}
