import type { Knex } from 'knex';

// PostgreSQL: klantnummer numbering that never hands out a number a concurrent, still uncommitted
// insert already took. Without it, two writers that number in the same bronorganisatie at once both
// see the same highest number; the unique constraint then refuses the second, which only the
// application retries (plain SQL inserts and imports simply failed). The trigger now takes a
// transaction-scoped advisory lock per bronorganisatie before it looks for the highest number, so the
// second writer waits for the first to commit and then sees its number (in READ COMMITTED each
// statement of the function takes a fresh snapshot). Inserts that bring their own klantnummer take
// no lock. SQLite has a single writer and needs nothing.

const isPg = (knex: Knex): boolean =>
  ['pg', 'postgres', 'postgresql'].includes((knex.client as { config: { client: string } }).config.client);

/** Identifies "klantnummer numbering" among advisory locks (the bronorganisatie is the second key). */
const LOCK_CLASS = 7_413_002;

const numberingFunction = (bronorganisatie: string, lock: boolean): string => `
  CREATE OR REPLACE FUNCTION klanten_numbering() RETURNS trigger AS $$
  DECLARE last text;
  BEGIN
    IF NEW.bronorganisatie = '' THEN NEW.bronorganisatie := '${bronorganisatie}'; END IF;
    IF NEW.klantnummer IS NULL OR NEW.klantnummer = '' THEN
      ${lock ? `PERFORM pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(NEW.bronorganisatie));` : ''}
      SELECT klantnummer INTO last FROM klanten
        WHERE bronorganisatie = NEW.bronorganisatie AND klantnummer ~ '^[0-9]{8}$'
        ORDER BY klantnummer DESC LIMIT 1;
      NEW.klantnummer := lpad((coalesce(last, '0')::bigint + 1)::text, 8, '0');
    END IF;
    RETURN NEW;
  END $$ LANGUAGE plpgsql`;

/** The default bronorganisatie the klanten_api migration wrote into the function (kept as it was). */
async function currentDefault(knex: Knex): Promise<string> {
  const { rows } = (await knex.raw(`SELECT prosrc FROM pg_proc WHERE proname = 'klanten_numbering'`)) as {
    rows: { prosrc: string }[];
  };
  const match = /NEW\.bronorganisatie := '(\d{9})'/.exec(rows[0]?.prosrc ?? '');
  if (!match) throw new Error('klanten_numbering(): no default bronorganisatie found');
  return match[1]!;
}

export async function up(knex: Knex): Promise<void> {
  if (!isPg(knex)) return;
  await knex.raw(numberingFunction(await currentDefault(knex), true));
}

export async function down(knex: Knex): Promise<void> {
  if (!isPg(knex)) return;
  await knex.raw(numberingFunction(await currentDefault(knex), false));
}
