import type { Knex } from 'knex';

// The transactional outbox: triggers on verzoekinformatieobjecten queue a DRC mirror event in the
// same transaction as the row change, whoever makes it (the API, the admin, sqlite3/psql, an
// import, a cascade from deleting a verzoek). Only built-in SQL in the triggers, so writers
// outside this process fire them too. Times are epoch milliseconds on both engines.

const isPg = (knex: Knex) => ['pg', 'postgres', 'postgresql'].includes(String((knex.client as { config: { client: string } }).config.client));

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('outbox', (t) => {
    t.bigIncrements('id');
    t.string('destination', 50).notNullable(); // 'drc' now; notifications and webhooks later share the table
    t.string('event', 100).notNullable(); // verzoekinformatieobject.created | verzoekinformatieobject.deleted
    t.string('aggregate_id', 100).notNullable(); // rows of one aggregate are delivered in id order
    t.text('payload').notNullable(); // JSON snapshot: after a delete the source row is gone
    t.string('state', 20).notNullable().defaultTo('pending'); // pending | done | failed (failed stays listed)
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('available_at').notNullable();
    t.string('locked_by', 100);
    t.bigInteger('locked_until');
    t.text('last_error');
    t.text('result'); // e.g. the URL of the objectinformatieobject the DRC created
    t.bigInteger('created_at').notNullable();
    t.bigInteger('done_at');
    t.index(['state', 'available_at'], 'outbox_state_available_at_idx');
    t.index(['aggregate_id', 'id'], 'outbox_aggregate_id_id_idx');
  });

  // Where a mirrored relation lives remotely, so the delete removes exactly that one.
  await knex.schema.createTable('remote_links', (t) => {
    t.string('destination', 50).notNullable();
    t.string('aggregate_id', 100).notNullable();
    t.string('remote_url', 1000).notNullable();
    t.bigInteger('created_at').notNullable();
    t.primary(['destination', 'aggregate_id']);
  });

  if (!isPg(knex)) {
    for (const [op, ref, event] of [
      ['INSERT', 'NEW', 'created'],
      ['DELETE', 'OLD', 'deleted'],
    ] as const) {
      await knex.raw(`
        CREATE TRIGGER outbox_on_verzoekinformatieobjecten_${op.toLowerCase()} AFTER ${op} ON verzoekinformatieobjecten
        BEGIN
          INSERT INTO outbox (destination, event, aggregate_id, payload, available_at, created_at)
          VALUES ('drc', 'verzoekinformatieobject.${event}', ${ref}.uuid,
                  json_object('uuid', ${ref}.uuid, 'verzoek', ${ref}.verzoek_uuid, 'informatieobject', ${ref}.informatieobject),
                  CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));
        END`);
    }
    return;
  }
  await knex.raw(`
    CREATE FUNCTION outbox_on_verzoekinformatieobjecten() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      r verzoekinformatieobjecten%ROWTYPE;
      now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
    BEGIN
      IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
      INSERT INTO outbox (destination, event, aggregate_id, payload, available_at, created_at)
      VALUES ('drc',
              CASE TG_OP WHEN 'DELETE' THEN 'verzoekinformatieobject.deleted' ELSE 'verzoekinformatieobject.created' END,
              r.uuid::text,
              json_build_object('uuid', r.uuid, 'verzoek', r.verzoek_uuid, 'informatieobject', r.informatieobject)::text,
              now_ms, now_ms);
      -- Wakes listening workers at commit; a rolled-back change notifies nobody.
      PERFORM pg_notify('kic_outbox', 'drc');
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE TRIGGER outbox_on_verzoekinformatieobjecten AFTER INSERT OR DELETE ON verzoekinformatieobjecten
    FOR EACH ROW EXECUTE FUNCTION outbox_on_verzoekinformatieobjecten()`);
}

export async function down(knex: Knex): Promise<void> {
  if (isPg(knex)) {
    await knex.raw('DROP TRIGGER IF EXISTS outbox_on_verzoekinformatieobjecten ON verzoekinformatieobjecten');
    await knex.raw('DROP FUNCTION IF EXISTS outbox_on_verzoekinformatieobjecten()');
  } else {
    await knex.raw('DROP TRIGGER IF EXISTS outbox_on_verzoekinformatieobjecten_insert');
    await knex.raw('DROP TRIGGER IF EXISTS outbox_on_verzoekinformatieobjecten_delete');
  }
  await knex.schema.dropTableIfExists('remote_links');
  await knex.schema.dropTableIfExists('outbox');
}
