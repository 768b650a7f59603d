import type { Db } from './knex.js';
import type { Row } from './rows.js';

/** One narrowing of an admin list. */
export type Condition =
  | { kind: 'eq'; column: string; value: string }
  /** Case-insensitive substring of any of the columns. */
  | { kind: 'contains'; columns: string[]; value: string }
  | { kind: 'gte' | 'lt'; column: string; value: string };

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * One page of a table in id order, by keyset (`id > after`): as quick on page 1000 as on page 1,
 * whatever the table's size. One row more than asked tells whether there is a next page.
 */
export async function page(
  db: Db,
  table: string,
  o: { conditions: Condition[]; after?: number; limit: number },
): Promise<{ rows: Row[]; next?: number }> {
  const q = db(table)
    .orderBy('id')
    .limit(o.limit + 1);
  if (o.after !== undefined) q.where('id', '>', o.after);
  for (const c of o.conditions) {
    if (c.kind === 'eq') q.where(c.column, c.value);
    else if (c.kind !== 'contains') q.where(c.column, c.kind === 'gte' ? '>=' : '<', c.value);
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
  return { rows: shown, ...(more ? { next: shown[shown.length - 1]!.id } : {}) };
}

/** Rows of `table` whose `column` is `value`, in id order (a detail page's related rows). */
export async function related(db: Db, table: string, column: string, value: string, limit = 100): Promise<Row[]> {
  return (await db(table).where(column, value).orderBy('id').limit(limit)) as Row[];
}
