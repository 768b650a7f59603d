import { invalid } from '../errors.js';
import type { ListFilters } from './resource.js';
import type { ResourceName, Urls } from './urls.js';

/** How one list query parameter narrows the rows. */
export type FilterDef =
  /** A URL of one of our own resources, matched on its uuid column. */
  | { kind: 'local'; resource: ResourceName; column: string }
  /** Any other value, matched exactly as a string. */
  | { kind: 'exact'; column: string };

/**
 * Builds column filters the way vng-api-common's filter sets behave: a local URL on another host
 * or of an unknown uuid matches nothing (an empty list, not an error); a URL of another resource
 * type is a 400 `invalid-type`.
 */
export function buildFilters(defs: Record<string, FilterDef>, query: Record<string, string>, urls: Urls): ListFilters {
  const filters: Record<string, string> = {};
  for (const [param, def] of Object.entries(defs)) {
    const value = query[param];
    if (value === undefined) continue;
    if (def.kind === 'exact') {
      filters[def.column] = value;
      continue;
    }
    const parsed = urls.parse(value);
    if (parsed.resource !== undefined && parsed.resource !== def.resource) {
      throw invalid([{ name: param, code: 'invalid-type', reason: `De URL verwijst niet naar een ${def.resource}-resource.` }]);
    }
    if (!urls.isOwnOrigin(value) || !parsed.resource) return { empty: true };
    filters[def.column] = parsed.uuid;
  }
  return { filters };
}
