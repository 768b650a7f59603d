import type { Knex } from 'knex';

// The standard's eight resources, the client applications that may call us, and the services we call.
// Every resource table has an integer id (stable list order, keyset pagination) and the public uuid.
// Timestamps the API exposes are ISO-8601 text in UTC with six fraction digits, so they sort as text
// the same way on both engines; bookkeeping times are epoch milliseconds.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('klanten', (t) => {
    t.increments('id');
    t.uuid('uuid').notNullable().unique('klanten_uuid_unique');
    t.string('voornaam', 200).notNullable().defaultTo('');
    t.string('achternaam', 200).notNullable().defaultTo('');
    t.string('adres', 1000).notNullable().defaultTo('');
    t.string('telefoonnummer', 20).notNullable().defaultTo('');
    t.string('emailadres', 254).notNullable().defaultTo('');
    t.string('functie', 200).notNullable().defaultTo('');
    t.string('subject', 1000).notNullable().defaultTo('');
    t.string('subject_type', 30); // null: no subject type
    t.text('subject_identificatie'); // JSON of the subjectType's identification, or null
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('contactmomenten', (t) => {
    t.increments('id');
    t.uuid('uuid').notNullable().unique('contactmomenten_uuid_unique');
    t.string('bronorganisatie', 9).notNullable();
    t.uuid('klant_uuid').references('uuid').inTable('klanten').onDelete('CASCADE');
    t.string('interactiedatum', 32).notNullable();
    t.string('kanaal', 50).notNullable().defaultTo('');
    t.string('voorkeurskanaal', 50).notNullable().defaultTo('');
    t.text('tekst').notNullable().defaultTo('');
    t.text('onderwerp_links').notNullable().defaultTo('[]'); // JSON array of URLs
    t.string('initiatiefnemer', 20).notNullable().defaultTo('');
    t.string('medewerker', 1000).notNullable().defaultTo('');
    t.text('medewerker_identificatie'); // JSON, or null
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['klant_uuid'], 'contactmomenten_klant_uuid_idx');
  });

  await knex.schema.createTable('verzoeken', (t) => {
    t.increments('id');
    t.uuid('uuid').notNullable().unique('verzoeken_uuid_unique');
    t.string('identificatie', 40).notNullable();
    t.string('bronorganisatie', 9).notNullable();
    t.string('externe_identificatie', 40).notNullable().defaultTo('');
    t.uuid('klant_uuid').references('uuid').inTable('klanten').onDelete('CASCADE');
    t.string('interactiedatum', 32).notNullable();
    t.string('voorkeurskanaal', 50).notNullable().defaultTo('');
    t.text('tekst').notNullable().defaultTo('');
    t.string('status', 20).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['bronorganisatie', 'identificatie'], { indexName: 'verzoeken_bronorganisatie_identificatie_unique' });
    t.index(['klant_uuid'], 'verzoeken_klant_uuid_idx');
  });

  await knex.schema.createTable('objectcontactmomenten', (t) => {
    t.increments('id');
    t.uuid('uuid').notNullable().unique('objectcontactmomenten_uuid_unique');
    t.uuid('contactmoment_uuid').notNullable().references('uuid').inTable('contactmomenten').onDelete('CASCADE');
    t.string('object', 200).notNullable();
    t.string('object_type', 20).notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['contactmoment_uuid', 'object'], { indexName: 'objectcontactmomenten_contactmoment_object_unique' });
    t.index(['object'], 'objectcontactmomenten_object_idx');
  });

  await knex.schema.createTable('objectverzoeken', (t) => {
    t.increments('id');
    t.uuid('uuid').notNullable().unique('objectverzoeken_uuid_unique');
    t.uuid('verzoek_uuid').notNullable().references('uuid').inTable('verzoeken').onDelete('CASCADE');
    t.string('object', 200).notNullable();
    t.string('object_type', 20).notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['verzoek_uuid', 'object'], { indexName: 'objectverzoeken_verzoek_object_unique' });
    t.index(['object'], 'objectverzoeken_object_idx');
  });

  await knex.schema.createTable('verzoekcontactmomenten', (t) => {
    t.increments('id');
    t.uuid('uuid').notNullable().unique('verzoekcontactmomenten_uuid_unique');
    t.uuid('verzoek_uuid').notNullable().references('uuid').inTable('verzoeken').onDelete('CASCADE');
    t.uuid('contactmoment_uuid').notNullable().references('uuid').inTable('contactmomenten').onDelete('CASCADE');
    t.bigInteger('created_at').notNullable();
    t.unique(['verzoek_uuid', 'contactmoment_uuid'], {
      indexName: 'verzoekcontactmomenten_verzoek_contactmoment_unique',
    });
    t.index(['contactmoment_uuid'], 'verzoekcontactmomenten_contactmoment_uuid_idx');
  });

  await knex.schema.createTable('verzoekinformatieobjecten', (t) => {
    t.increments('id');
    t.uuid('uuid').notNullable().unique('verzoekinformatieobjecten_uuid_unique');
    t.uuid('verzoek_uuid').notNullable().references('uuid').inTable('verzoeken').onDelete('CASCADE');
    t.string('informatieobject', 1000).notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['verzoek_uuid', 'informatieobject'], {
      indexName: 'verzoekinformatieobjecten_verzoek_informatieobject_unique',
    });
    t.index(['informatieobject'], 'verzoekinformatieobjecten_informatieobject_idx');
  });

  await knex.schema.createTable('verzoekproducten', (t) => {
    t.increments('id');
    t.uuid('uuid').notNullable().unique('verzoekproducten_uuid_unique');
    t.uuid('verzoek_uuid').notNullable().references('uuid').inTable('verzoeken').onDelete('CASCADE');
    t.string('product', 200).notNullable().defaultTo('');
    t.string('product_code', 20); // productIdentificatie.code; null when no productIdentificatie
    t.bigInteger('created_at').notNullable();
    t.index(['verzoek_uuid'], 'verzoekproducten_verzoek_uuid_idx');
    t.index(['product'], 'verzoekproducten_product_idx');
  });

  // Client applications allowed to call the API (JWT-ZGW): the shared secret and, when no
  // Autorisaties API is configured, their scopes for this component.
  await knex.schema.createTable('applicaties', (t) => {
    t.increments('id');
    t.string('client_id', 50).notNullable().unique('applicaties_client_id_unique');
    t.string('secret', 255).notNullable();
    t.string('label', 100).notNullable().defaultTo('');
    t.boolean('heeft_alle_autorisaties').notNullable().defaultTo(false);
    t.text('scopes').notNullable().defaultTo('[]'); // JSON array
    t.bigInteger('created_at').notNullable();
  });

  // Other APIs we may call (DRC, ZRC, AC, …): only URLs under a registered api_root are ever fetched.
  await knex.schema.createTable('services', (t) => {
    t.increments('id');
    t.string('api_root', 1000).notNullable().unique('services_api_root_unique');
    t.string('label', 100).notNullable().defaultTo('');
    t.string('client_id', 255).notNullable().defaultTo('');
    t.string('secret', 255).notNullable().defaultTo('');
    t.string('user_id', 255).notNullable().defaultTo('');
    t.string('user_representation', 255).notNullable().defaultTo('');
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'services',
    'applicaties',
    'verzoekproducten',
    'verzoekinformatieobjecten',
    'verzoekcontactmomenten',
    'objectverzoeken',
    'objectcontactmomenten',
    'verzoeken',
    'contactmomenten',
    'klanten',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
