import type { Json } from './resource.js';
import { DEFAULT_BRONORGANISATIE } from '../config.js';
import type { DomainContext } from './resource.js';

// What both views of the one klant store (the legacy Klantinteracties API and the Klanten API)
// write the same way: the identification values behind the Klanten API's subject filters, and the
// bronorganisatie a klant gets when its client gives none (its klantnummer comes from the database).

/** Identification property → column, per subject type (only that type's identification fills them). */
const IDENTIFICATION_COLUMNS: Record<string, Record<string, string>> = {
  natuurlijk_persoon: {
    inpBsn: 'subject_inp_bsn',
    anpIdentificatie: 'subject_anp_identificatie',
    inpANummer: 'subject_inp_a_nummer',
  },
  niet_natuurlijk_persoon: { innNnpId: 'subject_inn_nnp_id', annIdentificatie: 'subject_ann_identificatie' },
  vestiging: { vestigingsNummer: 'subject_vestigings_nummer' },
};

const ALL_IDENTIFICATION_COLUMNS = Object.values(IDENTIFICATION_COLUMNS).flatMap((m) => Object.values(m));

/** The filter columns for a subject identification; every one is set, so a change clears the old values. */
export function identificationColumns(subjectType: string | null, identification: Json | null): Record<string, string> {
  const out: Record<string, string> = Object.fromEntries(ALL_IDENTIFICATION_COLUMNS.map((c) => [c, '']));
  const map = subjectType ? IDENTIFICATION_COLUMNS[subjectType] : undefined;
  if (map && identification) {
    for (const [property, column] of Object.entries(map)) {
      const value = identification[property];
      if (typeof value === 'string') out[column] = value;
    }
  }
  return out;
}

export const defaultBronorganisatie = (ctx: DomainContext): string =>
  ctx.defaultBronorganisatie ?? DEFAULT_BRONORGANISATIE;
