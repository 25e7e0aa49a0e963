// Backup and restore of real tar streams through zstd and the local-folder storage, including corruption.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AppError } from '@atelier/protocol';
import { FsObjectStorage } from '../storage/fs.js';
import type { GetOptions } from '../storage/types.js';
import { openArchive, storeArchive } from './archive.js';

const B = 'atelier-user-test';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const appError = (code: string, pattern: RegExp) => (e: unknown) =>
  e instanceof AppError && e.code === code && pattern.test(e.message);

/** Reads a stream to the end, recording whether it ended cleanly and what error it raised. */
async function drain(stream: Readable): Promise<{ data: Buffer; ended: boolean; error?: unknown }> {
  const chunks: Buffer[] = [];
  let ended = false;
  return new Promise((resolve) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      ended = true;
    });
    stream.on('error', (error) => resolve({ data: Buffer.concat(chunks), ended, error }));
    stream.on('close', () => resolve({ data: Buffer.concat(chunks), ended }));
  });
}

/** The on-disk data file of an object, so a test can damage it the way a bad disk would. */
async function dataFileOf(root: string, key: string): Promise<string> {
  const dir = join(root, B, 'objects', ...key.split('/'));
  const name = (await readdir(dir)).find((n) => n.startsWith('@data.'));
  assert.ok(name, `no data file in ${dir}`);
  return join(dir, name);
}

describe('workspace archives', () => {
  let root: string;
  let tree: string;
  let tarBytes: Buffer;
  let storage: FsObjectStorage;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'atelier-archive-'));
    tree = join(root, 'tree');
    await mkdir(join(tree, 'src', 'deep'), { recursive: true });
    await mkdir(join(tree, 'empty-dir'));
    await writeFile(join(tree, 'README.md'), '# hello\n'.repeat(1000));
    await writeFile(join(tree, 'src', 'deep', 'random.bin'), randomBytes(3 * 1024 * 1024));
    await writeFile(join(tree, 'src', 'zeros'), Buffer.alloc(2 * 1024 * 1024));
    await writeFile(join(tree, 'empty'), '');
    await symlink('README.md', join(tree, 'link'));
    tarBytes = spawnSync('tar', ['-c', '-C', tree, '.'], { maxBuffer: 64 * 1024 * 1024 }).stdout;
    storage = new FsObjectStorage(join(root, 'storage'));
    await storage.ensureBucket(B);
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('stores a tar from a running tar process, verified, and restores the same tree', async () => {
    const tar = spawn('tar', ['-c', '-C', tree, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const stored = await storeArchive({
      storage,
      bucket: B,
      key: 'workspaces/w1/full.tar.zst',
      tar: tar.stdout,
      metadata: { workspaceId: 'w1' },
    });
    assert.equal(stored.uncompressedSize, tarBytes.length);
    const info = await storage.head(B, 'workspaces/w1/full.tar.zst');
    assert.deepEqual(
      [info?.size, info?.sha256, info?.metadata],
      [stored.size, stored.sha256, { workspaceId: 'w1' }],
    );
    assert.ok(stored.size < tarBytes.length * 0.7, `compressed ${tarBytes.length} to ${stored.size} bytes`);
    assert.ok(Date.now() - stored.verifiedAt.getTime() < 60_000);

    const restored = join(root, 'restored');
    await mkdir(restored);
    const archive = await openArchive({ storage, bucket: B, key: stored.key, expectedSha256: stored.sha256 });
    const untar = spawn('tar', ['-x', '-C', restored], { stdio: ['pipe', 'inherit', 'inherit'] });
    archive.pipe(untar.stdin);
    const code = await new Promise((resolve) => untar.on('close', resolve));
    assert.equal(code, 0);
    const diff = spawnSync('diff', ['-r', '--no-dereference', tree, restored], { encoding: 'utf8' });
    assert.equal(diff.status, 0, diff.stdout + diff.stderr);
  });

  it('restores the exact tar bytes, and the stored object is plain zstd an operator can read', async () => {
    const stored = await storeArchive({
      storage,
      bucket: B,
      key: 'exact',
      tar: Readable.from([tarBytes]),
      level: 3,
    });
    const { data, ended, error } = await drain(
      await openArchive({ storage, bucket: B, key: 'exact', expectedSha256: stored.sha256.toUpperCase() }),
    );
    assert.equal(error, undefined);
    assert.ok(ended && data.equals(tarBytes));
    const file = await readFile(await dataFileOf(join(root, 'storage'), 'exact'));
    assert.equal(sha(file), stored.sha256);
    assert.ok(
      spawnSync('zstd', ['-d', '-q', '-c'], { input: file, maxBuffer: 64 << 20 }).stdout.equals(tarBytes),
    );
  });

  it('fails the restore before its end when a stored byte flipped', async () => {
    const stored = await storeArchive({ storage, bucket: B, key: 'flipped', tar: Readable.from([tarBytes]) });
    const path = await dataFileOf(join(root, 'storage'), 'flipped');
    const bytes = await readFile(path);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0x40;
    await writeFile(path, bytes);
    const { ended, error } = await drain(
      await openArchive({ storage, bucket: B, key: 'flipped', expectedSha256: stored.sha256 }),
    );
    assert.equal(ended, false, 'the consumer saw a clean end of a corrupt archive');
    assert.ok(
      appError(
        'failed_precondition',
        /^backup atelier-user-test\/flipped is corrupt: sha256 .* is [0-9a-f]{64}, expected [0-9a-f]{64}/,
      )(error),
      String(error),
    );
  });

  it('holds back the end when the object decompresses fine but is not the recorded backup', async () => {
    const recorded = await storeArchive({
      storage,
      bucket: B,
      key: 'swapped',
      tar: Readable.from([tarBytes]),
    });
    await storeArchive({ storage, bucket: B, key: 'swapped', tar: Readable.from([Buffer.alloc(10240)]) });
    const { ended, error } = await drain(
      await openArchive({ storage, bucket: B, key: 'swapped', expectedSha256: recorded.sha256 }),
    );
    assert.equal(ended, false, 'the consumer saw a clean end of the wrong archive');
    assert.ok(appError('failed_precondition', /swapped is corrupt: sha256/)(error), String(error));
  });

  it('refuses to restore a missing backup and says what to do', async () => {
    await assert.rejects(
      openArchive({
        storage,
        bucket: B,
        key: 'workspaces/gone/full.tar.zst',
        expectedSha256: 'a'.repeat(64),
      }),
      (e: unknown) =>
        e instanceof AppError &&
        e.code === 'failed_precondition' &&
        e.message ===
          'the backup atelier-user-test/workspaces/gone/full.tar.zst recorded for this workspace cannot be read: it does not exist. The workspace was not started from a fresh clone so that nothing is lost; restore the object or delete the workspace',
    );
  });

  it('stores nothing when the tar stream fails midway, and keeps the previous backup', async () => {
    const previous = await storeArchive({
      storage,
      bucket: B,
      key: 'broken',
      tar: Readable.from([tarBytes]),
    });
    async function* failing() {
      yield tarBytes.subarray(0, 4 * 1024 * 1024);
      throw new Error('the container went away');
    }
    await assert.rejects(
      storeArchive({ storage, bucket: B, key: 'broken', tar: Readable.from(failing()) }),
      /the container went away/,
    );
    await assert.rejects(
      storeArchive({ storage, bucket: B, key: 'never', tar: Readable.from(failing()) }),
      /the container went away/,
    );
    assert.equal((await storage.head(B, 'broken'))?.sha256, previous.sha256);
    assert.equal(await storage.head(B, 'never'), undefined);
    assert.deepEqual(await readdir(join(root, 'storage', B, '.tmp')), []);
  });

  it('rejects when the storage refuses the upload, without hanging the tar stream', async () => {
    const tar = Readable.from([tarBytes]);
    await assert.rejects(
      storeArchive({ storage, bucket: 'no-such-bucket', key: 'k', tar }),
      appError('not_found', /bucket no-such-bucket does not exist/),
    );
  });

  it('deletes the object and fails when the read-back differs from what was written', async () => {
    class BitRotStorage extends FsObjectStorage {
      override async get(bucket: string, key: string, opts?: GetOptions): Promise<Readable> {
        const data: Buffer[] = [];
        for await (const c of await super.get(bucket, key, opts)) data.push(c as Buffer);
        const all = Buffer.concat(data);
        all[0] = (all[0] ?? 0) ^ 1;
        return Readable.from([all]);
      }
    }
    const rotten = new BitRotStorage(join(root, 'storage'));
    await assert.rejects(
      storeArchive({ storage: rotten, bucket: B, key: 'rot', tar: Readable.from([tarBytes]) }),
      appError('internal', /^backup verification failed for atelier-user-test\/rot: .*reading it back gave/),
    );
    assert.equal(await storage.head(B, 'rot'), undefined);
  });
});
