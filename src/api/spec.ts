import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const KIC_API_VERSION = '1.0.0-rc1';

// spec/ sits next to src/ in the source tree; dist/src/api → ../../../spec when built.
const candidates = (name: string) => [
  new URL(`../../spec/${name}`, import.meta.url),
  new URL(`../../../spec/${name}`, import.meta.url),
];

export interface LoadedSpec {
  /** The document exactly as we publish it. */
  text: string;
  json: string;
  /** A parsed copy prepared for openapi-backend (see prepareForValidation). */
  definition: Record<string, unknown>;
}

export function loadSpec(name: string): LoadedSpec {
  for (const url of candidates(name)) {
    let text: string;
    try {
      text = readFileSync(fileURLToPath(url), 'utf8');
    } catch {
      continue;
    }
    // Parse the YAML once; the validation copy comes from the (much cheaper) JSON form.
    const json = JSON.stringify(parse(text));
    return { text, json, definition: prepareForValidation(JSON.parse(json) as Record<string, unknown>) };
  }
  throw new Error(`spec/${name} not found`);
}

/**
 * OpenAPI 3.0 says `nullable: true` admits null, but ajv checks `enum` on its own and rejects
 * null unless the enum lists it (Klant.subjectType). Adding null to such enums makes the
 * validator say what the spec says; the published document is left untouched.
 */
export function prepareForValidation(doc: Record<string, unknown>): Record<string, unknown> {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o['nullable'] === true && Array.isArray(o['enum']) && !o['enum'].includes(null))
      o['enum'] = [...o['enum'], null];
    Object.values(o).forEach(visit);
  };
  visit(doc);
  return doc;
}
