// Atelier's edge proxy in a process of its own for the edge benchmark, routing the port host
// `8000-<wsid>.ws.localhost` (a public port) to the upstream given as argument: the socket the
// proxy gets is a TCP connection to it, as the supervisor's tunnel hands over inside a workspace.
// Prints its port on stdout.
import net from 'node:net';
import { createProxy, listen } from '@atelier/proxy';
import { pino } from 'pino';

const upstreamPort = Number(process.argv[2]);
export const WORKSPACE_ID = 'bench-edge-abcdefgh';
const proxy = createProxy({
  domain: 'localhost',
  scheme: 'http',
  publicPort: 0,
  logger: pino({ level: 'warn' }),
  dashboard: { request: (_req, res) => res.writeHead(404).end() },
  resolve: async (workspaceId) =>
    workspaceId === WORKSPACE_ID
      ? {
          workspaceId,
          instanceId: 'bench-instance',
          ownerId: 'bench-owner',
          phase: 'running',
          ownerToken: 'unused-owner-token',
          isPublicPort: () => true,
          shared: false,
        }
      : undefined,
  connect: (_target, to) =>
    new Promise((resolve, reject) => {
      if (to === 'supervisor') return reject(new Error('the benchmark has no supervisor'));
      const socket = net.connect(upstreamPort, '127.0.0.1', () => resolve({ socket, headers: {} }));
      socket.once('error', reject);
    }),
});
const server = await listen(proxy, { host: '127.0.0.1', port: 0 });
const address = server.address();
process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
