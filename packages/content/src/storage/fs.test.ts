// The local-folder object storage against a real temporary folder: semantics, atomicity and crash safety.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AppError } from '@atelier/protocol';
import { FsObjectStorage } from './fs.js';

const B = 'test-bucket';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const body = (...chunks: Buffer[]) => Readable.from(chunks);
async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
const isAppError = (code: string, pattern: RegExp) => (e: unknown) =>
  e instanceof AppError && e.code === code && pattern.test(e.message);
/** Every file under `dir`, relative, so a test can see what a crash or a failure left on disk. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('FsObjectStorage', () => {
  let root: string;
  let storage: FsObjectStorage;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'atelier-fs-'));
    storage = new FsObjectStorage(root);
    await storage.ensureBucket(B);
    await storage.ensureBucket(B); // idempotent
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('stores bytes with their size, sha256 and metadata, and reads them back', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const put = await storage.put(B, 'ws/one.bin', body(data.subarray(0, 1000), data.subarray(1000)), {
      metadata: { workspaceId: 'w1' },
    });
    assert.deepEqual(put, { size: data.length, sha256: sha(data), etag: sha(data) });
    assert.ok((await read(await storage.get(B, 'ws/one.bin'))).equals(data));
    const info = await storage.head(B, 'ws/one.bin');
    assert.equal(info?.size, data.length);
    assert.equal(info?.sha256, sha(data));
    assert.deepEqual(info?.metadata, { workspaceId: 'w1' });
    assert.ok(info && Math.abs(info.lastModified.getTime() - Date.now()) < 60_000);
  });

  it('reads byte ranges (end inclusive) and refuses ranges outside the object', async () => {
    await storage.put(B, 'range.txt', body(Buffer.from('0123456789')));
    const range = async (start: number, end?: number) =>
      (
        await read(
          await storage.get(B, 'range.txt', { range: end === undefined ? { start } : { start, end } }),
        )
      ).toString();
    assert.equal(await range(2, 5), '2345');
    assert.equal(await range(7), '789');
    assert.equal(await range(8, 100), '89');
    await assert.rejects(range(10), isAppError('invalid_argument', /does not fit .*range\.txt \(10 bytes\)/));
    await assert.rejects(range(5, 4), isAppError('invalid_argument', /range 5-4/));
  });

  it('stores and reads an empty object', async () => {
    assert.equal((await storage.put(B, 'empty', body())).size, 0);
    assert.equal((await read(await storage.get(B, 'empty'))).length, 0);
  });

  it('says which object is missing', async () => {
    await assert.rejects(
      storage.get(B, 'no/such/key'),
      isAppError('not_found', /test-bucket\/no\/such\/key does not exist/),
    );
    assert.equal(await storage.head(B, 'no/such/key'), undefined);
    await assert.rejects(
      storage.put('no-such-bucket', 'k', body(Buffer.from('x'))),
      isAppError('not_found', /bucket no-such-bucket does not exist .*ensureBucket/),
    );
  });

  it('refuses bad names before touching the disk', async () => {
    await assert.rejects(
      storage.put('Bad_Bucket', 'k', body()),
      isAppError('invalid_argument', /bucket name/),
    );
    await assert.rejects(storage.get(B, '../escape'), isAppError('invalid_argument', /"\.\." segment/));
    await assert.rejects(storage.list(B, '/x'), isAppError('invalid_argument', /starts with "\/"/));
    await assert.rejects(
      storage.put(B, `a/${'x'.repeat(300)}`, body()),
      isAppError('invalid_argument', /longer than the 255 bytes/),
    );
    assert.deepEqual(await filesUnder(join(root, 'Bad_Bucket')), []);
  });

  it('keeps "a", "a/b" and keys named like its own files apart, and lists them sorted', async () => {
    await storage.ensureBucket('list-bucket');
    const keys = [
      'b',
      'a/b',
      'a',
      'a/@meta.json',
      '@data.x',
      'workspaces/12/full',
      'workspaces/1/full',
      'a/b/c',
    ];
    for (const key of keys) await storage.put('list-bucket', key, body(Buffer.from(`content of ${key}`)));
    for (const key of keys) {
      assert.equal((await read(await storage.get('list-bucket', key))).toString(), `content of ${key}`);
    }
    const listed = await storage.list('list-bucket', '');
    assert.deepEqual(
      listed.map((o) => o.key),
      ['@data.x', 'a', 'a/@meta.json', 'a/b', 'a/b/c', 'b', 'workspaces/1/full', 'workspaces/12/full'],
    );
    assert.equal(listed[1]?.size, 'content of a'.length);
    const keysOf = async (prefix: string) => (await storage.list('list-bucket', prefix)).map((o) => o.key);
    assert.deepEqual(await keysOf('workspaces/1'), ['workspaces/1/full', 'workspaces/12/full']);
    assert.deepEqual(await keysOf('workspaces/1/'), ['workspaces/1/full']);
    assert.deepEqual(await keysOf('a/'), ['a/@meta.json', 'a/b', 'a/b/c']);
    assert.deepEqual(await keysOf('nothing/'), []);
  });

  it('replaces an object and leaves only the new bytes on disk', async () => {
    await storage.put(B, 'over', body(Buffer.alloc(5000, 1)));
    await storage.put(B, 'over', body(Buffer.from('new')));
    assert.equal((await read(await storage.get(B, 'over'))).toString(), 'new');
    assert.deepEqual((await readdir(join(root, B, 'objects', 'over'))).length, 2); // @meta.json + one @data
  });

  it('deletes idempotently and prunes the folders it leaves empty', async () => {
    await storage.ensureBucket('del-bucket');
    await storage.put('del-bucket', 'deep/down/x', body(Buffer.from('x')));
    await storage.delete('del-bucket', 'deep/down/x');
    await storage.delete('del-bucket', 'deep/down/x');
    await storage.delete('del-bucket', 'never/was');
    await assert.rejects(storage.get('del-bucket', 'deep/down/x'), isAppError('not_found', /does not exist/));
    assert.deepEqual(await readdir(join(root, 'del-bucket', 'objects')), []);
  });

  it('deletes by prefix and reports how many', async () => {
    await storage.ensureBucket('prefix-bucket');
    for (const key of ['w/1/a', 'w/1/b', 'w/10/a', 'x'])
      await storage.put('prefix-bucket', key, body(Buffer.from(key)));
    assert.equal(await storage.deletePrefix('prefix-bucket', 'w/1/'), 2);
    assert.deepEqual(
      (await storage.list('prefix-bucket', '')).map((o) => o.key),
      ['w/10/a', 'x'],
    );
    assert.equal(await storage.deletePrefix('missing-bucket', ''), 0);
  });

  it('deletes a bucket only when empty unless forced', async () => {
    await storage.ensureBucket('gone-bucket');
    await storage.put('gone-bucket', 'k', body(Buffer.from('x')));
    await assert.rejects(
      storage.deleteBucket('gone-bucket'),
      isAppError('conflict', /gone-bucket .* still holds 1 object\(s\) \(first: k\).*force/),
    );
    assert.equal((await storage.head('gone-bucket', 'k'))?.size, 1);
    await storage.deleteBucket('gone-bucket', { force: true });
    await storage.deleteBucket('gone-bucket');
    assert.equal((await readdir(root)).includes('gone-bucket'), false);
    await assert.rejects(
      storage.list('gone-bucket', ''),
      isAppError('not_found', /gone-bucket does not exist/),
    );
    await storage.ensureBucket('empty-bucket');
    await storage.deleteBucket('empty-bucket');
    assert.equal((await readdir(root)).includes('empty-bucket'), false);
  });

  it('leaves the old object and no temp file when the body fails midway', async () => {
    await storage.put(B, 'keep', body(Buffer.from('old')));
    async function* failing() {
      yield randomBytes(2 * 1024 * 1024);
      throw new Error('the tar stream broke');
    }
    await assert.rejects(storage.put(B, 'keep', Readable.from(failing())), /the tar stream broke/);
    await assert.rejects(storage.put(B, 'fresh', Readable.from(failing())), /the tar stream broke/);
    assert.equal((await read(await storage.get(B, 'keep'))).toString(), 'old');
    assert.equal(await storage.head(B, 'fresh'), undefined);
    assert.deepEqual(await readdir(join(root, B, '.tmp')), []);
  });

  it('completes concurrent puts to one key; the last rename wins and stays consistent', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => Buffer.alloc(512 * 1024 + i, i + 1));
    const results = await Promise.all(bodies.map((b) => storage.put(B, 'race', body(b))));
    for (const [i, r] of results.entries()) assert.equal(r.sha256, sha(bodies[i]!));
    const got = await read(await storage.get(B, 'race'));
    const info = await storage.head(B, 'race');
    assert.equal(info?.sha256, sha(got));
    assert.ok(bodies.some((b) => b.equals(got)));
  });

  it('readers see the old or the new object while it is replaced, never a mix', async () => {
    const a = Buffer.alloc(256 * 1024, 'a');
    const b = Buffer.alloc(300 * 1024, 'b');
    await storage.put(B, 'flip', body(a));
    const writers = Array.from({ length: 10 }, (_, i) => storage.put(B, 'flip', body(i % 2 ? a : b)));
    const readers = Array.from({ length: 20 }, async () => {
      const got = await read(await storage.get(B, 'flip'));
      assert.ok(got.equals(a) || got.equals(b), `read ${got.length} bytes that are neither version`);
    });
    await Promise.all([...writers, ...readers]);
  });
});

describe('FsObjectStorage after a crash', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'atelier-crash-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('a put killed with SIGKILL leaves the old object, hides its temp file and the sweep removes it', async () => {
    const storage = new FsObjectStorage(root);
    await storage.ensureBucket(B);
    await storage.put(B, 'victim', body(Buffer.from('old and complete')));
    const fsModule = fileURLToPath(new URL('./fs.ts', import.meta.url));
    const script = `
      import { Readable } from 'node:stream';
      import { FsObjectStorage } from ${JSON.stringify(fsModule)};
      async function* slow() { for (;;) { yield Buffer.alloc(1 << 20, 7); process.stdout.write('chunk\\n'); await new Promise((r) => setTimeout(r, 20)); } }
      await new FsObjectStorage(${JSON.stringify(root)}).put(${JSON.stringify(B)}, 'victim', Readable.from(slow()));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      child.on('exit', () => reject(new Error('the writer exited before it was killed')));
      child.stdout.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.split('chunk').length > 4) {
          child.removeAllListeners('exit');
          child.kill('SIGKILL');
          child.on('exit', () => resolve());
        }
      });
    });
    const leftovers = await readdir(join(root, B, '.tmp'));
    assert.equal(leftovers.length, 1, 'the killed write left its temp file');
    assert.equal((await read(await storage.get(B, 'victim'))).toString(), 'old and complete');
    assert.equal((await storage.head(B, 'victim'))?.sha256, sha(Buffer.from('old and complete')));
    assert.deepEqual(
      (await storage.list(B, '')).map((o) => o.key),
      ['victim'],
    );

    // a restart one hour later: ensureBucket sweeps what is older than an hour
    const later = new FsObjectStorage(root, { now: () => Date.now() + 2 * 60 * 60 * 1000 });
    await later.ensureBucket(B);
    assert.deepEqual(await readdir(join(root, B, '.tmp')), []);
    assert.equal((await read(await later.get(B, 'victim'))).toString(), 'old and complete');
  });

  it('sweeps orphaned data and empty folders of crashed puts, but not recent ones', async () => {
    const storage = new FsObjectStorage(root);
    await storage.ensureBucket('sweep-bucket');
    await storage.put('sweep-bucket', 'kept', body(Buffer.from('kept')));
    const keyDir = join(root, 'sweep-bucket', 'objects', 'kept');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    // a crash between placing the data and committing the record: data no record names
    await writeFile(join(keyDir, '@data.orphan'), 'half a story');
    await utimes(join(keyDir, '@data.orphan'), old, old);
    await mkdir(join(root, 'sweep-bucket', 'objects', 'crashed', 'dir'), { recursive: true });
    await utimes(join(root, 'sweep-bucket', 'objects', 'crashed', 'dir'), old, old);
    await utimes(join(root, 'sweep-bucket', 'objects', 'crashed'), old, old);
    await writeFile(join(root, 'sweep-bucket', '.tmp', 'recent.data'), 'a write in flight');
    await writeFile(join(root, 'sweep-bucket', '.tmp', 'old.data'), 'a crashed write');
    await utimes(join(root, 'sweep-bucket', '.tmp', 'old.data'), old, old);

    assert.equal((await read(await storage.get('sweep-bucket', 'kept'))).toString(), 'kept');
    await new FsObjectStorage(root).ensureBucket('sweep-bucket');

    assert.deepEqual(await readdir(join(root, 'sweep-bucket', '.tmp')), ['recent.data']);
    assert.equal((await readdir(keyDir)).includes('@data.orphan'), false);
    assert.deepEqual((await readdir(join(root, 'sweep-bucket', 'objects'))).sort(), ['kept']);
    assert.equal((await read(await storage.get('sweep-bucket', 'kept'))).toString(), 'kept');
  });
});

describe('FsObjectStorage on a full disk', () => {
  it('reports a full disk and leaves nothing behind', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'atelier-enospc-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      await rm(dir, { recursive: true, force: true });
      // a full disk needs a small filesystem of its own; without root there is none to mount (CI is root)
      t.skip(
        `cannot mount a tmpfs here (${mounted.stderr.trim() || mounted.error?.message}); run as root to test ENOSPC`,
      );
      return;
    }
    t.after(async () => {
      spawnSync('umount', [dir]);
      await rm(dir, { recursive: true, force: true });
    });
    const storage = new FsObjectStorage(dir);
    await storage.ensureBucket(B);
    await storage.put(B, 'small', body(Buffer.from('fits')));
    await assert.rejects(
      storage.put(
        B,
        'huge',
        body(randomBytes(1024 * 1024), randomBytes(1024 * 1024), randomBytes(1024 * 1024)),
      ),
      isAppError(
        'resource_exhausted',
        new RegExp(`^disk full while writing ${B}/huge under ${dir}: free some space and try again$`),
      ),
    );
    assert.equal(await storage.head(B, 'huge'), undefined);
    assert.deepEqual(await readdir(join(dir, B, '.tmp')), []);
    assert.equal((await read(await storage.get(B, 'small'))).toString(), 'fits');
    assert.ok((await stat(join(dir, B))).isDirectory());
  });
});
