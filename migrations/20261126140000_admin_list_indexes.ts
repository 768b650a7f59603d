import type { Knex } from 'knex';

// The admin lists filter on columns the APIs do not: a (column, id) index behind each equality or
// range filter, so a filtered admin page is an index range scan in id order (the keyset) rather
// than a walk through the table that ends only after 25 matches, or at its end when there are fewer.
const INDEXES: [table: string, column: string][] = [
  ['contactmomenten', 'kanaal'],
  ['contactmomenten', 'interactiedatum'],
  ['verzoeken', 'status'],
  ['verzoeken', 'identificatie'],
  ['verzoeken', 'externe_identificatie'],
];

export async function up(knex: Knex): Promise<void> {
  for (const [table, column] of INDEXES) {
    await knex.schema.alterTable(table, (t) => t.index([column, 'id'], `${table}_${column}_id_idx`));
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const [table, column] of INDEXES) {
    await knex.schema.alterTable(table, (t) => t.dropIndex([column, 'id'], `${table}_${column}_id_idx`));
  }
}
