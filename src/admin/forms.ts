import type { Json } from '../domain/resource.js';
import type { InvalidParam } from '../errors.js';

type Schema = Record<string, unknown>;

/** One input of a generated form; `name` is the dotted API path (subjectIdentificatie.inpBsn). */
export interface Field {
  name: string;
  kind: 'text' | 'textarea' | 'select' | 'number' | 'lines' | 'email' | 'url' | 'datetime';
  required: boolean;
  help: string;
  maxLength?: number;
  options?: string[];
  /** Nested object this field belongs to (its fields are left out together when all are empty). */
  group?: string;
  nullable: boolean;
  /** "" is a valid value (a plain text); otherwise an empty field is left out. */
  emptyString: boolean;
  /** Fixed by the page (e.g. the verzoek of a document link): shown read-only. */
  fixed?: boolean;
}

/**
 * Builds forms from the spec's component schemas, so the admin has the same fields, limits and
 * enumerations as the API without a second list of them.
 */
export class FormBuilder {
  private readonly schemas: Record<string, Schema>;

  constructor(definition: Record<string, unknown>) {
    this.schemas = ((definition['components'] as Schema | undefined)?.['schemas'] ?? {}) as Record<string, Schema>;
  }

  private resolve(s: Schema): Schema {
    const ref = s['$ref'];
    if (typeof ref === 'string') return this.resolve(this.schemas[ref.split('/').pop()!] ?? {});
    return s;
  }

  /** The writable fields of a schema, nested objects flattened with dotted names. */
  fields(schemaName: string, prefix = '', group?: string): Field[] {
    const schema = this.resolve({ $ref: `#/components/schemas/${schemaName}` });
    return this.fieldsOf(schema, prefix, group);
  }

  private fieldsOf(schema: Schema, prefix: string, group: string | undefined): Field[] {
    const required = new Set((schema['required'] as string[] | undefined) ?? []);
    const out: Field[] = [];
    for (const [name, raw] of Object.entries((schema['properties'] ?? {}) as Record<string, Schema>)) {
      const prop = this.resolve(raw);
      if (prop['readOnly']) continue;
      const path = prefix ? `${prefix}.${name}` : name;
      if (prop['type'] === 'object' || prop['properties']) {
        out.push(...this.fieldsOf(prop, path, path));
        continue;
      }
      const items = prop['type'] === 'array' ? this.resolve((prop['items'] ?? {}) as Schema) : undefined;
      const field: Field = {
        name: path,
        kind: kindOf(prop, items),
        required: required.has(name),
        help: String(raw['description'] ?? prop['description'] ?? ''),
        nullable: prop['nullable'] === true,
        // As the API's completion of nested objects: a value with a pattern or format admits no "".
        emptyString:
          prop['type'] === 'string' && !prop['enum'] && !prop['pattern'] && !prop['format'] && !prop['minLength'],
        ...(group ? { group } : {}),
      };
      if (typeof prop['maxLength'] === 'number') field.maxLength = prop['maxLength'];
      if (Array.isArray(prop['enum']))
        field.options = (prop['enum'] as unknown[]).filter((v) => v !== null).map(String);
      out.push(field);
    }
    return out;
  }
}

function kindOf(prop: Schema, items: Schema | undefined): Field['kind'] {
  if (items) return 'lines';
  if (prop['enum']) return 'select';
  if (prop['type'] === 'integer' || prop['type'] === 'number') return 'number';
  if (prop['format'] === 'date-time') return 'datetime';
  if (prop['format'] === 'email') return 'email';
  if (prop['format'] === 'uri') return 'url';
  if (!prop['maxLength']) return 'textarea';
  return 'text';
}

/**
 * Turns posted form values into API input. An empty field is "no value": left out, or null where
 * the API takes null; a plain text field keeps "" (the API stores optional texts as ""). A nested
 * object whose fields are all empty is left out as a whole.
 */
export function formToInput(fields: Field[], body: Record<string, unknown>): Json {
  const out: Json = {};
  const emptyGroups = new Set(fields.filter((f) => f.group).map((f) => f.group!));
  for (const f of fields) {
    const raw = typeof body[f.name] === 'string' ? (body[f.name] as string) : '';
    if (f.group && raw.trim() !== '') emptyGroups.delete(f.group);
  }
  for (const f of fields) {
    if (f.group && [...emptyGroups].some((g) => f.name.startsWith(`${g}.`))) continue;
    const raw = typeof body[f.name] === 'string' ? (body[f.name] as string) : '';
    const value = raw.trim();
    let v: unknown;
    if (f.kind === 'lines') {
      v = value
        .split(/\r?\n/)
        .map((s) => s.trim())
        .filter(Boolean);
    } else if (value === '') {
      if (f.nullable) v = null;
      else if (f.emptyString) v = '';
      else continue;
    } else if (f.kind === 'number') {
      v = /^-?\d+$/.test(value) ? Number(value) : value; // a non-number stays text: the schema check names it
    } else {
      v = f.kind === 'textarea' ? raw : value;
    }
    setPath(out, f.name, v);
  }
  return out;
}

/** The form values that show an API representation (or earlier input) in the fields. */
export function inputToForm(fields: Field[], input: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = getPath(input, f.name);
    if (v === undefined || v === null) out[f.name] = '';
    else if (Array.isArray(v)) out[f.name] = v.map(String).join('\n');
    else out[f.name] = String(v);
  }
  return out;
}

/** Field problems by field name; those of no field (nonFieldErrors, unknown names) under ''. */
export function problemsByField(fields: Field[], params: readonly InvalidParam[]): Record<string, string[]> {
  const names = new Set(fields.map((f) => f.name));
  const out: Record<string, string[]> = {};
  for (const p of params) {
    const name = p.name.replace(/^\./, '');
    let key = names.has(name) ? name : '';
    // A problem of a nested object as a whole ("verblijfsadres: required property") goes to its first field.
    if (!key) key = fields.find((f) => f.name.startsWith(`${name}.`))?.name ?? '';
    (out[key] ??= []).push(key ? p.reason : `${name}: ${p.reason}`);
  }
  return out;
}

export function getPath(obj: Json, path: string): unknown {
  let v: unknown = obj;
  for (const part of path.split('.')) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Json)[part];
  }
  return v;
}

function setPath(obj: Json, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = obj;
  for (const part of parts.slice(0, -1)) {
    if (!o[part] || typeof o[part] !== 'object') o[part] = {};
    o = o[part] as Json;
  }
  o[parts[parts.length - 1]!] = value;
}
