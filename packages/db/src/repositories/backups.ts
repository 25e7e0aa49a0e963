// Backups of /workspace in object storage; a backup counts for a restore only once verified.
import { randomUUID } from 'node:crypto';
import { AppError, type WorkspaceId } from '@atelier/protocol';
import type { Kysely, Selectable } from 'kysely';
import type { Backup, BackupsTable, Database } from '../schema.js';

export type NewBackup = Omit<Backup, 'id' | 'createdAt'>;

/** mysql2 and better-sqlite3 both return bigint columns as numbers; this keeps it so if one did not. */
function toBackup(row: Selectable<BackupsTable>): Backup {
  return { ...row, size: Number(row.size) };
}

export class BackupRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  async create(input: NewBackup): Promise<Backup> {
    if (!Number.isSafeInteger(input.size) || input.size < 0) {
      throw new AppError('invalid_argument', `backup size ${input.size} is not a whole number of bytes`);
    }
    const row: Backup = { id: randomUUID(), ...input, createdAt: this.clock().toISOString() };
    await this.db.insertInto('backups').values(row).execute();
    return row;
  }

  /** The newest verified backup of the workspace: the one a restart restores. */
  async latestVerified(workspaceId: WorkspaceId): Promise<Backup | undefined> {
    const row = await this.db
      .selectFrom('backups')
      .selectAll()
      .where('workspaceId', '=', workspaceId)
      .where('verifiedAt', 'is not', null)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row && toBackup(row);
  }

  /** All backups of the workspace, newest first. */
  async listForWorkspace(workspaceId: WorkspaceId): Promise<Backup[]> {
    const rows = await this.db
      .selectFrom('backups')
      .selectAll()
      .where('workspaceId', '=', workspaceId)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toBackup);
  }

  async deleteForWorkspace(workspaceId: WorkspaceId): Promise<number> {
    const result = await this.db
      .deleteFrom('backups')
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
