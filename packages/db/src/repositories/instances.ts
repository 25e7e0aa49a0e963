// Workspace instances (one per start): phases with the time each was entered, and compare-and-set
// transitions so that two controllers never both act on the same phase change.
import { randomUUID } from 'node:crypto';
import { AppError, type InstanceId, type Phase, type WorkspaceId } from '@atelier/protocol';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type {
  ContentSourceKind,
  Database,
  DesiredPhase,
  Instance,
  WorkspaceInstancesTable,
} from '../schema.js';

export interface NewInstance {
  id?: InstanceId;
  workspaceId: WorkspaceId;
  phase: Phase;
  desiredPhase: DesiredPhase;
  ownerTokenSealed: string;
  supervisorTokenSealed: string;
  image: string;
  contentSource?: ContentSourceKind | null;
}

/** Fields a phase transition may set along with the phase. */
export interface TransitionPatch {
  message?: string | null;
  failed?: string | null;
  stoppedReason?: string | null;
  contentSource?: ContentSourceKind | null;
}

/** Fields that change without a phase change. */
export interface InstancePatch {
  desiredPhase?: DesiredPhase;
  message?: string | null;
  failed?: string | null;
  runtime?: unknown | null;
  lastActivityAt?: string | null;
  lastActivitySource?: string | null;
  ideClosedAt?: string | null;
  workspaceTokenHash?: string | null;
  contentSource?: ContentSourceKind | null;
  image?: string;
}

type Change = (current: Instance) => Partial<Instance>;

/** Attempts before a write that keeps losing to concurrent writers gives up. */
const MAX_ATTEMPTS = 20;

function parseJson(id: string, column: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError(
      'internal',
      `instance ${id} has invalid JSON in ${column} — the row was changed by hand`,
    );
  }
}

function toInstance(row: Selectable<WorkspaceInstancesTable>): Instance {
  const phaseTimes = parseJson(row.id, 'phase_times', row.phaseTimes);
  if (typeof phaseTimes !== 'object' || phaseTimes === null || Array.isArray(phaseTimes)) {
    throw new AppError('internal', `instance ${row.id} has phase_times that is not a JSON object`);
  }
  return {
    ...row,
    phaseTimes: phaseTimes as Instance['phaseTimes'],
    runtime: row.runtime === null ? null : parseJson(row.id, 'runtime', row.runtime),
  };
}

/** Only the keys that are set, so an omitted field keeps its value. */
function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class InstanceRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: () => Date,
  ) {}

  async create(input: NewInstance): Promise<Instance> {
    const now = this.clock().toISOString();
    const instance: Instance = {
      id: input.id ?? (randomUUID() as InstanceId),
      workspaceId: input.workspaceId,
      phase: input.phase,
      phaseTimes: { [input.phase]: now },
      createdAt: now,
      desiredPhase: input.desiredPhase,
      failed: null,
      message: null,
      stoppedReason: null,
      contentSource: input.contentSource ?? null,
      ownerTokenSealed: input.ownerTokenSealed,
      supervisorTokenSealed: input.supervisorTokenSealed,
      image: input.image,
      runtime: null,
      lastActivityAt: null,
      lastActivitySource: null,
      ideClosedAt: null,
      workspaceTokenHash: null,
      version: 0,
    };
    await this.db
      .insertInto('workspaceInstances')
      .values({ ...instance, phaseTimes: JSON.stringify(instance.phaseTimes), runtime: null })
      .execute();
    return instance;
  }

  async get(id: InstanceId): Promise<Instance | undefined> {
    const row = await this.db
      .selectFrom('workspaceInstances')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toInstance(row);
  }

  /** The workspace's newest instance (the current start, or the last one). */
  async latestForWorkspace(workspaceId: WorkspaceId): Promise<Instance | undefined> {
    const row = await this.db
      .selectFrom('workspaceInstances')
      .selectAll()
      .where('workspaceId', '=', workspaceId)
      .orderBy('createdAt', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    return row && toInstance(row);
  }

  /** The instance whose workspace-scoped token has this hash (only set while it may run). */
  async findByWorkspaceToken(tokenHash: string): Promise<Instance | undefined> {
    const row = await this.db
      .selectFrom('workspaceInstances')
      .selectAll()
      .where('workspaceTokenHash', '=', tokenHash)
      .executeTakeFirst();
    return row && toInstance(row);
  }

  /** Instances in any phase but stopped, oldest first: what a controller resumes after a restart. */
  async listNotStopped(): Promise<Instance[]> {
    const rows = await this.db
      .selectFrom('workspaceInstances')
      .selectAll()
      .where('phase', '!=', 'stopped')
      .orderBy('createdAt')
      .orderBy('id')
      .execute();
    return rows.map(toInstance);
  }

  /** Moves to `phase` from whatever phase the instance is in. */
  async transition(id: InstanceId, phase: Phase, patch: TransitionPatch = {}): Promise<Instance> {
    return this.write(id, undefined, (current) => this.entering(current, phase, patch));
  }

  /**
   * Moves to `phase` only if the instance is in one of `fromPhases`, in one UPDATE … WHERE phase IN
   * (…); undefined when it was not (someone else moved it first).
   */
  async transitionIf(
    id: InstanceId,
    fromPhases: readonly Phase[],
    phase: Phase,
    patch: TransitionPatch = {},
  ): Promise<Instance | undefined> {
    return this.write(id, fromPhases, (current) => this.entering(current, phase, patch));
  }

  async update(id: InstanceId, patch: InstancePatch): Promise<Instance> {
    return this.write(id, undefined, () => defined(patch));
  }

  async deleteForWorkspace(workspaceId: WorkspaceId): Promise<number> {
    const result = await this.db
      .deleteFrom('workspaceInstances')
      .where('workspaceId', '=', workspaceId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private entering(current: Instance, phase: Phase, patch: TransitionPatch): Partial<Instance> {
    const phaseTimes = { ...current.phaseTimes };
    phaseTimes[phase] ??= this.clock().toISOString();
    return { ...defined(patch), phase, phaseTimes };
  }

  /**
   * Reads the row, computes the change, and writes it only if nobody wrote in between (same
   * version) and, with fromPhases, only if the phase is one of them. Retries when another writer
   * won; undefined when the phase no longer matches.
   */
  private write(id: InstanceId, fromPhases: undefined, change: Change): Promise<Instance>;
  private write(id: InstanceId, fromPhases: readonly Phase[], change: Change): Promise<Instance | undefined>;
  private async write(
    id: InstanceId,
    fromPhases: readonly Phase[] | undefined,
    change: Change,
  ): Promise<Instance | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.get(id);
      if (!current) throw new AppError('not_found', `workspace instance ${id} does not exist`);
      if (fromPhases && !fromPhases.includes(current.phase)) return undefined;
      const changed = change(current);
      const next: Instance = { ...current, ...changed, version: current.version + 1 };
      const { phaseTimes, runtime, ...plain } = changed;
      const values: Updateable<WorkspaceInstancesTable> = { ...plain, version: next.version };
      if (phaseTimes) values.phaseTimes = JSON.stringify(phaseTimes);
      if (runtime !== undefined) values.runtime = runtime === null ? null : JSON.stringify(runtime);
      let query = this.db
        .updateTable('workspaceInstances')
        .set(values)
        .where('id', '=', id)
        .where('version', '=', current.version);
      if (fromPhases) query = query.where('phase', 'in', fromPhases);
      const result = await query.executeTakeFirst();
      if (result.numUpdatedRows > 0n) return next;
    }
    throw new AppError(
      'unavailable',
      `workspace instance ${id} changed ${MAX_ATTEMPTS} times while it was being written — try again`,
    );
  }
}
