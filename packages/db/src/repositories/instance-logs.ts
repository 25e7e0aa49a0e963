// Logs of an instance (an image build, a task's output) as numbered chunks: any process appends,
// any process follows by asking for the chunks after the last one it has seen.
import type { InstanceId, WorkspaceId } from '@atelier/protocol';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../dialect.js';
import type { Database, InstanceLogChunk } from '../schema.js';

/** Larger chunks are split so that one row stays well under MySQL's max_allowed_packet. */
export const MAX_CHUNK_CHARS = 256 * 1024;

export class InstanceLogRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  /** Appends text to the stream; returns the sequence number of the last chunk written. */
  async append(instanceId: InstanceId, stream: string, text: string): Promise<number> {
    let seq = -1;
    for (let at = 0; at < text.length || at === 0; at += MAX_CHUNK_CHARS) {
      seq = await this.appendOne(instanceId, stream, text.slice(at, at + MAX_CHUNK_CHARS));
      if (text.length === 0) break;
    }
    return seq;
  }

  private async appendOne(instanceId: InstanceId, stream: string, chunk: string): Promise<number> {
    // two writers of one stream race for the next number; the primary key lets exactly one win
    for (let attempt = 0; ; attempt++) {
      const last = await this.lastSeq(instanceId, stream);
      const row: InstanceLogChunk = {
        instanceId,
        stream,
        seq: last + 1,
        chunk,
        createdAt: this.clock().toISOString(),
      };
      try {
        await this.db.insertInto('instanceLogs').values(row).execute();
        return row.seq;
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 20) throw error;
      }
    }
  }

  /** The number of the newest chunk, -1 when the stream is empty. */
  async lastSeq(instanceId: InstanceId, stream: string): Promise<number> {
    const row = await this.db
      .selectFrom('instanceLogs')
      .select((eb) => eb.fn.max('seq').as('last'))
      .where('instanceId', '=', instanceId)
      .where('stream', '=', stream)
      .executeTakeFirst();
    return row?.last == null ? -1 : Number(row.last);
  }

  /** Chunks after `afterSeq` (all with -1), oldest first, at most `limit`. */
  async read(
    instanceId: InstanceId,
    stream: string,
    afterSeq = -1,
    limit = 1000,
  ): Promise<InstanceLogChunk[]> {
    const rows = await this.db
      .selectFrom('instanceLogs')
      .selectAll()
      .where('instanceId', '=', instanceId)
      .where('stream', '=', stream)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
  }

  /** The whole stream as one text. */
  async text(instanceId: InstanceId, stream: string): Promise<string> {
    let out = '';
    let after = -1;
    for (;;) {
      const rows = await this.read(instanceId, stream, after);
      if (rows.length === 0) return out;
      for (const r of rows) out += r.chunk;
      after = rows[rows.length - 1]?.seq ?? after;
    }
  }

  /** The names of the instance's streams. */
  async streams(instanceId: InstanceId): Promise<string[]> {
    const rows = await this.db
      .selectFrom('instanceLogs')
      .select('stream')
      .distinct()
      .where('instanceId', '=', instanceId)
      .orderBy('stream')
      .execute();
    return rows.map((r) => r.stream);
  }

  /** Removes the logs of every instance of the workspace (before the instances themselves). */
  async deleteForWorkspace(workspaceId: WorkspaceId): Promise<void> {
    await this.db
      .deleteFrom('instanceLogs')
      .where('instanceId', 'in', (eb) =>
        eb.selectFrom('workspaceInstances').select('id').where('workspaceId', '=', workspaceId),
      )
      .execute();
  }
}
