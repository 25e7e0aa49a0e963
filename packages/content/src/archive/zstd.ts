// zstd (de)compression as a Duplex stream around a spawned `zstd` process; its failures become stream errors.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { Duplex } from 'node:stream';
import { AppError } from '@atelier/protocol';

const MiB = 1024 * 1024;
const MAX_STDERR = 4096;

export interface ZstdOptions {
  /** The zstd executable; defaults to `zstd` on PATH. */
  binary?: string;
}

export interface ZstdCompressOptions extends ZstdOptions {
  /** Compression level, 1 (fast, the default) to 19. */
  level?: number;
}

/** `zstd -<level> -T0 -q -c`: write plain bytes, read the compressed frame. */
export function zstdCompress(opts: ZstdCompressOptions = {}): Duplex {
  const level = opts.level ?? 1;
  if (!Number.isInteger(level) || level < 1 || level > 19) {
    throw new AppError(
      'invalid_argument',
      `zstd level ${level} is not supported: use a whole number from 1 to 19`,
    );
  }
  return new ZstdProcess(opts.binary ?? 'zstd', [`-${level}`, '-T0', '-q', '-c'], 'compression');
}

/** `zstd -d -q -c`: write a compressed frame, read the plain bytes. */
export function zstdDecompress(opts: ZstdOptions = {}): Duplex {
  return new ZstdProcess(opts.binary ?? 'zstd', ['-d', '-q', '-c'], 'decompression');
}

/**
 * Data written goes to the process's stdin; its stdout is this stream's readable side. The readable
 * side ends only after the process exited with 0, so a clean 'end' means zstd succeeded.
 */
class ZstdProcess extends Duplex {
  readonly #child: ChildProcessWithoutNullStreams;
  #stderr = '';

  constructor(binary: string, args: string[], what: string) {
    super({ readableHighWaterMark: MiB, writableHighWaterMark: MiB });
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        this.destroy(
          new AppError(
            'failed_precondition',
            `zstd is not installed: apt-get install zstd (looked for ${binary})`,
            undefined,
            {
              cause: err,
            },
          ),
        );
      } else {
        this.destroy(
          new AppError('internal', `cannot run ${binary} for ${what}: ${err.message}`, undefined, {
            cause: err,
          }),
        );
      }
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (this.#stderr.length < MAX_STDERR) this.#stderr += text;
    });
    // EPIPE when zstd exits early: the exit status below reports the real failure
    child.stdin.on('error', () => {});
    child.on('close', (code, signal) => {
      if (this.destroyed) return;
      if (code === 0) {
        this.push(null);
        return;
      }
      const status = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
      const said = this.#stderr.trim().slice(0, MAX_STDERR) || 'no message';
      this.destroy(new AppError('internal', `zstd ${what} failed: zstd ${status}: ${said}`));
    });
  }

  override _read(): void {
    this.#child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.#child.stdin.write(chunk)) done();
    else this.#child.stdin.once('drain', () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    this.#child.stdin.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child.stdout.destroy();
    child.stdin.destroy();
    done(err);
  }
}
