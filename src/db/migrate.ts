import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { dialectOf } from './knex.js';

// migrations/ sits next to src/ both in the source tree (run with tsx) and in dist/.
const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
const EXTENSION = extname(fileURLToPath(import.meta.url)); // '.ts' under tsx, '.js' when built

/**
 * Migrations are recorded by name without extension, so a database migrated from the sources
 * (`.ts` under tsx) and from the build (`.js`) agree on what has run.
 */
const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    const files = await readdir(MIGRATIONS_DIR);
    return files.filter((f) => f.endsWith(EXTENSION) && !f.endsWith(`.d${EXTENSION}`)).sort();
  },
  getMigrationName: (file) => basename(file, extname(file)),
  getMigration: async (file) => (await import(pathToFileURL(join(MIGRATIONS_DIR, file)).href)) as Knex.Migration,
};

export const migrationConfig: Knex.MigratorConfig = { migrationSource, tableName: 'knex_migrations' };

// An arbitrary constant that identifies "kic migrations" among PostgreSQL advisory locks.
const MIGRATION_LOCK_KEY = 7_413_001;

/**
 * Brings the schema up to date. On PostgreSQL several instances may start at once: they queue
 * on an advisory lock, so exactly one migrates and the others then find nothing left to do.
 */
export async function migrateToLatest(db: Knex): Promise<string[]> {
  if (dialectOf(db) !== 'pg') {
    const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]];
    return applied;
  }
  const conn = await db.client.acquireConnection();
  try {
    await db.raw('SELECT pg_advisory_lock(?)', [MIGRATION_LOCK_KEY]).connection(conn);
    const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]];
    return applied;
  } finally {
    await db.raw('SELECT pg_advisory_unlock(?)', [MIGRATION_LOCK_KEY]).connection(conn);
    await db.client.releaseConnection(conn);
  }
}
