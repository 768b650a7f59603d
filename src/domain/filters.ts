import { invalid, type InvalidParam } from '../errors.js';
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
 * type is a 400 `invalid-type`. Every filter is checked before anything is decided, so an
 * `invalid-type` is reported even when another filter alone would already match nothing.
 */
export function buildFilters(defs: Record<string, FilterDef>, query: Record<string, string>, urls: Urls): ListFilters {
  const filters: Record<string, string> = {};
  const problems: InvalidParam[] = [];
  let empty = false;
  for (const [param, def] of Object.entries(defs)) {
    const value = query[param];
    if (value === undefined) continue;
    if (def.kind === 'exact') {
      filters[def.column] = value;
      continue;
    }
    const parsed = urls.parse(value);
    if (parsed.resource !== undefined && parsed.resource !== def.resource) {
      problems.push({
        name: param,
        code: 'invalid-type',
        reason: `De URL verwijst niet naar een ${def.resource}-resource.`,
      });
    } else if (!urls.isOwnOrigin(value) || !parsed.resource) {
      empty = true;
    } else {
      filters[def.column] = parsed.uuid;
    }
  }
  if (problems.length) throw invalid(problems);
  return empty ? { empty: true } : { filters };
}
