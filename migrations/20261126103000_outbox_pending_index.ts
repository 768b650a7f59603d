import type { Knex } from 'knex';

// The claim looks for the oldest pending rows; with a large backlog (or many done rows) a partial
// index on just the pending ones keeps that a short index scan on both engines.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX outbox_pending_idx ON outbox (id) WHERE state = 'pending'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX outbox_pending_idx');
}
