import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { migrationConfig } from '../../../src/db/migrate.js';
import { KLANT_FILTER_COLUMNS } from '../../../src/domain/klanten-v1.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../helpers/databases.js';

const KLANTEN_API = '20261126120000_klanten_api';

/** Undoes the latest migrations one by one (later ones build on it) until `name` is undone. */
async function downToBefore(database: TestDatabase, name: string): Promise<void> {
  for (;;) {
    const [, undone] = (await database.db.migrate.down(migrationConfig)) as [number, string[]];
    const names = undone.map((f) => f.replace(/\.(ts|js)$/, ''));
    expect(names, 'nothing left to undo').to.not.deep.equal([]);
    if (names.includes(name)) return;
  }
}

// The klanten_api migration on a database that already holds legacy klanten: they get the default
// bronorganisatie, unique klantnummers and the identification filter columns; down undoes it all.
for (const dialect of DIALECTS) {
  describe(`klanten_api migration [${dialect}]`, () => {
    let database: TestDatabase;
    beforeEach(async () => {
      database = await freshDatabase(dialect);
      // The template is fully migrated: step back to just before the Klanten API.
      await downToBefore(database, KLANTEN_API);
    });
    afterEach(async () => {
      await database.drop();
    });

    it('fills existing klanten with the default bronorganisatie, a unique klantnummer and the filter columns', async () => {
      const db = database.db;
      const legacy = (i: number, type: string | null, identification: object | null) => ({
        uuid: randomUUID(),
        voornaam: `klant ${i}`,
        subject: type ? '' : 'https://x.example/1',
        subject_type: type,
        subject_identificatie: identification ? JSON.stringify(identification) : null,
        created_at: 0,
        updated_at: 0,
      });
      await db('klanten').insert([
        legacy(1, 'natuurlijk_persoon', { inpBsn: '111222333', anpIdentificatie: 'ANP-1', inpANummer: '1234567890' }),
        legacy(2, 'niet_natuurlijk_persoon', { innNnpId: '123456782', annIdentificatie: 'ANN-2' }),
        legacy(3, 'vestiging', { vestigingsNummer: '000012345678' }),
        legacy(4, null, null),
      ]);
      await db.migrate.latest(migrationConfig);

      const rows = await db('klanten')
        .orderBy('id')
        .select(
          'bronorganisatie',
          'klantnummer',
          'subject_inp_bsn',
          'subject_anp_identificatie',
          'subject_inp_a_nummer',
          'subject_inn_nnp_id',
          'subject_ann_identificatie',
          'subject_vestigings_nummer',
          'website_url',
          'adres_huisnummer',
        );
      const base = {
        bronorganisatie: '517439943',
        subject_inp_bsn: '',
        subject_anp_identificatie: '',
        subject_inp_a_nummer: '',
        subject_inn_nnp_id: '',
        subject_ann_identificatie: '',
        subject_vestigings_nummer: '',
        website_url: '',
        adres_huisnummer: null,
      };
      const ids = (await db('klanten').orderBy('id').pluck('id')) as number[];
      const number = (i: number) => String(ids[i]).padStart(8, '0');
      expect(rows).to.deep.equal([
        {
          ...base,
          klantnummer: number(0),
          subject_inp_bsn: '111222333',
          subject_anp_identificatie: 'ANP-1',
          subject_inp_a_nummer: '1234567890',
        },
        { ...base, klantnummer: number(1), subject_inn_nnp_id: '123456782', subject_ann_identificatie: 'ANN-2' },
        { ...base, klantnummer: number(2), subject_vestigings_nummer: '000012345678' },
        { ...base, klantnummer: number(3) },
      ]);
      // A klant added afterwards continues above the highest number.
      await db('klanten').insert(legacy(5, null, null));
      const last = await db('klanten').orderBy('id', 'desc').first('klantnummer');
      expect(last.klantnummer).to.equal(String(Number(number(3)) + 1).padStart(8, '0'));
    });

    it('can be rolled back and applied again', async () => {
      await database.db.migrate.latest(migrationConfig);
      await downToBefore(database, KLANTEN_API);
      expect(await database.db.schema.hasTable('audittrails')).to.equal(false);
      expect(await database.db.schema.hasColumn('klanten', 'klantnummer')).to.equal(false);
      await database.db.migrate.latest(migrationConfig);
      expect(await database.db.schema.hasTable('audittrails')).to.equal(true);
    });
  });
}

// A filtered page must be an index lookup, not a scan of every klant (a million of them in production).
for (const dialect of DIALECTS) {
  describe(`klanten filter indexes [${dialect}]`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await freshDatabase(dialect);
    });
    after(async () => {
      await database.drop();
    });

    it('has a filter for each of the 19 filter parameters of the spec', () => {
      expect(KLANT_FILTER_COLUMNS).to.have.length(19);
    });

    for (const column of KLANT_FILTER_COLUMNS) {
      it(`finds a page of klanten by ${column} through an index`, async () => {
        const sql = `SELECT * FROM klanten WHERE ${column} = 'x' ORDER BY id DESC LIMIT 100 OFFSET 0`; // newest first, as listed
        let plan: string;
        if (dialect === 'sqlite') {
          const rows = (await database.db.raw(`EXPLAIN QUERY PLAN ${sql}`)) as { detail: string }[];
          plan = rows.map((r) => r.detail).join('\n');
          expect(plan).to.match(/USING (COVERING )?INDEX klanten_/);
          expect(plan).not.to.match(/USE TEMP B-TREE/);
        } else {
          // An empty table is cheapest to scan; forbid that to see which index the planner would use.
          plan = await database.db.transaction(async (trx) => {
            await trx.raw('SET LOCAL enable_seqscan = off');
            const res = (await trx.raw(`EXPLAIN ${sql}`)) as { rows: { 'QUERY PLAN': string }[] };
            return res.rows.map((r) => r['QUERY PLAN']).join('\n');
          });
          expect(plan).to.match(/Index (Only )?Scan (Backward )?using klanten_/);
          expect(plan).not.to.match(/Sort/);
        }
      });
    }
  });
}
