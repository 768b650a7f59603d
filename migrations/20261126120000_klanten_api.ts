import type { Knex } from 'knex';

// The Klanten API 1.0 over the same klant store: its own fields next to the legacy ones, the
// identification values its list filters need (copied out of subject_identificatie on every write),
// an index behind every filter, the (bronorganisatie, klantnummer) constraint of kla-001, and the
// audit trail of klant writes through either API.

/** Filter columns: each gets a (column, id) index, so a filtered page is an ordered index range scan. */
const FILTERED = [
  'bronorganisatie',
  'bedrijfsnaam',
  'functie',
  'achternaam',
  'telefoonnummer',
  'emailadres',
  'adres_straatnaam',
  'adres_postcode',
  'adres_woonplaatsnaam',
  'adres_landcode',
  'subject',
  'subject_type',
  'subject_inp_bsn',
  'subject_anp_identificatie',
  'subject_inp_a_nummer',
  'subject_inn_nnp_id',
  'subject_ann_identificatie',
  'subject_vestigings_nummer',
];

/** subject_identificatie JSON property → column, with the subject type it belongs to. */
const IDENTIFICATION: [string, string, string][] = [
  ['subject_inp_bsn', 'inpBsn', 'natuurlijk_persoon'],
  ['subject_anp_identificatie', 'anpIdentificatie', 'natuurlijk_persoon'],
  ['subject_inp_a_nummer', 'inpANummer', 'natuurlijk_persoon'],
  ['subject_inn_nnp_id', 'innNnpId', 'niet_natuurlijk_persoon'],
  ['subject_ann_identificatie', 'annIdentificatie', 'niet_natuurlijk_persoon'],
  ['subject_vestigings_nummer', 'vestigingsNummer', 'vestiging'],
];

/**
 * The bronorganisatie existing klanten get: KIC_DEFAULT_BRONORGANISATIE as src/config.ts reads it
 * (same default), checked with the RSIN 11-proof here too, since a migration stands on its own.
 */
function defaultBronorganisatie(): string {
  const value = process.env['KIC_DEFAULT_BRONORGANISATIE'] || '517439943';
  let total = 0;
  for (let i = 0; i < 8; i++) total += Number(value[i]) * (9 - i);
  if (!/^\d{9}$/.test(value) || (total - Number(value[8])) % 11 !== 0) {
    throw new Error(`KIC_DEFAULT_BRONORGANISATIE is not a valid RSIN: ${value}`);
  }
  return value;
}

export async function up(knex: Knex): Promise<void> {
  const pg = ['pg', 'postgres', 'postgresql'].includes((knex.client as { config: { client: string } }).config.client);
  await knex.schema.alterTable('klanten', (t) => {
    t.string('bronorganisatie', 9).notNullable().defaultTo('');
    t.string('klantnummer', 8); // null only until the numbering trigger below fills it
    t.string('bedrijfsnaam', 200).notNullable().defaultTo('');
    t.string('website_url', 1000).notNullable().defaultTo(''); // '' = none known (see toApi)
    t.string('voorvoegsel_achternaam', 10).notNullable().defaultTo('');
    // The Klanten API's structured address; the legacy API's free-text `adres` stays as it is.
    t.string('adres_straatnaam', 100).notNullable().defaultTo('');
    t.integer('adres_huisnummer'); // null: none
    t.string('adres_huisletter', 1).notNullable().defaultTo('');
    t.string('adres_huisnummertoevoeging', 4).notNullable().defaultTo('');
    t.string('adres_postcode', 7).notNullable().defaultTo('');
    t.string('adres_woonplaatsnaam', 80).notNullable().defaultTo('');
    t.string('adres_landcode', 4).notNullable().defaultTo('');
    t.string('subject_inp_bsn', 9).notNullable().defaultTo('');
    t.string('subject_anp_identificatie', 17).notNullable().defaultTo('');
    t.string('subject_inp_a_nummer', 10).notNullable().defaultTo('');
    t.string('subject_inn_nnp_id', 9).notNullable().defaultTo('');
    t.string('subject_ann_identificatie', 17).notNullable().defaultTo('');
    t.string('subject_vestigings_nummer', 24).notNullable().defaultTo('');
  });

  // Existing klanten: the default bronorganisatie and their id as an 8-digit klantnummer (ids are
  // unique, so the numbers are; new ones continue above the highest). One statement per engine: fast at 1M rows.
  await knex('klanten').update({ bronorganisatie: defaultBronorganisatie() });
  await knex.raw(
    pg
      ? `UPDATE klanten SET klantnummer = lpad(id::text, 8, '0')`
      : `UPDATE klanten SET klantnummer = substr('00000000' || id, -8, 8)`,
  );
  for (const [column, property, subjectType] of IDENTIFICATION) {
    const extract = pg
      ? `coalesce(subject_identificatie::json->>'${property}', '')`
      : `coalesce(json_extract(subject_identificatie, '$.${property}'), '')`;
    await knex.raw(
      `UPDATE klanten SET ${column} = ${extract} WHERE subject_type = ? AND subject_identificatie IS NOT NULL`,
      [subjectType],
    );
  }

  await createNumberingTrigger(knex, pg, defaultBronorganisatie());

  await knex.schema.alterTable('klanten', (t) => {
    // kla-001: the pair is unique (the index also finds the highest number of a bronorganisatie).
    t.unique(['bronorganisatie', 'klantnummer'], { indexName: 'klanten_bronorganisatie_klantnummer_unique' });
    t.index(['klantnummer', 'id'], 'klanten_klantnummer_idx');
    for (const column of FILTERED) t.index([column, 'id'], `klanten_${column}_idx`);
  });

  await knex.schema.createTable('audittrails', (t) => {
    t.increments('id');
    t.uuid('uuid').notNullable().unique('audittrails_uuid_unique');
    // No foreign key: the trail of a deleted klant stays readable.
    t.uuid('klant_uuid').notNullable();
    t.string('bron', 20).notNullable();
    t.string('applicatie_id', 100).notNullable().defaultTo('');
    t.string('applicatie_weergave', 200).notNullable().defaultTo('');
    t.string('gebruikers_id', 255).notNullable().defaultTo('');
    t.string('gebruikers_weergave', 255).notNullable().defaultTo('');
    t.string('actie', 50).notNullable();
    t.string('actie_weergave', 200).notNullable().defaultTo('');
    t.integer('resultaat').notNullable();
    t.string('resource', 50).notNullable();
    t.string('resource_weergave', 200).notNullable();
    t.text('toelichting').notNullable().defaultTo('');
    t.string('logrecord_id', 255).notNullable().defaultTo('');
    t.text('oud'); // JSON representation before, or null
    t.text('nieuw'); // JSON representation after, or null
    t.string('aanmaakdatum', 32).notNullable();
    t.index(['klant_uuid', 'id'], 'audittrails_klant_uuid_idx');
  });
}

/**
 * Every klant gets a klantnummer unique within its bronorganisatie, whoever inserts it (the legacy
 * API, the admin, an import, plain SQL): a row inserted without one gets one above the highest
 * 8-digit klantnummer of its bronorganisatie (and a row without bronorganisatie the default). The
 * descending scan of the (bronorganisatie, klantnummer) index makes that one short lookup. Two
 * concurrent inserts on PostgreSQL can pick the same number: the unique constraint refuses the
 * second, and the application retries it (insertAttempts), which then sees the first.
 */
async function createNumberingTrigger(knex: Knex, pg: boolean, bronorganisatie: string): Promise<void> {
  if (pg) {
    await knex.raw(`
      CREATE FUNCTION klanten_numbering() RETURNS trigger AS $$
      DECLARE last text;
      BEGIN
        IF NEW.bronorganisatie = '' THEN NEW.bronorganisatie := '${bronorganisatie}'; END IF;
        IF NEW.klantnummer IS NULL OR NEW.klantnummer = '' THEN
          SELECT klantnummer INTO last FROM klanten
            WHERE bronorganisatie = NEW.bronorganisatie AND klantnummer ~ '^[0-9]{8}$'
            ORDER BY klantnummer DESC LIMIT 1;
          NEW.klantnummer := lpad((coalesce(last, '0')::bigint + 1)::text, 8, '0');
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await knex.raw(
      `CREATE TRIGGER klanten_numbering BEFORE INSERT ON klanten FOR EACH ROW EXECUTE FUNCTION klanten_numbering()`,
    );
    return;
  }
  // SQLite has one writer at a time, so an AFTER trigger filling the row in place cannot race.
  const eightDigits = `'${'[0-9]'.repeat(8)}'`;
  await knex.raw(`
    CREATE TRIGGER klanten_numbering AFTER INSERT ON klanten
    WHEN NEW.klantnummer IS NULL OR NEW.klantnummer = '' OR NEW.bronorganisatie = ''
    BEGIN
      UPDATE klanten SET bronorganisatie = '${bronorganisatie}' WHERE id = NEW.id AND bronorganisatie = '';
      UPDATE klanten SET klantnummer = substr('00000000' || (1 + coalesce((
          SELECT CAST(k.klantnummer AS INTEGER) FROM klanten k
          WHERE k.bronorganisatie = klanten.bronorganisatie AND k.klantnummer GLOB ${eightDigits}
          ORDER BY k.klantnummer DESC LIMIT 1), 0)), -8, 8)
        WHERE id = NEW.id AND (klantnummer IS NULL OR klantnummer = '');
    END`);
}

export async function down(knex: Knex): Promise<void> {
  const pg = ['pg', 'postgres', 'postgresql'].includes((knex.client as { config: { client: string } }).config.client);
  await knex.raw('DROP TRIGGER IF EXISTS klanten_numbering' + (pg ? ' ON klanten' : ''));
  if (pg) await knex.raw('DROP FUNCTION IF EXISTS klanten_numbering()');
  await knex.schema.dropTableIfExists('audittrails');
  await knex.schema.alterTable('klanten', (t) => {
    t.dropUnique(['bronorganisatie', 'klantnummer'], 'klanten_bronorganisatie_klantnummer_unique');
    t.dropIndex(['klantnummer', 'id'], 'klanten_klantnummer_idx');
    for (const column of FILTERED) t.dropIndex([column, 'id'], `klanten_${column}_idx`);
  });
  await knex.schema.alterTable('klanten', (t) => {
    t.dropColumns(
      'bronorganisatie',
      'klantnummer',
      'bedrijfsnaam',
      'website_url',
      'voorvoegsel_achternaam',
      'adres_straatnaam',
      'adres_huisnummer',
      'adres_huisletter',
      'adres_huisnummertoevoeging',
      'adres_postcode',
      'adres_woonplaatsnaam',
      'adres_landcode',
      ...IDENTIFICATION.map(([column]) => column),
    );
  });
}
