import type { Db } from '../db/knex.js';
import * as verzoekenTable from '../db/verzoeken.js';
import { invalid } from '../errors.js';
import { nowStoredDateTime, toApiDateTime } from './datetime.js';
import type { ResourceDef, Row } from './resource.js';
import { Problems, dateTime, localReference, rsin, text } from './validation.js';

const NOT_UNIQUE = {
  name: 'identificatie',
  code: 'identificatie-niet-uniek',
  reason: 'Deze identificatie bestaat al binnen de organisatie',
};

/**
 * An identificatie like vng-api-common generates them: VERZOEK-<year of interactiedatum in UTC>-<10 digits>,
 * one more than the highest generated for that year and bronorganisatie. Two concurrent creates can
 * pick the same number; the unique index catches that and the create is retried with the next one.
 */
async function nextIdentificatie(db: Db, bronorganisatie: string, interactiedatum: string): Promise<string> {
  const prefix = `VERZOEK-${interactiedatum.slice(0, 4)}-`;
  const n = (await verzoekenTable.highestGeneratedNumber(db, bronorganisatie, prefix)) + 1;
  return `${prefix}${String(n).padStart(10, '0')}`;
}

/** A request of a klant to the municipality, which may lead to zaken. */
export const verzoeken: ResourceDef = {
  name: 'verzoeken',
  singular: 'verzoek',
  immutable: ['identificatie'],

  toApi: (row: Row, urls) => ({
    url: urls.of('verzoeken', row.uuid),
    identificatie: row['identificatie'],
    bronorganisatie: row['bronorganisatie'],
    externeIdentificatie: row['externe_identificatie'],
    klant: row['klant_uuid'] ? urls.of('klanten', row['klant_uuid'] as string) : null,
    interactiedatum: toApiDateTime(row['interactiedatum'] as string),
    voorkeurskanaal: row['voorkeurskanaal'],
    tekst: row['tekst'],
    status: row['status'],
  }),

  async toColumns(input, ctx, existing) {
    const problems = new Problems();
    const bronorganisatie = rsin(problems, input['bronorganisatie']);
    for (const field of ['identificatie', 'externeIdentificatie']) {
      const value = input[field];
      // vng-api-common's alphanumeric_excluding_diacritic: ASCII only.
      if (typeof value === 'string' && /[^\x20-\x7e]/.test(value)) {
        problems.add({
          name: field,
          code: 'invalid',
          reason: `Waarde "${value}" mag geen diakrieten of non-ascii tekens bevatten`,
        });
      }
    }
    const interactiedatum =
      dateTime(problems, input['interactiedatum'], 'interactiedatum') ??
      (existing?.['interactiedatum'] as string | undefined) ??
      nowStoredDateTime();
    const klant =
      input['klant'] === undefined || input['klant'] === null
        ? null
        : await localReference(ctx.db, ctx.urls, problems, input['klant'], 'klant', 'klanten');
    problems.throwIfAny();

    let identificatie = text(input['identificatie']) || ((existing?.['identificatie'] as string | undefined) ?? '');
    if (identificatie) {
      const holder = await verzoekenTable.findUuidByIdentificatie(ctx.db, bronorganisatie, identificatie);
      if (holder && holder !== existing?.uuid) throw invalid([NOT_UNIQUE]);
    } else {
      identificatie = await nextIdentificatie(ctx.db, bronorganisatie, interactiedatum);
    }
    return {
      identificatie,
      bronorganisatie,
      externe_identificatie: text(input['externeIdentificatie']),
      klant_uuid: klant ?? null,
      interactiedatum,
      voorkeurskanaal: text(input['voorkeurskanaal']),
      tekst: text(input['tekst']),
      status: input['status'],
    };
  },

  uniqueProblem: NOT_UNIQUE,
  // Each round of concurrent creates that picked the same number lets at least one of them in; a
  // client-given identificatie that is taken is refused before the insert, so this rarely loops.
  insertAttempts: 50,

  async afterRemove(_row, ctx) {
    ctx.sync?.nudge(); // the cascade may have removed verzoekinformatieobjecten: mirror that now
  },
};
