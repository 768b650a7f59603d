import type { InvalidParam } from '../errors.js';
import type { DomainContext } from './resource.js';
import { Problems, localReference } from './validation.js';
import type { ResourceName } from './urls.js';

/**
 * Resolves the local hyperlinks of a relation resource (e.g. `verzoek` and `contactmoment`),
 * reporting every bad one at once. Returns the uuids by field name.
 */
export async function resolveLocalLinks(
  ctx: DomainContext,
  input: Record<string, unknown>,
  links: Record<string, ResourceName>,
  problems = new Problems(),
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [field, resource] of Object.entries(links)) {
    const uuid = await localReference(ctx.db, ctx.urls, problems, input[field], field, resource);
    if (uuid) out[field] = uuid;
  }
  problems.throwIfAny();
  return out;
}

/** The reason we give when a unique pair already exists. */
export const uniquePair = (fields: string[]): InvalidParam => ({
  name: 'nonFieldErrors',
  code: 'unique',
  reason: `De velden ${fields.join(', ')} moeten een unieke set zijn.`,
});
