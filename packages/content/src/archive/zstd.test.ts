// zstd streams against the real zstd binary: round trip, and every way the process can fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { AppError } from '@atelier/protocol';
import { zstdCompress, zstdDecompress } from './zstd.js';

async function through(stream: Duplex, input: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(Readable.from([input]), stream, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

describe('zstd streams', () => {
  const input = Buffer.concat([randomBytes(2 * 1024 * 1024), Buffer.alloc(3 * 1024 * 1024, 'text text ')]);

  it('round-trips, and what it writes is plain zstd that the CLI reads', async () => {
    const compressed = await through(zstdCompress(), input);
    assert.ok(compressed.length < input.length * 0.6, `compressed to ${compressed.length} bytes`);
    assert.ok((await through(zstdDecompress(), compressed)).equals(input));
    const cli = spawnSync('zstd', ['-d', '-q', '-c'], { input: compressed, maxBuffer: 64 * 1024 * 1024 });
    assert.ok(cli.stdout.equals(input));
  });

  it('honours the level', async () => {
    const text = Buffer.from('lorem ipsum dolor sit amet '.repeat(200_000));
    const fast = await through(zstdCompress({ level: 1 }), text);
    const small = await through(zstdCompress({ level: 19 }), text);
    assert.ok(small.length < fast.length, `level 19 gave ${small.length} bytes, level 1 ${fast.length}`);
    assert.throws(
      () => zstdCompress({ level: 0 }),
      (e: unknown) => e instanceof AppError && e.code === 'invalid_argument',
    );
  });

  it('says how to install zstd when the binary is missing', async () => {
    await assert.rejects(
      through(zstdCompress({ binary: '/nonexistent/zstd' }), input),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'failed_precondition' &&
        /^zstd is not installed: apt-get install zstd/.test(e.message),
    );
  });

  it("fails the stream with zstd's own message on bad input, without a clean end", async () => {
    const stream = zstdDecompress();
    let ended = false;
    stream.on('end', () => {
      ended = true;
    });
    await assert.rejects(
      through(stream, Buffer.from('this is not a zstd frame at all')),
      (e: unknown) =>
        e instanceof AppError && /zstd decompression failed: zstd exited with code 1: .*\S/.test(e.message),
    );
    assert.equal(ended, false);
  });

  it('fails when the process exits non-zero even with no output', async () => {
    await assert.rejects(
      through(zstdCompress({ binary: 'false' }), input),
      /zstd exited with code 1: no message/,
    );
  });
});
