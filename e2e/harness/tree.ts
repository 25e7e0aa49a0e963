// Writes a demanding file tree into a workspace and takes a manifest of /workspace (paths, types,
// modes, owners, sizes, hashes, link targets, hard-link groups) to compare across backup/restore.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function podmanExec(
  container: string,
  user: string,
  script: string,
  interpreter = 'bash',
): Promise<string> {
  const { stdout } = await run(
    'podman',
    ['exec', '-u', user, '-w', '/workspace', container, interpreter, '-c', script],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return stdout;
}

/** ≥ 100 MB: 4000 small files, 3 × 30 MB random files, and every kind of entry a backup must keep. */
export const WRITE_TREE = String.raw`
set -euo pipefail
mkdir -p tree/small tree/empty-dir tree/nested/a/b/c
python3 - <<'PY'
import os, random
random.seed(7)
for i in range(4000):
    d = f"tree/small/d{i % 40}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i}.txt", "wb") as f:
        f.write(os.urandom(random.randint(64, 4096)) if i % 3 == 0 else (f"line {i}\n" * random.randint(1, 200)).encode())
for i in range(3):
    with open(f"tree/large-{i}.bin", "wb") as f:
        for _ in range(30):
            f.write(os.urandom(1 << 20))
PY
printf '#!/bin/sh\necho run\n' > tree/run.sh && chmod 755 tree/run.sh
chmod 640 tree/small/d1/f1.txt
ln -s large-0.bin tree/link-to-large
ln -s ../missing/target tree/dangling-link
ln tree/large-1.bin tree/hard-link-to-large-1
echo "uncommitted change" >> hello/README.md
echo "untracked" > hello/untracked.txt
`;

/** Run as root: a file owned by root that the workspace user cannot read. */
export const WRITE_ROOT_FILE =
  'echo secret > tree/owned-by-root && chown 0:0 tree/owned-by-root && chmod 600 tree/owned-by-root';

export const MANIFEST = `
import hashlib, json, os, stat
root = "/workspace"
inodes = {}
out = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(dirnames) + sorted(filenames):
        p = os.path.join(dirpath, name)
        rel = os.path.relpath(p, root)
        if rel == ".gitpod/ready":
            continue
        st = os.lstat(p)
        e = {"path": rel, "mode": oct(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}
        if stat.S_ISLNK(st.st_mode):
            e["link"] = os.readlink(p)
        elif stat.S_ISREG(st.st_mode):
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            e["size"] = st.st_size
            e["sha256"] = h.hexdigest()
            if st.st_nlink > 1:
                e["hardlinkGroup"] = inodes.setdefault(st.st_ino, rel)
        out.append(e)
st = os.lstat(root)
out.append({"path": ".", "mode": oct(st.st_mode), "uid": st.st_uid, "gid": st.st_gid})
print(json.dumps(out))
`;

export interface ManifestEntry {
  path: string;
  mode: string;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  link?: string;
  hardlinkGroup?: string;
}

export async function manifest(container: string): Promise<ManifestEntry[]> {
  const out = await podmanExec(container, '0', MANIFEST, 'python3');
  return JSON.parse(out) as ManifestEntry[];
}
