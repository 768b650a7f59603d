import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Yaml from 'yaml';

export const KIC_API_VERSION = '1.0.0-rc1';

// spec/ sits next to src/ in the source tree; dist/src/api → ../../../spec when built.
const candidates = (name: string) => [
  new URL(`../../spec/${name}`, import.meta.url),
  new URL(`../../../spec/${name}`, import.meta.url),
];

/**
 * Where the build puts the JSON form of spec/<name> (dist/spec/<name>.json, next to dist/src),
 * with the SHA-256 of the YAML it came from in <name>.sha256.
 */
export const builtJsonUrl = (name: string) => new URL(`../../spec/${name}.json`, import.meta.url);
export const builtHashUrl = (name: string) => new URL(`../../spec/${name}.sha256`, import.meta.url);

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

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
    const json = builtJson(name, text) ?? yamlToJson(text);
    return { text, json, definition: prepareForValidation(JSON.parse(json) as Record<string, unknown>) };
  }
  throw new Error(`spec/${name} not found`);
}

/** The YAML as JSON text. The yaml parser is loaded only when the build's copy is missing. */
export function yamlToJson(text: string): string {
  const { parse } = createRequire(import.meta.url)('yaml') as typeof Yaml;
  return JSON.stringify(parse(text));
}

/**
 * The JSON the build made of this very YAML text, if any: parsing 200 KB of YAML at start-up
 * took ~350 ms and left ~30 MB of RSS behind. A YAML edited since the build is parsed anew.
 */
function builtJson(name: string, text: string): string | undefined {
  try {
    if (readFileSync(fileURLToPath(builtHashUrl(name)), 'utf8').trim() !== sha256(text)) return undefined;
    return readFileSync(fileURLToPath(builtJsonUrl(name)), 'utf8');
  } catch {
    return undefined;
  }
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
