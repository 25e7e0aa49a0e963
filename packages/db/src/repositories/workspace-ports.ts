// Port visibility as the owner changed it at run time; it overrides the configuration file's.
import type { PortVisibility, WorkspaceId } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';
import type { Database, WorkspacePort } from '../schema.js';

export class WorkspacePortRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  /** The workspace's overrides, by port. */
  async list(workspaceId: WorkspaceId): Promise<WorkspacePort[]> {
    const rows = await this.db
      .selectFrom('workspacePorts')
      .selectAll()
      .where('workspaceId', '=', workspaceId)
      .orderBy('port')
      .execute();
    return rows.map((r) => ({ ...r, port: Number(r.port) }));
  }

  /** Records the port's visibility, replacing an earlier one; one statement, so concurrent calls cannot collide. */
  async set(workspaceId: WorkspaceId, port: number, visibility: PortVisibility): Promise<WorkspacePort> {
    const row: WorkspacePort = { workspaceId, port, visibility, updatedAt: this.clock().toISOString() };
    const change = { visibility: row.visibility, updatedAt: row.updatedAt };
    const insert = this.db.insertInto('workspacePorts').values(row);
    await (dialectOf(this.db) === 'mysql'
      ? insert.onDuplicateKeyUpdate(change)
      : insert.onConflict((oc) => oc.columns(['workspaceId', 'port']).doUpdateSet(change))
    ).execute();
    return row;
  }

  /** Removes every override of the workspace (when it is deleted); returns how many there were. */
  async deleteForWorkspace(workspaceId: WorkspaceId): Promise<number> {
    const result = await this.db
      .deleteFrom('workspacePorts')
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
