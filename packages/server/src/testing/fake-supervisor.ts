// A stand-in for a workspace's supervisor in the server's tests: it answers the two task routes of
// protocol/supervisor.ts (status/tasks, task/output/<index>) with the token check, over loopback.
// The real supervisor runs only inside a workspace container (e2e/config-errors.test.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { supervisorPaths as P, SUPERVISOR_TOKEN_HEADER, type TaskStatus } from '@atelier/protocol';
import type { SupervisorEndpoint } from '@atelier/ws-manager';

export interface FakeSupervisor {
  endpoint: SupervisorEndpoint;
  tasks: TaskStatus[];
  outputs: string[];
  close(): Promise<void>;
}

export async function startFakeSupervisor(tasks: TaskStatus[], outputs: string[]): Promise<FakeSupervisor> {
  const token = 'fake-supervisor-token';
  const fake = { tasks, outputs } as FakeSupervisor;
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string) =>
      res.writeHead(status, { 'content-type': type }).end(body);
    if (req.headers[SUPERVISOR_TOKEN_HEADER] !== token) {
      return send(401, 'application/json', '{"code":"unauthenticated","message":"wrong token"}');
    }
    if (req.url === P.statusTasks)
      return send(200, 'application/json', JSON.stringify({ tasks: fake.tasks }));
    const output = req.url?.startsWith(`${P.taskOutput}/`)
      ? fake.outputs[Number(req.url.slice(P.taskOutput.length + 1))]
      : undefined;
    if (output !== undefined) return send(200, 'text/plain; charset=utf-8', output);
    send(404, 'application/json', JSON.stringify({ code: 'not_found', message: `no route ${req.url}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.endpoint = { host: '127.0.0.1', port, token };
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}
