import * as klantenTable from '../db/klanten.js';
import { invalid, type InvalidParam } from '../errors.js';
import { klantAuditRecorder } from './audit.js';
import { buildFilters, type FilterDef } from './filters.js';
import { identificationColumns } from './klant-store.js';
import { KLANT_HELD_BY_WORKING_COPY, subjectIdentification } from './klanten.js';
import type { Json, ListFilters, ResourceDef, Row } from './resource.js';
import { Problems, parseJson, rsin, text } from './validation.js';

// The Klanten API 1.0 view of the klant store. It reads and writes the columns this API knows
// (shared ones such as the names and the subject, and its own: bronorganisatie, klantnummer,
// bedrijfsnaam, websiteUrl, voorvoegselAchternaam, the structured adres); a PUT never touches what
// only the legacy API holds (its free-text adres).

const NOT_UNIQUE: InvalidParam = {
  name: 'nonFieldErrors',
  code: 'unique',
  reason: 'De velden bronorganisatie, klantnummer moeten een unieke set zijn.',
};

/** KlantAdres property → column. */
const ADRES: [string, string][] = [
  ['straatnaam', 'adres_straatnaam'],
  ['huisnummer', 'adres_huisnummer'],
  ['huisletter', 'adres_huisletter'],
  ['huisnummertoevoeging', 'adres_huisnummertoevoeging'],
  ['postcode', 'adres_postcode'],
  ['woonplaatsnaam', 'adres_woonplaatsnaam'],
  ['landcode', 'adres_landcode'],
];

/** Every list filter of the spec: exact matches on an indexed column. */
const FILTERS: Record<string, FilterDef> = {
  bronorganisatie: { kind: 'exact', column: 'bronorganisatie' },
  klantnummer: { kind: 'exact', column: 'klantnummer' },
  bedrijfsnaam: { kind: 'exact', column: 'bedrijfsnaam' },
  functie: { kind: 'exact', column: 'functie' },
  achternaam: { kind: 'exact', column: 'achternaam' },
  telefoonnummer: { kind: 'exact', column: 'telefoonnummer' },
  emailadres: { kind: 'exact', column: 'emailadres' },
  adres__straatnaam: { kind: 'exact', column: 'adres_straatnaam' },
  adres__postcode: { kind: 'exact', column: 'adres_postcode' },
  adres__woonplaatsNaam: { kind: 'exact', column: 'adres_woonplaatsnaam' },
  adres__landcode: { kind: 'exact', column: 'adres_landcode' },
  subject: { kind: 'exact', column: 'subject' },
  subjectType: { kind: 'exact', column: 'subject_type' },
  subjectNatuurlijkPersoon__inpBsn: { kind: 'exact', column: 'subject_inp_bsn' },
  subjectNatuurlijkPersoon__anpIdentificatie: { kind: 'exact', column: 'subject_anp_identificatie' },
  subjectNatuurlijkPersoon__inpA_nummer: { kind: 'exact', column: 'subject_inp_a_nummer' },
  subjectNietNatuurlijkPersoon__innNnpId: { kind: 'exact', column: 'subject_inn_nnp_id' },
  subjectNietNatuurlijkPersoon__annIdentificatie: { kind: 'exact', column: 'subject_ann_identificatie' },
  subjectVestiging__vestigingsNummer: { kind: 'exact', column: 'subject_vestigings_nummer' },
};

/** The columns the list filters match on (each needs an index; the migration test checks that). */
export const KLANT_FILTER_COLUMNS: readonly string[] = Object.values(FILTERS).map((f) => f.column);

/** The structured address, or null when nothing of it is known. */
function adresOf(row: Row): Json | null {
  const adres: Json = Object.fromEntries(ADRES.map(([property, column]) => [property, row[column] ?? null]));
  return Object.values(adres).some((v) => v !== '' && v !== null) ? adres : null;
}

function adresColumns(value: unknown): Record<string, unknown> {
  const given = (value && typeof value === 'object' ? value : {}) as Json;
  return Object.fromEntries(
    ADRES.map(([property, column]) => {
      const v = given[property];
      return [column, property === 'huisnummer' ? (typeof v === 'number' ? v : null) : text(v)];
    }),
  );
}

const recordWrite = klantAuditRecorder((row, ctx) => klantenV1.toApi(row, ctx.urls));

/** A klant as the Klanten API 1.0 sees it. */
export const klantenV1: ResourceDef = {
  name: 'klanten',
  singular: 'klant',
  immutable: ['subjectType'],
  // Newest first, as the reference lists its klanten (order_by("-pk")).
  listOrder: 'desc',

  toApi(row: Row, urls) {
    const url = urls.of('klanten', row.uuid);
    const subjectType = (row['subject_type'] as string | null) ?? null;
    return {
      url,
      bronorganisatie: row['bronorganisatie'],
      klantnummer: row['klantnummer'],
      bedrijfsnaam: row['bedrijfsnaam'],
      functie: row['functie'],
      // Required and a URI, but unknown for klanten from the legacy API: the klant's own URL (see README).
      websiteUrl: row['website_url'] || url,
      voornaam: row['voornaam'],
      voorvoegselAchternaam: row['voorvoegsel_achternaam'],
      achternaam: row['achternaam'],
      telefoonnummer: row['telefoonnummer'],
      ...(row['emailadres'] ? { emailadres: row['emailadres'] } : {}),
      adres: adresOf(row),
      ...(row['subject'] ? { subject: row['subject'] } : {}),
      subjectType,
      ...(subjectType ? { subjectIdentificatie: parseJson<Json | null>(row['subject_identificatie'], null) } : {}),
    };
  },

  async toColumns(input, ctx, existing, sent) {
    const problems = new Problems();
    const bronorganisatie = rsin(problems, input['bronorganisatie']);
    const klantnummer = text(input['klantnummer']);
    const subjectType = (input['subjectType'] as string | null | undefined) ?? null;
    const identification = subjectIdentification(input, subjectType, ctx, problems);
    const subject = text(input['subject']);
    problems.throwIfAny();

    // kla-002: a subject must resolve to 200. As the reference's field validator: checked whenever the
    // client sends it (a PUT always does), and when it changes; a PATCH that leaves it out is not.
    if (subject && (subject !== existing?.['subject'] || (sent !== undefined && 'subject' in sent))) {
      problems.add(await ctx.remote.checkUrl(subject, 'subject'));
      problems.throwIfAny();
    }
    if (!subject && !identification) {
      problems.add({
        name: 'nonFieldErrors',
        code: 'invalid-subject',
        reason: 'subject or subjectIdentificatie must be provided',
      });
    }
    problems.throwIfAny();
    // kla-001, checked here for a clear answer; the unique constraint decides under concurrency.
    const holder = await klantenTable.findUuidByKlantnummer(ctx.db, bronorganisatie, klantnummer);
    if (holder && holder !== existing?.uuid) throw invalid([NOT_UNIQUE]);

    const websiteUrl = text(input['websiteUrl']);
    const ownUrl = existing ? ctx.urls.of('klanten', existing.uuid) : undefined;
    return {
      bronorganisatie,
      klantnummer,
      bedrijfsnaam: text(input['bedrijfsnaam']),
      functie: text(input['functie']),
      // The stand-in shown for "none known" is not stored (a PATCH echoes it back).
      website_url: websiteUrl === ownUrl ? '' : websiteUrl,
      voornaam: text(input['voornaam']),
      voorvoegsel_achternaam: text(input['voorvoegselAchternaam']),
      achternaam: text(input['achternaam']),
      telefoonnummer: text(input['telefoonnummer']),
      emailadres: text(input['emailadres']),
      ...adresColumns(input['adres']),
      subject,
      subject_type: subjectType,
      subject_identificatie: identification ? JSON.stringify(identification) : null,
      ...identificationColumns(subjectType, identification),
    };
  },

  listFilters(query, ctx): ListFilters {
    // As django-filter: an empty value does not filter.
    const given = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== ''));
    return buildFilters(FILTERS, given, ctx.urls);
  },

  uniqueProblem: NOT_UNIQUE,
  recordWrite: (ctx, change) => recordWrite(ctx, change),

  heldBy: KLANT_HELD_BY_WORKING_COPY,

  async afterRemove(_row, ctx) {
    ctx.sync?.nudge(); // the cascade may have removed verzoekinformatieobjecten: mirror that now
  },
};
