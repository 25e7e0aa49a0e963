// Backup of /workspace to object storage on stop, and its restore on the next start.
import { backupKey, openArchive, storeArchive, userBucket } from '@atelier/content';
import type { Backup, Instance } from '@atelier/db';
import { AppError } from '@atelier/protocol';
import { type LifecycleContext, runtimeRecord } from '../context.js';

/** Paths left out of every backup (relative to /workspace, tar syntax). */
const EXCLUDED = ['./.gitpod/ready'];

/**
 * Archives /workspace of a stopped instance, uploads it, reads it back to verify, and records it.
 * Only a verified backup is recorded; the container and volume are untouched here.
 */
export async function backupContent(ctx: LifecycleContext, instance: Instance): Promise<Backup> {
  const { ref } = runtimeRecord(instance);
  const workspace = await ctx.repos.workspaces.get(instance.workspaceId, { includeDeleted: true });
  if (!workspace) throw new AppError('not_found', `workspace ${instance.workspaceId} is gone`);
  const bucket = userBucket(workspace.ownerId);
  await ctx.storage.ensureBucket(bucket);
  const started = Date.now();
  const exported = await ctx.runtime.exportContent(ref, instance.image, EXCLUDED);
  const [stored] = await Promise.all([
    storeArchive({
      storage: ctx.storage,
      bucket,
      key: backupKey(instance.workspaceId),
      tar: exported.tar,
      metadata: { workspaceId: instance.workspaceId, instanceId: instance.id },
    }),
    exported.done,
  ]);
  const backup = await ctx.repos.backups.create({
    workspaceId: instance.workspaceId,
    instanceId: instance.id,
    bucket: stored.bucket,
    objectKey: stored.key,
    size: stored.size,
    sha256: stored.sha256,
    verifiedAt: stored.verifiedAt.toISOString(),
  });
  ctx.logger.info(
    {
      workspaceId: instance.workspaceId,
      instanceId: instance.id,
      size: stored.size,
      uncompressedSize: stored.uncompressedSize,
      ms: Date.now() - started,
    },
    'backup stored and verified',
  );
  return backup;
}

/** Streams the last verified backup into /workspace of the running container. */
export async function restoreContent(ctx: LifecycleContext, instance: Instance): Promise<void> {
  const backup = await ctx.repos.backups.latestVerified(instance.workspaceId);
  if (!backup) {
    throw new AppError(
      'failed_precondition',
      'this workspace was to be restored from a backup, but none is recorded any more',
    );
  }
  const { ref } = runtimeRecord(instance);
  const started = Date.now();
  const tar = await openArchive({
    storage: ctx.storage,
    bucket: backup.bucket,
    key: backup.objectKey,
    expectedSha256: backup.sha256,
  });
  // a corrupt archive fails the stream at its end; putArchive alone might not notice
  await new Promise<void>((resolve, reject) => {
    tar.once('error', reject);
    ctx.runtime.importContent(ref, tar).then(resolve, reject);
  });
  ctx.logger.info(
    {
      workspaceId: instance.workspaceId,
      instanceId: instance.id,
      size: backup.size,
      ms: Date.now() - started,
    },
    'backup restored',
  );
}
