import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Json } from '../domain/resource.js';
import type { Shapes } from '../domain/shapes.js';
import type { InvalidParam } from '../errors.js';
import { toParam } from './validation-errors.js';

type Schema = Record<string, unknown>;

/** Shapes over the component schemas of one spec document. */
export class SpecShapes implements Shapes {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly schemas: Record<string, Schema>;

  constructor(private readonly definition: Record<string, unknown>) {
    this.ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
    addFormats.default(this.ajv);
    this.ajv.addSchema(definition, 'spec');
    this.schemas = ((definition['components'] as Schema | undefined)?.['schemas'] ?? {}) as Record<string, Schema>;
  }

  check(schema: string, value: unknown, path: string): InvalidParam[] {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile({
        type: 'object',
        properties: { requestBody: { $ref: `spec#/components/schemas/${schema}` } },
      });
      this.validators.set(schema, validate);
    }
    if (validate({ requestBody: value })) return [];
    return (validate.errors ?? []).map((e) => {
      const p = toParam(e);
      return { ...p, name: p.name === 'nonFieldErrors' ? path : `${path}.${p.name}` };
    });
  }

  complete(schema: string, value: Json): Json {
    return this.completeWith(this.resolve(this.schemas[schema] ?? {}), value);
  }

  private completeWith(schema: Schema, value: Json): Json {
    const out: Json = {};
    const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const [name, raw] of Object.entries(properties)) {
      const prop = this.resolve(raw);
      const v = value[name];
      if (v !== undefined && v !== null) {
        out[name] =
          prop['type'] === 'object' && typeof v === 'object' && !Array.isArray(v)
            ? this.completeWith(prop, v as Json)
            : v;
      } else if (v === null && prop['nullable'] === true) {
        out[name] = null;
      } else if (prop['type'] === 'object' || prop['properties']) {
        out[name] = null; // the reference renders a missing nested address as null
      } else if (prop['type'] === 'array') {
        out[name] = [];
      } else if (
        prop['type'] === 'string' &&
        !prop['enum'] &&
        !prop['pattern'] &&
        !prop['format'] &&
        !prop['minLength']
      ) {
        out[name] = '';
      }
    }
    return out;
  }

  private resolve(schema: Schema): Schema {
    const ref = schema['$ref'];
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      return this.resolve(this.schemas[ref.slice('#/components/schemas/'.length)] ?? {});
    }
    return schema;
  }
}
