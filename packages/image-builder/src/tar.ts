// GNU tar on this machine: unpacking downloaded features, and packing a build context for the
// engine's build API as a stream (the engine reads it while tar writes it).
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { AppError } from '@atelier/protocol';

export function runTar(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (e) => reject(new AppError('unavailable', `cannot run tar: ${e.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new AppError('failed_precondition', `tar failed: ${stderr.trim() || `exit ${code}`}`)),
    );
  });
}

/** The folder as a tar stream, owned by root (what a build context from a client looks like). */
export function packFolder(dir: string): Readable {
  const child = spawn('tar', ['-c', '-C', dir, '--owner=0', '--group=0', '--numeric-owner', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // read at once: output nobody reads when the child exits would be lost
  const out = new PassThrough();
  child.stdout.pipe(out, { end: false });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.on('error', (e) => out.destroy(e));
  child.on('close', (code) => {
    if (code === 0) out.end();
    else
      out.destroy(
        new AppError('internal', `cannot pack the build context: ${stderr.trim() || `exit ${code}`}`),
      );
  });
  return out;
}
