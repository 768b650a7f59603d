import type { Knex } from 'knex';

// The transactional outbox: triggers on verzoekinformatieobjecten queue a DRC mirror event in the
// same transaction as the row change, whoever makes it (the API, the admin, sqlite3/psql, an
// import, a cascade from deleting a verzoek). Only built-in SQL in the triggers, so writers
// outside this process fire them too. Times are epoch milliseconds on both engines.

const isPg = (knex: Knex) =>
  ['pg', 'postgres', 'postgresql'].includes(String((knex.client as { config: { client: string } }).config.client));

// Epoch milliseconds in any SQLite: unixepoch('subsec') needs 3.42, and an older sqlite3 shell
// (Debian 12 ships 3.40) returns NULL for it, which failed every insert made from that shell.
const SQLITE_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

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
    const queue = (ref: 'NEW' | 'OLD', event: 'created' | 'deleted') => `
          INSERT INTO outbox (destination, event, aggregate_id, payload, available_at, created_at)
          VALUES ('drc', 'verzoekinformatieobject.${event}', ${ref}.uuid,
                  json_object('uuid', ${ref}.uuid, 'verzoek', ${ref}.verzoek_uuid, 'informatieobject', ${ref}.informatieobject),
                  ${SQLITE_NOW_MS}, ${SQLITE_NOW_MS});`;
    await knex.raw(`
        CREATE TRIGGER outbox_on_verzoekinformatieobjecten_insert AFTER INSERT ON verzoekinformatieobjecten
        BEGIN ${queue('NEW', 'created')}
        END`);
    await knex.raw(`
        CREATE TRIGGER outbox_on_verzoekinformatieobjecten_delete AFTER DELETE ON verzoekinformatieobjecten
        BEGIN ${queue('OLD', 'deleted')}
        END`);
    // The API never changes a relation, but SQL may: the old mirror goes, the new one comes.
    await knex.raw(`
        CREATE TRIGGER outbox_on_verzoekinformatieobjecten_update AFTER UPDATE OF uuid, verzoek_uuid, informatieobject ON verzoekinformatieobjecten
        WHEN OLD.uuid IS NOT NEW.uuid OR OLD.verzoek_uuid IS NOT NEW.verzoek_uuid OR OLD.informatieobject IS NOT NEW.informatieobject
        BEGIN ${queue('OLD', 'deleted')} ${queue('NEW', 'created')}
        END`);
    return;
  }
  await knex.raw(`
    CREATE FUNCTION outbox_on_verzoekinformatieobjecten() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
    BEGIN
      IF TG_OP = 'UPDATE' AND (OLD.uuid, OLD.verzoek_uuid, OLD.informatieobject) IS NOT DISTINCT FROM (NEW.uuid, NEW.verzoek_uuid, NEW.informatieobject) THEN
        RETURN NULL;
      END IF;
      -- An UPDATE (only ever made with SQL) is the old mirror's delete followed by the new one's create.
      IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO outbox (destination, event, aggregate_id, payload, available_at, created_at)
        VALUES ('drc', 'verzoekinformatieobject.deleted', OLD.uuid::text,
                json_build_object('uuid', OLD.uuid, 'verzoek', OLD.verzoek_uuid, 'informatieobject', OLD.informatieobject)::text,
                now_ms, now_ms);
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO outbox (destination, event, aggregate_id, payload, available_at, created_at)
        VALUES ('drc', 'verzoekinformatieobject.created', NEW.uuid::text,
                json_build_object('uuid', NEW.uuid, 'verzoek', NEW.verzoek_uuid, 'informatieobject', NEW.informatieobject)::text,
                now_ms, now_ms);
      END IF;
      -- Wakes listening workers at commit; a rolled-back change notifies nobody.
      PERFORM pg_notify('kic_outbox', 'drc');
      RETURN NULL;
    END $$`);
  await knex.raw(`
    CREATE TRIGGER outbox_on_verzoekinformatieobjecten AFTER INSERT OR DELETE OR UPDATE OF uuid, verzoek_uuid, informatieobject ON verzoekinformatieobjecten
    FOR EACH ROW EXECUTE FUNCTION outbox_on_verzoekinformatieobjecten()`);
}

export async function down(knex: Knex): Promise<void> {
  if (isPg(knex)) {
    await knex.raw('DROP TRIGGER IF EXISTS outbox_on_verzoekinformatieobjecten ON verzoekinformatieobjecten');
    await knex.raw('DROP FUNCTION IF EXISTS outbox_on_verzoekinformatieobjecten()');
  } else {
    await knex.raw('DROP TRIGGER IF EXISTS outbox_on_verzoekinformatieobjecten_insert');
    await knex.raw('DROP TRIGGER IF EXISTS outbox_on_verzoekinformatieobjecten_delete');
    await knex.raw('DROP TRIGGER IF EXISTS outbox_on_verzoekinformatieobjecten_update');
  }
  await knex.schema.dropTableIfExists('remote_links');
  await knex.schema.dropTableIfExists('outbox');
}
