import type { Condition } from '../db/admin-lists.js';
import { IDENTIFICATION_SCHEMA } from '../domain/klanten.js';
import { klantenV1 } from '../domain/klanten-v1.js';
import { RESOURCE_DEFS } from '../domain/registry.js';
import type { Json, ResourceDef, Row } from '../domain/resource.js';
import type { ResourceName, Urls } from '../domain/urls.js';
import { isUuid } from '../domain/urls.js';

/** A search field of an admin list and how it narrows the rows. */
export interface ListFilter {
  name: string;
  label: string;
  kind: 'text' | 'select' | 'date';
  options?: string[];
  condition(value: string, urls: Urls): Condition | undefined;
  /** A range filter whose column then orders the list (its (column, id) index serves both). */
  orderBy?: string;
}

/** How the admin shows one of the eight resources; the rules stay in its ResourceDef. */
export interface AdminResource {
  def: ResourceDef;
  title: string;
  singularTitle: string;
  /** The spec's component schema of its request body. */
  schema: string;
  /** Columns of the list, from the API representation. */
  columns: { label: string; value(api: Json, row: Row): unknown }[];
  filters: ListFilter[];
  /** The API offers update operations (PUT/PATCH) for it. */
  editable: boolean;
  /** Edits wait for a second person's approval as a working copy. */
  workingCopies?: boolean;
  /** What another API shows of the same row and this resource's API does not: shown, never edited here. */
  alsoShown?: { title: string; values(row: Row, urls: Urls): Json };
  /** Rows of other resources that point at this one, shown on its detail page. */
  children: { resource: ResourceName; column: string; title: string }[];
}

/** A local resource given as its URL or its bare uuid. */
const uuidFrom = (value: string, urls: Urls): string | undefined => {
  const v = value.trim();
  if (isUuid(v)) return v.toLowerCase();
  return urls.parse(v).uuid;
};

const byLink =
  (column: string) =>
  (value: string, urls: Urls): Condition | undefined => {
    const uuid = uuidFrom(value, urls);
    // An unknown reference matches nothing rather than everything.
    return { kind: 'eq', column, value: uuid ?? '00000000-0000-0000-0000-000000000000' };
  };

const linkFilter = (name: string, column: string): ListFilter => ({
  name,
  label: `${name} (URL of uuid)`,
  kind: 'text',
  condition: byLink(column),
});

/** Last three digits only: lists never show a whole BSN. */
export const maskBsn = (bsn: unknown): string =>
  typeof bsn === 'string' && bsn.length > 3 ? `${'•'.repeat(bsn.length - 3)}${bsn.slice(-3)}` : String(bsn ?? '');

/** A value shown to people (an audit entry's before and after): every inpBsn in it masked. */
export function maskBsns(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskBsns);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Json).map(([k, v]) => [k, k === 'inpBsn' ? maskBsn(v) : maskBsns(v)]),
  );
}

export const bsnOf = (api: Json): string | undefined => {
  const id = api['subjectIdentificatie'] as Json | null | undefined;
  const bsn = id?.['inpBsn'];
  return typeof bsn === 'string' && bsn ? bsn : undefined;
};

const def = (name: ResourceName) => RESOURCE_DEFS.find((d) => d.name === name)!;

/** What a relation points at besides its local links, shown in its list. */
const OTHER_FIELD: Partial<Record<ResourceName, string[]>> = {
  objectcontactmomenten: ['object', 'objectType'],
  objectverzoeken: ['object', 'objectType'],
  verzoekinformatieobjecten: ['informatieobject'],
  verzoekproducten: ['product', 'productIdentificatie'],
};

export const ADMIN_RESOURCES: AdminResource[] = [
  {
    def: def('klanten'),
    title: 'Klanten',
    singularTitle: 'Klant',
    schema: 'Klant',
    columns: [
      { label: 'voornaam', value: (a) => a['voornaam'] },
      { label: 'achternaam', value: (a) => a['achternaam'] },
      { label: 'klantnummer', value: (_a, row) => row['klantnummer'] },
      { label: 'emailadres', value: (a) => a['emailadres'] ?? '' },
      { label: 'subjectType', value: (a) => a['subjectType'] ?? '' },
      { label: 'BSN', value: (a) => maskBsn(bsnOf(a)) },
    ],
    filters: [
      {
        name: 'q',
        label: 'Naam of e-mailadres',
        kind: 'text',
        condition: (v) => ({ kind: 'contains', columns: ['voornaam', 'achternaam', 'emailadres'], value: v }),
      },
      {
        name: 'bsn',
        label: 'BSN',
        kind: 'text',
        // An exact match on the indexed identification column: quick at a million klanten.
        condition: (v) => ({ kind: 'eq', column: 'subject_inp_bsn', value: v.trim() }),
      },
      {
        name: 'klantnummer',
        label: 'klantnummer',
        kind: 'text',
        condition: (v) => ({ kind: 'eq', column: 'klantnummer', value: v.trim() }),
      },
    ],
    editable: true,
    workingCopies: true,
    // The admin edits a klant as the Klantinteracties API does (its rules, its form); an approved
    // edit leaves these as they are, as a write through that API does.
    alsoShown: {
      title: 'Klanten API',
      values: (row, urls) => {
        const v1 = klantenV1.toApi(row, urls);
        return {
          bronorganisatie: v1['bronorganisatie'],
          klantnummer: v1['klantnummer'],
          bedrijfsnaam: v1['bedrijfsnaam'],
          websiteUrl: row['website_url'], // not the stand-in the API shows when none is known
          voorvoegselAchternaam: v1['voorvoegselAchternaam'],
          adres: v1['adres'],
        };
      },
    },
    children: [
      { resource: 'contactmomenten', column: 'klant_uuid', title: 'Contactmomenten' },
      { resource: 'verzoeken', column: 'klant_uuid', title: 'Verzoeken' },
    ],
  },
  {
    def: def('contactmomenten'),
    title: 'Contactmomenten',
    singularTitle: 'Contactmoment',
    schema: 'ContactMoment',
    columns: [
      { label: 'interactiedatum', value: (a) => a['interactiedatum'] },
      { label: 'kanaal', value: (a) => a['kanaal'] },
      { label: 'klant', value: (a) => a['klant'] ?? '' },
      { label: 'bronorganisatie', value: (a) => a['bronorganisatie'] },
    ],
    filters: [
      linkFilter('klant', 'klant_uuid'),
      { name: 'kanaal', label: 'kanaal', kind: 'text', condition: (v) => ({ kind: 'eq', column: 'kanaal', value: v }) },
      {
        name: 'van',
        label: 'interactiedatum vanaf',
        kind: 'date',
        orderBy: 'interactiedatum',
        condition: (v) => ({ kind: 'gte', column: 'interactiedatum', value: v }),
      },
      {
        name: 'tot',
        label: 'interactiedatum tot en met',
        kind: 'date',
        orderBy: 'interactiedatum',
        // Stored datetimes are ISO text: everything on the given day sorts before the next day.
        condition: (v) => ({ kind: 'lt', column: 'interactiedatum', value: `${v}T99` }),
      },
    ],
    editable: true,
    children: [
      { resource: 'objectcontactmomenten', column: 'contactmoment_uuid', title: 'Objecten' },
      { resource: 'verzoekcontactmomenten', column: 'contactmoment_uuid', title: 'Verzoeken' },
    ],
  },
  {
    def: def('verzoeken'),
    title: 'Verzoeken',
    singularTitle: 'Verzoek',
    schema: 'Verzoek',
    columns: [
      { label: 'identificatie', value: (a) => a['identificatie'] },
      { label: 'status', value: (a) => a['status'] },
      { label: 'klant', value: (a) => a['klant'] ?? '' },
      { label: 'interactiedatum', value: (a) => a['interactiedatum'] },
    ],
    filters: [
      {
        name: 'status',
        label: 'status',
        kind: 'select',
        options: ['ontvangen', 'in_behandeling', 'afgehandeld', 'afgewezen', 'ingetrokken'],
        condition: (v) => ({ kind: 'eq', column: 'status', value: v }),
      },
      linkFilter('klant', 'klant_uuid'),
      {
        name: 'identificatie',
        label: 'identificatie of externe identificatie',
        kind: 'text',
        // A code people copy: exact, on indexed columns.
        condition: (v) => ({ kind: 'eq-any', columns: ['identificatie', 'externe_identificatie'], value: v.trim() }),
      },
    ],
    editable: true,
    children: [
      { resource: 'verzoekinformatieobjecten', column: 'verzoek_uuid', title: 'Documenten' },
      { resource: 'verzoekproducten', column: 'verzoek_uuid', title: 'Producten' },
      { resource: 'verzoekcontactmomenten', column: 'verzoek_uuid', title: 'Contactmomenten' },
      { resource: 'objectverzoeken', column: 'verzoek_uuid', title: 'Objecten' },
    ],
  },
  relation('objectcontactmomenten', 'Objectcontactmomenten', 'Objectcontactmoment', 'ObjectContactMoment', [
    ['contactmoment', 'contactmoment_uuid'],
  ]),
  relation('objectverzoeken', 'Objectverzoeken', 'Objectverzoek', 'ObjectVerzoek', [['verzoek', 'verzoek_uuid']]),
  relation('verzoekcontactmomenten', 'Verzoekcontactmomenten', 'Verzoekcontactmoment', 'VerzoekContactMoment', [
    ['verzoek', 'verzoek_uuid'],
    ['contactmoment', 'contactmoment_uuid'],
  ]),
  relation(
    'verzoekinformatieobjecten',
    'Verzoekinformatieobjecten',
    'Verzoekinformatieobject',
    'VerzoekInformatieObject',
    [['verzoek', 'verzoek_uuid']],
  ),
  relation('verzoekproducten', 'Verzoekproducten', 'Verzoekproduct', 'VerzoekProduct', [['verzoek', 'verzoek_uuid']]),
];

/** A relation resource: listed with its links, created and deleted, never edited (as in the API). */
function relation(
  name: ResourceName,
  title: string,
  singularTitle: string,
  schema: string,
  links: [string, string][],
): AdminResource {
  return {
    def: def(name),
    title,
    singularTitle,
    schema,
    columns: [...links.map(([field]) => field), ...(OTHER_FIELD[name] ?? [])].map((field) => ({
      label: field,
      value: (a: Json) => a[field],
    })),
    filters: links.map(([field, column]) => linkFilter(field, column)),
    editable: false,
    children: [],
  };
}

export const adminResource = (name: string): AdminResource | undefined =>
  ADMIN_RESOURCES.find((r) => r.def.name === name);

/** The schema of a klant's identification for its subjectType (the spec's discriminator). */
export const identificationSchema = (subjectType: unknown): string | undefined =>
  typeof subjectType === 'string' ? IDENTIFICATION_SCHEMA[subjectType] : undefined;
