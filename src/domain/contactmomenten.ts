import type { DomainContext, Json, ResourceDef, Row } from './resource.js';
import { toApiDateTime, nowStoredDateTime } from './datetime.js';
import { Problems, dateTime, jsonOrNull, localReference, parseJson, rsin, text } from './validation.js';

/** A contact between the municipality and a klant, through some kanaal. */
export const contactmomenten: ResourceDef = {
  name: 'contactmomenten',
  singular: 'contactmoment',

  toApi: (row: Row, urls) => ({
    url: urls.of('contactmomenten', row.uuid),
    bronorganisatie: row['bronorganisatie'],
    klant: row['klant_uuid'] ? urls.of('klanten', row['klant_uuid'] as string) : null,
    interactiedatum: toApiDateTime(row['interactiedatum'] as string),
    kanaal: row['kanaal'],
    voorkeurskanaal: row['voorkeurskanaal'],
    tekst: row['tekst'],
    onderwerpLinks: parseJson<string[]>(row['onderwerp_links'], []),
    // An enum admits no "": without a value the property is left out rather than break the spec.
    ...(row['initiatiefnemer'] ? { initiatiefnemer: row['initiatiefnemer'] } : {}),
    // A URI admits no "" either.
    ...(row['medewerker'] ? { medewerker: row['medewerker'] } : {}),
    medewerkerIdentificatie: parseJson<Json | null>(row['medewerker_identificatie'], null),
  }),

  async toColumns(input: Json, ctx: DomainContext, existing?: Row) {
    const problems = new Problems();
    const bronorganisatie = rsin(problems, input['bronorganisatie']);
    const interactiedatum = dateTime(problems, input['interactiedatum'], 'interactiedatum');
    // As DRF's related fields: "" means no klant.
    const klant =
      input['klant'] === undefined || input['klant'] === null || input['klant'] === ''
        ? null
        : await localReference(ctx.db, ctx.urls, problems, input['klant'], 'klant', 'klanten');
    problems.throwIfAny();

    const medewerkerIdentificatie = input['medewerkerIdentificatie'] as Json | null | undefined;
    if (!input['medewerker'] && !hasContent(medewerkerIdentificatie)) {
      problems.add({
        name: 'nonFieldErrors',
        code: 'invalid-medewerker',
        reason: 'medewerker or medewerkerIdentificatie must be provided',
      });
    }
    problems.throwIfAny();

    return {
      bronorganisatie,
      klant_uuid: klant ?? null,
      // When the interaction took place does not change because a PUT leaves it out (as a verzoek's).
      interactiedatum: interactiedatum ?? (existing?.['interactiedatum'] as string | undefined) ?? nowStoredDateTime(),
      kanaal: text(input['kanaal']),
      voorkeurskanaal: text(input['voorkeurskanaal']),
      tekst: text(input['tekst']),
      onderwerp_links: JSON.stringify(input['onderwerpLinks'] ?? []),
      initiatiefnemer: text(input['initiatiefnemer']),
      medewerker: text(input['medewerker']),
      medewerker_identificatie: hasContent(medewerkerIdentificatie)
        ? jsonOrNull(ctx.shapes.complete('Medewerker', medewerkerIdentificatie))
        : null,
    };
  },
};

function hasContent(value: Json | null | undefined): value is Json {
  return !!value && Object.values(value).some((v) => v !== undefined && v !== null && v !== '');
}
