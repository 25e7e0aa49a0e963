// Workspaces: what a user asked for (a repository and ref); deletion is marked first, then done.
import { AppError, type UserId, type WorkspaceId } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../dialect.js';
import type { Database, Workspace } from '../schema.js';

export type NewWorkspace = Omit<
  Workspace,
  'createdAt' | 'deletedAt' | 'config' | 'contextEnv' | 'shared' | 'timeoutMs' | 'context'
> & {
  config?: string | null;
  contextEnv?: string | null;
  context?: string | null;
};

export class WorkspaceRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  async create(input: NewWorkspace): Promise<Workspace> {
    const row: Workspace = {
      ...input,
      config: input.config ?? null,
      contextEnv: input.contextEnv ?? null,
      context: input.context ?? null,
      shared: 0,
      timeoutMs: null,
      createdAt: this.clock().toISOString(),
      deletedAt: null,
    };
    try {
      await this.db.insertInto('workspaces').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('conflict', `workspace ${input.id} exists — create it with a new id`);
      }
      throw error;
    }
    return row;
  }

  /** The workspace; one marked deleted only with includeDeleted. */
  async get(id: WorkspaceId, opts: { includeDeleted?: boolean } = {}): Promise<Workspace | undefined> {
    let query = this.db.selectFrom('workspaces').selectAll().where('id', '=', id);
    if (!opts.includeDeleted) query = query.where('deletedAt', 'is', null);
    return query.executeTakeFirst();
  }

  /** The owner's workspaces that are not marked deleted, newest first. */
  async listByOwner(ownerId: UserId): Promise<Workspace[]> {
    return this.db
      .selectFrom('workspaces')
      .selectAll()
      .where('ownerId', '=', ownerId)
      .where('deletedAt', 'is', null)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .execute();
  }

  /** Turns the workspace-wide share switch on or off; false when there is no such workspace. */
  async setShared(id: WorkspaceId, shared: boolean): Promise<boolean> {
    const result = await this.db
      .updateTable('workspaces')
      .set({ shared: shared ? 1 : 0 })
      .where('id', '=', id)
      .where('deletedAt', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Sets the workspace's own inactivity time-out (ms), or clears it with null; false when there is no such workspace. */
  async setTimeout(id: WorkspaceId, timeoutMs: number | null): Promise<boolean> {
    const result = await this.db
      .updateTable('workspaces')
      .set({ timeoutMs })
      .where('id', '=', id)
      .where('deletedAt', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Marks the workspace deleted (idempotent: the first time is kept). */
  async markDeleted(id: WorkspaceId): Promise<void> {
    await this.db
      .updateTable('workspaces')
      .set({ deletedAt: this.clock().toISOString() })
      .where('id', '=', id)
      .where('deletedAt', 'is', null)
      .execute();
    if (!(await this.get(id, { includeDeleted: true }))) {
      throw new AppError('not_found', `workspace ${id} does not exist`);
    }
  }

  /** Removes the row for good; returns whether there was one. Instances and backups are the caller's. */
  async hardDelete(id: WorkspaceId): Promise<boolean> {
    const result = await this.db.deleteFrom('workspaces').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Workspaces marked deleted and not yet removed, oldest mark first. */
  async listMarkedDeleted(): Promise<Workspace[]> {
    return this.db
      .selectFrom('workspaces')
      .selectAll()
      .where('deletedAt', 'is not', null)
      .orderBy('deletedAt')
      .orderBy('id')
      .execute();
  }
}
