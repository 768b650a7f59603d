import { randomUUID } from 'node:crypto';
import type { Db } from '../db/knex.js';
import { isUniqueViolation } from '../db/knex.js';
import * as rows from '../db/rows.js';
import type { Filters, Row } from '../db/rows.js';
import { invalid, invalidParam, notFound, type InvalidParam, type Problem } from '../errors.js';
import type { Actor, WriteChange } from './audit.js';
import type { RemoteChecks } from './remote.js';
import type { Shapes } from './shapes.js';
import type { SyncPort } from './sync.js';
import type { ResourceName, Urls } from './urls.js';

export type Json = Record<string, unknown>;
export type { Row };

/** Everything a domain operation may use; the same for the APIs and the admin. */
export interface DomainContext {
  db: Db;
  urls: Urls;
  remote: RemoteChecks;
  shapes: Shapes;
  /** The outbox worker, when this process has one to wake and wait for. */
  sync?: SyncPort;
  /** Who is writing (per request); recorded in audit trails. */
  actor?: Actor;
  /** The bronorganisatie of klanten whose client gives none (KIC_DEFAULT_BRONORGANISATIE). */
  defaultBronorganisatie?: string;
  /**
   * Called inside the write's transaction for every create, update and delete made with this
   * context (the admin's audit log): the write and what records it are stored together or not at all.
   */
  onWrite?(c: DomainContext, def: ResourceDef, change: WriteChange): Promise<void>;
}

/** Outcome of turning list query parameters into column filters. */
export type ListFilters = { filters: Filters } | { empty: true };

/**
 * One resource of the standard: how its rows look in the API, how API input becomes columns
 * (with every validation rule that needs the database or another component), and its filters.
 * The generic operations below do the rest the same way for all eight resources.
 */
export interface ResourceDef {
  name: ResourceName;
  /** Prefix of the operationIds: klant, contactmoment, … */
  singular: string;
  /** Row → API representation with every property of the spec, in the reference's order. */
  toApi(row: Row, urls: Urls): Json;
  /**
   * Validates a complete input (create, or replace after merging a partial update) and returns
   * the column values. Throws a 400 Problem listing every field problem. On update, `sent` is what
   * the client sent (for a partial update only the given fields; `input` is then the merged whole).
   */
  toColumns(input: Json, ctx: DomainContext, existing?: Row, sent?: Json): Promise<Record<string, unknown>>;
  /** API fields that may not change once created (`wijzigen-niet-toegelaten`). */
  immutable?: readonly string[];
  /** Order of a paginated list (default oldest first). */
  listOrder?: 'asc' | 'desc';
  /** Turns validated list query parameters into column filters. */
  listFilters?(query: Record<string, string>, ctx: DomainContext): ListFilters;
  /** Refuses a delete that the standard forbids (e.g. while the remote relation exists). */
  beforeRemove?(row: Row, ctx: DomainContext): Promise<void>;
  /** Runs after a committed create; may undo it and throw (a remote refusal). */
  afterCreate?(row: Row, ctx: DomainContext): Promise<void>;
  /** Runs after a committed delete. */
  afterRemove?(row: Row, ctx: DomainContext): Promise<void>;
  /** The problem to report when a unique constraint fires on insert or update. */
  uniqueProblem?: InvalidParam;
  /**
   * How often a create is tried when a unique constraint fires (default 1: a duplicate is the client's 400). A resource that
   * generates a unique value needs about one attempt per concurrent create of the same kind.
   */
  insertAttempts?: number;
  /** Records a write (the audit trail); runs in the write's transaction, so both or neither are stored. */
  recordWrite?(ctx: DomainContext, change: WriteChange): Promise<void>;
  /**
   * Rows elsewhere that hold a row of this resource against change (a klant's pending working
   * copy): update and remove then refuse with `problem`. The check is part of the write statement,
   * so a hold taken concurrently is never overrun.
   */
  heldBy?: rows.Hold & { problem(): Problem };
}

const DEFAULT_UNIQUE: InvalidParam = {
  name: 'nonFieldErrors',
  code: 'unique',
  reason: 'This combination already exists.',
};

export async function get(ctx: DomainContext, def: ResourceDef, uuid: string): Promise<Row> {
  const row = await rows.findByUuid(ctx.db, def.name, uuid);
  if (!row) throw notFound();
  return row;
}

/** Every row matching the list filters, streamed in creation order. */
export function list(ctx: DomainContext, def: ResourceDef, query: Record<string, string>): AsyncIterable<Row> {
  const f = def.listFilters ? def.listFilters(query, ctx) : { filters: {} };
  if ('empty' in f) return (async function* () {})();
  return rows.streamRows(ctx.db, def.name, f.filters);
}

/** One page of the rows matching the list filters, and how many match in all. */
export async function listPage(
  ctx: DomainContext,
  def: ResourceDef,
  query: Record<string, string>,
  offset: number,
  limit: number,
): Promise<{ count: number; rows: Row[] }> {
  const f = def.listFilters ? def.listFilters(query, ctx) : { filters: {} };
  if ('empty' in f) return { count: 0, rows: [] };
  const [count, page] = await Promise.all([
    rows.countRows(ctx.db, def.name, f.filters),
    rows.pageRows(ctx.db, def.name, f.filters, offset, limit, def.listOrder),
  ]);
  return { count, rows: page };
}

/** Runs a write with its guard (heldBy) and its records (recordWrite, onWrite) in one transaction, when it has any. */
function transactional<T>(ctx: DomainContext, def: ResourceDef, write: (c: DomainContext) => Promise<T>): Promise<T> {
  if (!def.recordWrite && !def.heldBy && !ctx.onWrite) return write(ctx);
  return ctx.db.transaction((trx) => write({ ...ctx, db: trx }));
}

async function record(c: DomainContext, def: ResourceDef, change: WriteChange): Promise<void> {
  await def.recordWrite?.(c, change);
  await c.onWrite?.(c, def, change);
}

/**
 * Validates and inserts. A unique constraint that fires is retried when the resource says so
 * (insertAttempts): a generated value (a verzoek's identificatie) then gets the next number, while a real
 * duplicate fails the same way again and becomes the client's 400.
 */
export async function create(ctx: DomainContext, def: ResourceDef, input: Json): Promise<Row> {
  for (let attempt = 1; ; attempt++) {
    const columns = await def.toColumns(input, ctx);
    let row: Row;
    try {
      row = await transactional(ctx, def, async (c) => {
        const inserted = await rows.insert(c.db, def.name, {
          uuid: randomUUID(),
          ...columns,
          ...timestamps(def, Date.now(), true),
        });
        await record(c, def, { action: 'create', after: inserted });
        return inserted;
      });
    } catch (err) {
      if (!(isUniqueViolation(err) && attempt < (def.insertAttempts ?? 1))) throw translateWriteError(def, err);
      continue;
    }
    try {
      await def.afterCreate?.(row, ctx);
    } catch (err) {
      // Undone after its commit (a remote refusal): what recorded the create records the undo too.
      if (ctx.onWrite && !(await rows.exists(ctx.db, def.name, row.uuid))) {
        await ctx.onWrite(ctx, def, { action: 'destroy', before: row });
      }
      throw err;
    }
    return row;
  }
}

/**
 * PUT replaces the whole resource (omitted optional fields are cleared); PATCH overlays the given
 * fields on the current representation. Both then go through the same validation as a create.
 */
export async function update(
  ctx: DomainContext,
  def: ResourceDef,
  uuid: string,
  input: Json,
  partial: boolean,
): Promise<Row> {
  const existing = await get(ctx, def, uuid);
  await refuseIfHeld(ctx, def, uuid);
  const columns = await validateUpdate(ctx, def, existing, input, partial);
  try {
    return await transactional(ctx, def, async (c) => {
      // The row just before this write, locked (PostgreSQL): a hold taken meanwhile is seen by the
      // guarded statement, and concurrent writes record a gapless chain.
      const before = (await rows.findByUuidForUpdate(c.db, def.name, uuid)) ?? existing;
      const row = await rows.updateByUuid(
        c.db,
        def.name,
        uuid,
        { ...columns, ...timestamps(def, Date.now(), false) },
        def.heldBy,
      );
      if (!row) {
        await refuseIfHeld(c, def, uuid);
        throw notFound();
      }
      await record(c, def, { action: partial ? 'partial_update' : 'update', before, after: row });
      return row;
    });
  } catch (err) {
    throw translateWriteError(def, err);
  }
}

/**
 * The column values an update of `existing` with `input` would write, after every rule an update
 * applies (immutable fields, then the create validation); writes nothing.
 */
export async function validateUpdate(
  ctx: DomainContext,
  def: ResourceDef,
  existing: Row,
  input: Json,
  partial: boolean,
): Promise<Record<string, unknown>> {
  const current = def.toApi(existing, ctx.urls);
  const changed = (def.immutable ?? []).filter(
    // As vng-api-common's IsImmutableValidator: "" means "not given" (a verzoek keeps its identificatie).
    (field) =>
      field in input &&
      input[field] !== '' &&
      JSON.stringify(input[field] ?? null) !== JSON.stringify(current[field] ?? null),
  );
  if (changed.length) {
    throw invalid(
      changed.map((name) => ({
        name,
        code: 'wijzigen-niet-toegelaten',
        reason: 'Dit veld mag niet gewijzigd worden.',
      })),
    );
  }
  const merged = partial ? { ...withoutUrl(current), ...input } : input;
  return def.toColumns(merged, ctx, existing, input);
}

export async function remove(ctx: DomainContext, def: ResourceDef, uuid: string): Promise<void> {
  const existing = await get(ctx, def, uuid);
  await refuseIfHeld(ctx, def, uuid);
  await def.beforeRemove?.(existing, ctx);
  await transactional(ctx, def, async (c) => {
    // Locked first (PostgreSQL), so a hold or a concurrent writer committed meanwhile is seen.
    const before = await rows.findByUuidForUpdate(c.db, def.name, uuid);
    if (!before || !(await rows.deleteByUuid(c.db, def.name, uuid, def.heldBy))) {
      await refuseIfHeld(c, def, uuid);
      throw notFound();
    }
    await record(c, def, { action: 'destroy', before });
  });
  await def.afterRemove?.(existing, ctx);
}

async function refuseIfHeld(ctx: DomainContext, def: ResourceDef, uuid: string): Promise<void> {
  if (def.heldBy && (await rows.isHeld(ctx.db, def.heldBy, uuid))) throw def.heldBy.problem();
}

const MUTABLE: ReadonlySet<ResourceName> = new Set(['klanten', 'contactmomenten', 'verzoeken']);

function timestamps(def: ResourceDef, now: number, creating: boolean): Record<string, number> {
  if (!MUTABLE.has(def.name)) return creating ? { created_at: now } : {};
  return creating ? { created_at: now, updated_at: now } : { updated_at: now };
}

function withoutUrl(representation: Json): Json {
  const { url: _url, ...rest } = representation;
  return rest;
}

/** A race lost to a constraint is still the client's 400, never a 500. */
function translateWriteError(def: ResourceDef, err: unknown): unknown {
  if (isUniqueViolation(err)) return invalid([def.uniqueProblem ?? DEFAULT_UNIQUE]);
  if (isForeignKeyViolation(err)) {
    return invalidParam('nonFieldErrors', 'does_not_exist', 'A referenced resource was deleted meanwhile.');
  }
  return err;
}

function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
