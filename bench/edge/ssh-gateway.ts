// The SSH gateway as users meet it, for the edge benchmark: a real Atelier with a workspace on the
// container engine, reached with a key added through the API.
import { readFileSync } from 'node:fs';
import { AtelierProcess } from '../../e2e/harness/atelier.js';
import { createRepo, startGitServer } from '../../e2e/harness/git-server.js';
import { api, waitForPhase } from '../../e2e/harness/http.js';

export async function startGatewayForBench(
  publicKeyFile: string,
): Promise<{ port: number; user: string; close(): Promise<void> }> {
  const git = await startGitServer();
  createRepo(git.root, 'bench-ssh', { 'README.md': 'ssh bench\n' });
  const atelier = await AtelierProcess.start({ name: 'bench-ssh' });
  try {
    const token = await atelier.createUser('bench');
    await api(atelier.url, token, 'POST', '/api/v1/user/ssh-keys', {
      publicKey: readFileSync(publicKeyFile, 'utf8'),
    });
    const { id } = await api<{ id: string }>(atelier.url, token, 'POST', '/api/v1/workspaces', {
      contextUrl: `${git.url}/bench-ssh.git`,
    });
    await waitForPhase(atelier.url, token, id, 'running');
    return {
      port: atelier.sshPort,
      user: id,
      close: async () => {
        await atelier.dispose();
        await git.close();
      },
    };
  } catch (e) {
    await atelier.dispose();
    await git.close();
    throw e;
  }
}
