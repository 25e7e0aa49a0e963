// Splits the Docker attach/exec stream (8-byte frame headers) into stdout, with backpressure.
// dockerode's demuxStream writes without waiting, which would buffer a whole backup in memory.
import { Transform, type TransformCallback } from 'node:stream';

const STDERR_LIMIT = 64 * 1024;

export class StdoutDemux extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private stderrChunks: Buffer[] = [];
  private stderrBytes = 0;

  /** The container's stderr so far (the last 64 KiB), for error messages. */
  get stderr(): string {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (this.pending.length - offset >= 8) {
      const type = this.pending[offset];
      const size = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset - 8 < size) break;
      const payload = this.pending.subarray(offset + 8, offset + 8 + size);
      if (type === 1) this.push(payload);
      else if (type === 2) this.keepStderr(payload);
      offset += 8 + size;
    }
    this.pending = this.pending.subarray(offset);
    done();
  }

  override _flush(done: TransformCallback): void {
    done(
      this.pending.length
        ? new Error(`container output ended inside a frame (${this.pending.length} bytes left)`)
        : null,
    );
  }

  private keepStderr(payload: Buffer): void {
    this.stderrChunks.push(Buffer.from(payload));
    this.stderrBytes += payload.length;
    while (this.stderrBytes > STDERR_LIMIT && this.stderrChunks.length > 1) {
      this.stderrBytes -= this.stderrChunks.shift()?.length ?? 0;
    }
  }
}
