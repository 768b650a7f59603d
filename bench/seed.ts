import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';

// Fast seeding straight into the component's tables. Every seeded row is a copy of a template row
// that the component itself created through its API, so seeded rows are exactly as valid as API
// rows; only the uuid, the timestamps and (when asked) the klant and the identificatie vary. A
// klant's klantnummer is left out, so the numbering trigger gives each copy its own as for any insert.

export interface Variation {
  /** Give each copy one of these klant uuids (round robin) in klant_uuid. */
  klanten?: readonly string[];
  /** Give each copy a unique identificatie (verzoeken: unique per bronorganisatie). */
  identificatie?: boolean;
}

export interface Seeder {
  count(table: string): Promise<number>;
  /** Copies the template row until the table holds `total` rows; returns how many it inserted. */
  fill(table: string, templateUuid: string, total: number, vary?: Variation): Promise<number>;
  /** The first `limit` uuids of a table, in id order. */
  uuids(table: string, limit: number): Promise<string[]>;
  /** Any read-only query (SQL common to both engines). */
  query<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

const SAFE = /^[a-z_]+$/;
const ident = (name: string): string => {
  if (!SAFE.test(name)) throw new Error(`unexpected identifier ${name}`);
  return `"${name}"`;
};

/** better-sqlite3: one transaction of prepared inserts (about a million rows in a few seconds). */
export function sqliteSeeder(file: string): Seeder {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  return {
    async count(table) {
      return (db.prepare(`select count(*) as n from ${ident(table)}`).get() as { n: number }).n;
    },
    async fill(table, templateUuid, total, vary = {}) {
      const template = db.prepare(`select * from ${ident(table)} where uuid = ?`).get(templateUuid) as
        Record<string, unknown> | undefined;
      if (!template) throw new Error(`no template ${templateUuid} in ${table}`);
      const columns = Object.keys(template).filter((c) => c !== 'id' && !(table === 'klanten' && c === 'klantnummer'));
      const start = await this.count(table);
      const n = total - start;
      if (n <= 0) return 0;
      const insert = db.prepare(
        `insert into ${ident(table)} (${columns.map(ident).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
      );
      const values = columns.map((c) => template[c]);
      const at = (c: string) => columns.indexOf(c);
      const [iUuid, iKlant, iIdent, iCreated, iUpdated] = [
        'uuid',
        'klant_uuid',
        'identificatie',
        'created_at',
        'updated_at',
      ].map(at) as [number, number, number, number, number];
      const created = Number(template['created_at']);
      db.transaction(() => {
        for (let i = 0; i < n; i++) {
          values[iUuid] = randomUUID();
          if (vary.klanten && iKlant >= 0) values[iKlant] = vary.klanten[i % vary.klanten.length];
          if (vary.identificatie && iIdent >= 0) values[iIdent] = `BENCH-${start + i}`;
          if (iCreated >= 0) values[iCreated] = created + i;
          if (iUpdated >= 0) values[iUpdated] = created + i;
          insert.run(values);
        }
      })();
      return n;
    },
    async uuids(table, limit) {
      return (db.prepare(`select uuid from ${ident(table)} order by id limit ?`).all(limit) as { uuid: string }[]).map(
        (r) => r.uuid,
      );
    },
    async query<T>(sql: string) {
      return db.prepare(sql).all() as T[];
    },
    async close() {
      db.close();
    },
  };
}

/** PostgreSQL: INSERT … SELECT over generate_series, in slices, with the template's values as typed parameters. */
export function pgSeeder(connectionString: string): Seeder {
  const pool = new pg.Pool({ connectionString, max: 1 });
  // Dropping the scratch database terminates the idle connection: not an error of the run.
  pool.on('error', () => {});
  return {
    async count(table) {
      return Number((await pool.query<{ n: string }>(`select count(*) as n from ${ident(table)}`)).rows[0]!.n);
    },
    async fill(table, templateUuid, total, vary = {}) {
      const template = (
        await pool.query<Record<string, unknown>>(`select * from ${ident(table)} where uuid = $1`, [templateUuid])
      ).rows[0];
      if (!template) throw new Error(`no template ${templateUuid} in ${table}`);
      const types = new Map(
        (
          await pool.query<{ column_name: string; udt_name: string }>(
            'select column_name, udt_name from information_schema.columns where table_name = $1',
            [table],
          )
        ).rows.map((r) => [r.column_name, r.udt_name]),
      );
      const columns = Object.keys(template).filter((c) => c !== 'id' && !(table === 'klanten' && c === 'klantnummer'));
      const start = await this.count(table);
      const n = total - start;
      if (n <= 0) return 0;
      const params: unknown[] = [];
      const param = (v: unknown, type: string) => {
        params.push(v);
        return `$${params.length}::${type}`;
      };
      const expressions = columns.map((c) => {
        const type = types.get(c);
        if (!type || !SAFE.test(type.replace(/\d/g, ''))) throw new Error(`unknown column type of ${table}.${c}`);
        if (c === 'uuid') return 'gen_random_uuid()';
        if (c === 'klant_uuid' && vary.klanten)
          return `(${param(vary.klanten, 'uuid[]')})[1 + (g % ${vary.klanten.length})]`;
        if (c === 'identificatie' && vary.identificatie) return `'BENCH-' || g`;
        if (c === 'created_at' || c === 'updated_at') return `${param(template[c], type)} + g`;
        return param(template[c], type);
      });
      const from = params.length + 1;
      const sql = `insert into ${ident(table)} (${columns.map(ident).join(', ')}) select ${expressions.join(', ')} from generate_series($${from}::int, $${from + 1}::int) as g`;
      const slice = 250_000; // a few seconds each; keeps one statement's memory and WAL bounded
      for (let first = start; first < total; first += slice) {
        await pool.query(sql, [...params, first, Math.min(total, first + slice) - 1]);
      }
      return n;
    },
    async uuids(table, limit) {
      return (
        await pool.query<{ uuid: string }>(`select uuid from ${ident(table)} order by id limit $1`, [limit])
      ).rows.map((r) => r.uuid);
    },
    async query<T>(sql: string) {
      return (await pool.query(sql)).rows as T[];
    },
    async close() {
      await pool.end();
    },
  };
}

/** Creates a scratch database on a PostgreSQL server; `drop()` removes it again (also with open connections). */
export async function scratchPgDatabase(
  adminUrl: string,
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
