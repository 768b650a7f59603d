import type { ErrorObject } from 'ajv';
import type { InvalidParam } from '../errors.js';

/** Where an ajv error points: the request part and the camelCase field path within it. */
function locate(e: ErrorObject): { part: string; name: string } {
  const [, part = '', ...rest] = e.instancePath.split('/');
  const segments = rest.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') segments.push((e.params as { missingProperty: string }).missingProperty);
  if (part === '' && e.keyword === 'required') {
    // "requestBody" itself missing
    return { part: 'requestBody', name: 'nonFieldErrors' };
  }
  return { part, name: segments.join('.') || 'nonFieldErrors' };
}

const typeName = (data: unknown): string => (data === null ? 'null' : Array.isArray(data) ? 'list' : typeof data);

/** Maps one ajv error to the field code and reason the reference (DRF) would give. */
export function toParam(e: ErrorObject): InvalidParam {
  const { name } = locate(e);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { name, code: 'required', reason: 'Dit veld is vereist.' };
    case 'type':
      if (e.data === null) return { name, code: 'null', reason: 'Dit veld mag niet leeg zijn.' };
      if (p['type'] === 'array')
        return {
          name,
          code: 'not_a_list',
          reason: `Verwachtte een lijst met items, kreeg type "${typeName(e.data)}".`,
        };
      if (p['type'] === 'object')
        return {
          name,
          code: 'invalid',
          reason: `Ongeldige data. Verwachtte een dictionary, kreeg een ${typeName(e.data)}.`,
        };
      return { name, code: 'invalid', reason: `Expected ${String(p['type'])}, got ${typeName(e.data)}.` };
    case 'maxLength':
      return {
        name,
        code: 'max_length',
        reason: `Zorg ervoor dat dit veld niet meer dan ${String(p['limit'])} karakters bevat.`,
      };
    case 'minLength':
      return e.data === ''
        ? { name, code: 'blank', reason: 'Dit veld mag niet leeg zijn.' }
        : {
            name,
            code: 'min_length',
            reason: `Zorg ervoor dat dit veld minimaal ${String(p['limit'])} karakters bevat.`,
          };
    case 'enum':
      return { name, code: 'invalid_choice', reason: `"${String(e.data)}" is een ongeldige keuze.` };
    case 'maximum':
      return {
        name,
        code: 'max_value',
        reason: `Zorg ervoor dat deze waarde kleiner of gelijk is aan ${String(p['limit'])}.`,
      };
    case 'minimum':
      return {
        name,
        code: 'min_value',
        reason: `Zorg ervoor dat deze waarde groter of gelijk is aan ${String(p['limit'])}.`,
      };
    case 'format':
      return { name, code: 'invalid', reason: formatReason(String(p['format'])) };
    case 'pattern':
      return { name, code: 'invalid', reason: 'Deze waarde voldoet niet aan het vereiste patroon.' };
    default:
      return { name, code: 'invalid', reason: e.message ?? 'Invalid value.' };
  }
}

function formatReason(format: string): string {
  switch (format) {
    case 'uri':
      return 'Voer een geldige URL in.';
    case 'email':
      return 'Voer een geldig e-mailadres in.';
    case 'date-time':
      return 'Datetime heeft een ongeldig formaat.';
    case 'uuid':
      return 'Voer een geldige UUID in.';
    default:
      return `Not a valid ${format}.`;
  }
}

export interface ClassifiedErrors {
  /** The path parameter is malformed (a non-UUID): the reference answers 404. */
  badPath: boolean;
  /** Query parameters the operation does not declare. */
  unknownQuery: string[];
  /** Everything else, as invalidParams. */
  params: InvalidParam[];
}

export function classify(
  errors: ErrorObject[],
  query: Record<string, unknown>,
  declared: ReadonlySet<string>,
): ClassifiedErrors {
  const out: ClassifiedErrors = { badPath: false, unknownQuery: [], params: [] };
  const seen = new Set<string>();
  for (const e of errors) {
    const { part } = locate(e);
    if (part === 'path') {
      out.badPath = true;
    } else if (part === 'query' && e.keyword === 'additionalProperties') {
      out.unknownQuery = Object.keys(query).filter((k) => !declared.has(k));
    } else {
      const param = toParam(e);
      const key = `${param.name}|${param.code}`;
      if (!seen.has(key)) out.params.push(param);
      seen.add(key);
    }
  }
  return out;
}
