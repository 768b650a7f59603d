import { HOLDS_KLANT } from '../db/working-copies.js';
import { conflict } from '../errors.js';
import { klantAuditRecorder } from './audit.js';
import { defaultBronorganisatie, identificationColumns } from './klant-store.js';
import type { DomainContext, Json, ResourceDef, Row } from './resource.js';
import { checkRsin } from './rsin.js';
import { Problems, parseJson, text } from './validation.js';

/** The spec's schema with the identification of each subject type (Klant's discriminator). */
export const IDENTIFICATION_SCHEMA: Record<string, string> = {
  natuurlijk_persoon: 'NatuurlijkPersoon',
  niet_natuurlijk_persoon: 'NietNatuurlijkPersoon',
  vestiging: 'Vestiging',
};

/**
 * A missing address is shown as null, so null means "no address" on input too (as in the
 * reference): a PATCH overlaying the current representation must not fail on its own nulls.
 */
function withoutNullAddresses(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out = { ...(value as Json) };
  for (const key of ['verblijfsadres', 'subVerblijfBuitenland']) if (out[key] === null) delete out[key];
  return out;
}

/**
 * The Klanten API accepts a verblijfsadres without `aoaHuisnummer` or with an empty
 * `wplWoonplaatsNaam`; the legacy schema requires both. Such an address is only the Klanten API's:
 * this view shows it as null, and a write through this view that gives no verblijfsadres keeps it.
 */
function legacyShows(adres: unknown): boolean {
  if (!adres || typeof adres !== 'object') return true;
  const a = adres as Json;
  return (
    typeof a['aoaHuisnummer'] === 'number' &&
    typeof a['wplWoonplaatsNaam'] === 'string' &&
    a['wplWoonplaatsNaam'] !== ''
  );
}

const hiddenAdres = (identification: Json | null): unknown =>
  identification && !legacyShows(identification['verblijfsadres']) ? identification['verblijfsadres'] : undefined;

const hasContent = (v: unknown): v is Json => !!v && typeof v === 'object' && Object.keys(v).length > 0;

/**
 * Checks the polymorphic identification of `input` against its subject type's schema (both APIs
 * share the schemas) and returns it completed, or null when none is given. Throws the 400 when
 * anything collected so far is wrong.
 */
export function subjectIdentification(
  input: Json,
  subjectType: string | null,
  ctx: DomainContext,
  problems: Problems,
): Json | null {
  const schema = subjectType ? IDENTIFICATION_SCHEMA[subjectType] : undefined;
  const given = withoutNullAddresses(input['subjectIdentificatie']);
  if (!schema || given === undefined || given === null) return null;
  for (const p of ctx.shapes.check(schema, given, 'subjectIdentificatie')) {
    problems.add(
      p.name === 'subjectIdentificatie.inpANummer' && p.code === 'invalid'
        ? { ...p, code: 'a-nummer-incorrect-format', reason: 'inpA_nummer must consist of 10 digits' }
        : p,
    );
  }
  // BSN and RSIN of the identification pass the same 11-proof as a bronorganisatie.
  for (const field of ['inpBsn', 'innNnpId']) {
    const value = (given as Json)[field];
    if (typeof value === 'string' && value !== '') problems.add(checkRsin(value, `subjectIdentificatie.${field}`));
  }
  problems.throwIfAny();
  return hasContent(given) ? ctx.shapes.complete(schema, given as Json) : null;
}

const recordLegacyWrite = klantAuditRecorder((row, ctx) => klanten.toApi(row, ctx.urls));

/**
 * An edit made in the admin waits for approval as a working copy; meanwhile nobody changes the
 * klant, through either API (both klant views carry this hold).
 */
export const KLANT_HELD_BY_WORKING_COPY: NonNullable<ResourceDef['heldBy']> = {
  ...HOLDS_KLANT,
  problem: () =>
    conflict(
      'working-copy-exists',
      'Deze klant kan niet gewijzigd of verwijderd worden: er wacht een werkkopie op goedkeuring in de beheeromgeving.',
    ),
};

/** Someone the municipality is in contact with: a person, an organisation or a branch of one. */
export const klanten: ResourceDef = {
  name: 'klanten',
  singular: 'klant',
  immutable: ['subjectType'],

  toApi(row: Row, urls) {
    const subjectType = (row['subject_type'] as string | null) ?? null;
    const identification = parseJson<Json | null>(row['subject_identificatie'], null);
    return {
      url: urls.of('klanten', row.uuid),
      voornaam: row['voornaam'],
      achternaam: row['achternaam'],
      adres: row['adres'],
      telefoonnummer: row['telefoonnummer'],
      // An e-mail address and a URI admit no "": without a value the property is left out rather
      // than break the spec (as initiatiefnemer and verzoekproduct.product are).
      ...(row['emailadres'] ? { emailadres: row['emailadres'] } : {}),
      functie: row['functie'],
      ...(row['subject'] ? { subject: row['subject'] } : {}),
      subjectType,
      // The polymorphic part: present for a klant with a subject type, as the reference's serializer does.
      ...(subjectType
        ? {
            subjectIdentificatie:
              hiddenAdres(identification) === undefined ? identification : { ...identification, verblijfsadres: null },
          }
        : {}),
    };
  },

  async toColumns(input, ctx, existing) {
    const problems = new Problems();
    // The reference answers a klant without subjectType with a 500; it is the client's 400 here.
    if (!('subjectType' in input)) {
      problems.add({ name: 'subjectType', code: 'required', reason: 'Dit veld is vereist.' });
      problems.throwIfAny();
    }
    const subjectType = (input['subjectType'] as string | null) ?? null;
    const identification = subjectIdentification(input, subjectType, ctx, problems);
    const hidden = existing ? hiddenAdres(parseJson<Json | null>(existing['subject_identificatie'], null)) : undefined;
    if (identification && hidden !== undefined && identification['verblijfsadres'] == null) {
      identification['verblijfsadres'] = hidden;
    }
    if (!input['subject'] && !identification) {
      problems.add({
        name: 'nonFieldErrors',
        code: 'invalid-subject',
        reason: 'subject or subjectIdentificatie must be provided',
      });
    }
    problems.throwIfAny();
    // This API knows no bronorganisatie or klantnummer: a new klant gets the configured one and the
    // database gives it the next free number (see the klanten_api migration); an update leaves them
    // (and every other Klanten API field) as they are.
    return {
      ...(existing ? {} : { bronorganisatie: defaultBronorganisatie(ctx) }),
      voornaam: text(input['voornaam']),
      achternaam: text(input['achternaam']),
      adres: text(input['adres']),
      telefoonnummer: text(input['telefoonnummer']),
      emailadres: text(input['emailadres']),
      functie: text(input['functie']),
      subject: text(input['subject']),
      subject_type: subjectType,
      subject_identificatie: identification ? JSON.stringify(identification) : null,
      ...identificationColumns(subjectType, identification),
    };
  },

  // A generated klantnummer taken meanwhile by a concurrent create: retry with the next one.
  insertAttempts: 50,

  // The audit trail records writes through this API too, in this API's representation.
  recordWrite: (ctx, change) => recordLegacyWrite(ctx, change),

  async afterRemove(_row, ctx) {
    ctx.sync?.nudge(); // the cascade may have removed verzoekinformatieobjecten: mirror that now
  },

  heldBy: KLANT_HELD_BY_WORKING_COPY,
};
