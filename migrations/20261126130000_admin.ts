import type { Knex } from 'knex';

// The admin interface: its users (separate from API clients), their sessions (in the database so
// that several instances share them), login throttling, the append-only audit log, and the
// working copies of klanten that wait for a second person's approval. Times are epoch milliseconds.

const isPg = (knex: Knex) =>
  ['pg', 'postgres', 'postgresql'].includes(String((knex.client as { config: { client: string } }).config.client));

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('admin_users', (t) => {
    t.increments('id');
    t.string('username', 100).notNullable().unique('admin_users_username_unique');
    t.string('password_hash', 300).notNullable();
    t.string('role', 20).notNullable(); // viewer | editor | approver | admin
    t.bigInteger('created_at').notNullable();
  });

  // Only a hash of the session token is stored: a copy of the database opens no session.
  await knex.schema.createTable('admin_sessions', (t) => {
    t.string('token_hash', 64).primary();
    t.integer('user_id').notNullable().references('id').inTable('admin_users').onDelete('CASCADE');
    t.string('csrf_token', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_seen_at').notNullable();
    t.index(['user_id'], 'admin_sessions_user_id_idx');
  });

  // Failed logins per key ("user:<name>" or "addr:<ip>") within a window, and a lock after too many.
  await knex.schema.createTable('admin_login_throttle', (t) => {
    t.string('key', 200).primary();
    t.integer('failures').notNullable();
    t.bigInteger('window_start').notNullable();
    t.bigInteger('locked_until');
  });

  await knex.schema.createTable('admin_audit', (t) => {
    t.bigIncrements('id');
    t.bigInteger('at').notNullable();
    t.string('username', 100).notNullable();
    t.string('action', 100).notNullable();
    t.string('target', 1000).notNullable().defaultTo('');
    t.text('before'); // JSON, or null
    t.text('after'); // JSON, or null
    t.index(['at'], 'admin_audit_at_idx');
  });

  // A pending edit of a klant: at most one per klant. `base` is the klant's row as the editor saw
  // it, so an approval notices when the active record changed since and never overwrites silently.
  await knex.schema.createTable('klant_working_copies', (t) => {
    t.increments('id');
    t.uuid('klant_uuid').notNullable().unique('klant_working_copies_klant_uuid_unique');
    t.foreign('klant_uuid', 'klant_working_copies_klant_fk').references('uuid').inTable('klanten').onDelete('CASCADE');
    t.text('input').notNullable(); // the klant as the editor wants it, in API form (JSON)
    t.text('base').notNullable(); // JSON of the active row when the edit was made
    t.string('created_by', 100).notNullable();
    t.bigInteger('created_at').notNullable();
  });

  // The audit log is append-only for everyone, including SQL typed by hand.
  if (isPg(knex)) {
    await knex.raw(`
      CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'admin_audit is append-only'; END $$`);
    await knex.raw(`
      CREATE TRIGGER admin_audit_no_change BEFORE UPDATE OR DELETE ON admin_audit
      FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only()`);
  } else {
    for (const op of ['UPDATE', 'DELETE']) {
      await knex.raw(`
        CREATE TRIGGER admin_audit_no_${op.toLowerCase()} BEFORE ${op} ON admin_audit
        BEGIN SELECT RAISE(ABORT, 'admin_audit is append-only'); END`);
    }
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('klant_working_copies');
  await knex.schema.dropTableIfExists('admin_audit');
  if (isPg(knex)) await knex.raw('DROP FUNCTION IF EXISTS admin_audit_append_only() CASCADE');
  await knex.schema.dropTableIfExists('admin_login_throttle');
  await knex.schema.dropTableIfExists('admin_sessions');
  await knex.schema.dropTableIfExists('admin_users');
}
