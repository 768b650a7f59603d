import type { Db } from './knex.js';
import type { Row } from './rows.js';

/** One narrowing of an admin list. */
export type Condition =
  | { kind: 'eq'; column: string; value: string }
  /** Equal in any of the columns (each indexed: the engines combine the index lookups). */
  | { kind: 'eq-any'; columns: string[]; value: string }
  /** Case-insensitive substring of any of the columns. */
  | { kind: 'contains'; columns: string[]; value: string }
  | { kind: 'gte' | 'lt'; column: string; value: string };

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * How many ids one page of a substring search looks through at most. No index serves a
 * substring, so a rare term would otherwise walk the whole table for one page; with this window
 * each page costs the same however large the table is, and a page that found fewer than a full
 * page says how far it looked and goes on from there.
 */
export const SCAN_WINDOW = 50_000;

/**
 * One page of a table in id order, by keyset (`id > after`): as quick on page 1000 as on page 1,
 * whatever the table's size. One row more than asked tells whether there is a next page. With a
 * substring condition a page looks through at most `scanWindow` ids; `scannedTo` then says where
 * it stopped when it stopped before the end of the table.
 */
export async function page(
  db: Db,
  table: string,
  o: { conditions: Condition[]; after?: number; limit: number; scanWindow?: number; orderBy?: string },
): Promise<{ rows: Row[]; next?: number; scannedTo?: number }> {
  const q = db(table).limit(o.limit + 1);
  const after = o.after ?? 0;
  if (o.orderBy) {
    // In (column, id) order along that index: a range filter on the column reads just its range.
    // The keyset stays the row id: the next page starts after that row's (column, id).
    const column = o.orderBy;
    q.orderBy([column, 'id']);
    const from = o.after === undefined ? undefined : await db(table).where('id', o.after).first(column);
    if (from) q.whereRaw('(??, ??) > (?, ?)', [column, 'id', from[column], o.after]);
    else if (o.after !== undefined) q.where('id', '>', o.after);
  } else {
    q.orderBy('id');
    if (o.after !== undefined) q.where('id', '>', o.after);
  }
  const windowEnd = o.conditions.some((c) => c.kind === 'contains') ? after + (o.scanWindow ?? SCAN_WINDOW) : undefined;
  if (windowEnd !== undefined) q.where('id', '<=', windowEnd);
  for (const c of o.conditions) {
    if (c.kind === 'eq') q.where(c.column, c.value);
    else if (c.kind === 'eq-any') {
      const { columns, value } = c;
      q.where((w) => {
        for (const column of columns) w.orWhere(column, value);
      });
    } else if (c.kind !== 'contains') q.where(c.column, c.kind === 'gte' ? '>=' : '<', c.value);
    else {
      const pattern = `%${escapeLike(c.value.toLowerCase())}%`;
      const columns = c.columns;
      q.where((w) => {
        for (const column of columns) w.orWhereRaw(`lower(??) like ? escape '\\'`, [column, pattern]);
      });
    }
  }
  const rows = (await q) as Row[];
  const more = rows.length > o.limit;
  const shown = more ? rows.slice(0, o.limit) : rows;
  if (more) return { rows: shown, next: shown[shown.length - 1]!.id };
  if (windowEnd !== undefined) {
    const last = (await db(table).max({ id: 'id' }).first()) as { id: number | string | null } | undefined;
    if (Number(last?.id ?? 0) > windowEnd) return { rows: shown, next: windowEnd, scannedTo: windowEnd };
  }
  return { rows: shown };
}

/** Rows of `table` whose `column` is `value`, in id order (a detail page's related rows). */
export async function related(db: Db, table: string, column: string, value: string, limit = 100): Promise<Row[]> {
  return (await db(table).where(column, value).orderBy('id').limit(limit)) as Row[];
}
