import { randomUUID } from 'node:crypto';
import { copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { createDb } from '../../src/db/knex.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export const DIALECTS = ['sqlite', 'pg'] as const;
export type Dialect = (typeof DIALECTS)[number];

/** The PostgreSQL server the tests use; .ci/run makes sure one answers here. */
export const PG_URL = process.env['KIC_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const RUN = randomUUID().slice(0, 8);
let sqliteTemplate: string | undefined;
let pgTemplate: string | undefined;
let admin: Knex | undefined;

function pgAdmin(): Knex {
  admin ??= createDb({ client: 'pg', connectionString: PG_URL }, { poolMax: 2 });
  return admin;
}

const pgUrlFor = (database: string): string => {
  const u = new URL(PG_URL);
  u.pathname = `/${database}`;
  return u.toString();
};

/** Builds the migrated templates once per test run (mocha root hook). */
export async function buildTemplates(): Promise<void> {
  sqliteTemplate = join(tmpdir(), `kic-template-${RUN}.sqlite`);
  const s = createDb({ client: 'sqlite', filename: sqliteTemplate });
  await migrateToLatest(s);
  await s.raw('PRAGMA wal_checkpoint(TRUNCATE)');
  await s.destroy();

  try {
    await pgAdmin().raw('SELECT 1');
  } catch (err) {
    throw new Error(
      `The tests need PostgreSQL at ${PG_URL} (set KIC_TEST_PG_URL, or run .ci/run which starts one): ${(err as Error).message}`,
      { cause: err },
    );
  }
  pgTemplate = `kic_tmpl_${RUN}`;
  await pgAdmin().raw('CREATE DATABASE ??', [pgTemplate]);
  const p = createDb({ client: 'pg', connectionString: pgUrlFor(pgTemplate) }, { poolMax: 2 });
  await migrateToLatest(p);
  await p.destroy();
}

export async function dropTemplates(): Promise<void> {
  if (sqliteTemplate) await rm(sqliteTemplate, { force: true });
  if (pgTemplate) await pgAdmin().raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [pgTemplate]);
  await admin?.destroy();
}

export interface TestDatabase {
  dialect: Dialect;
  /** The DATABASE_URL of this database, for child processes. */
  url: string;
  db: Knex;
  drop(): Promise<void>;
}

/** A new, fully migrated database: a copy of the template, never a re-run of the migrations. */
export async function freshDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    if (!sqliteTemplate) throw new Error('templates not built');
    const filename = join(tmpdir(), `kic-test-${randomUUID()}.sqlite`);
    await copyFile(sqliteTemplate, filename);
    const db = createDb({ client: 'sqlite', filename });
    return {
      dialect,
      url: `sqlite:${filename}`,
      db,
      drop: async () => {
        await db.destroy();
        for (const suffix of ['', '-wal', '-shm']) await rm(filename + suffix, { force: true });
      },
    };
  }
  if (!pgTemplate) throw new Error('templates not built');
  const name = `kic_test_${randomUUID().replaceAll('-', '')}`;
  await pgAdmin().raw('CREATE DATABASE ?? TEMPLATE ??', [name, pgTemplate]);
  const url = pgUrlFor(name);
  const db = createDb({ client: 'pg', connectionString: url }, { poolMax: 5 });
  return {
    dialect,
    url,
    db,
    drop: async () => {
      await db.destroy();
      await pgAdmin().raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
    },
  };
}

const RESOURCE_TABLES = [
  'verzoekproducten',
  'verzoekinformatieobjecten',
  'verzoekcontactmomenten',
  'objectverzoeken',
  'objectcontactmomenten',
  'verzoeken',
  'contactmomenten',
  'klanten',
  'audittrails',
  'outbox', // last: deleting relations above queues events
  'remote_links',
];

/** Empties the resource tables and the outbox (not the applicaties and services) between tests. */
export async function emptyResources(db: Knex): Promise<void> {
  for (const table of RESOURCE_TABLES) await db(table).delete();
}
