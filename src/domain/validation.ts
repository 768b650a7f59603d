import { invalid, type InvalidParam } from '../errors.js';
import type { Db } from '../db/knex.js';
import * as rows from '../db/rows.js';
import { checkRsin } from './rsin.js';
import { toStoredDateTime } from './datetime.js';
import type { ResourceName, Urls } from './urls.js';

/** Collects field problems so a client sees all of them in one answer, as DRF reports them. */
export class Problems {
  private readonly params: InvalidParam[] = [];

  add(p: InvalidParam | undefined): void {
    if (p) this.params.push(p);
  }

  get any(): boolean {
    return this.params.length > 0;
  }

  /** Throws the 400 ValidatieFout when anything was collected. */
  throwIfAny(): void {
    if (this.params.length) throw invalid(this.params);
  }
}

export function rsin(problems: Problems, value: unknown, name = 'bronorganisatie'): string {
  const s = String(value ?? '');
  problems.add(checkRsin(s, name));
  return s;
}

export function dateTime(problems: Problems, value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const stored = toStoredDateTime(String(value));
  if (!stored) problems.add({ name, code: 'invalid', reason: 'Datetime heeft een ongeldig formaat.' });
  return stored;
}

/**
 * Resolves a hyperlink to one of our own resources as vng-api-common does: the host is ignored,
 * the path must be `…/api/v1/<expected>/<uuid>` and the row must exist. Returns the uuid.
 */
export async function localReference(
  db: Db,
  urls: Urls,
  problems: Problems,
  value: unknown,
  name: string,
  expected: ResourceName,
): Promise<string | undefined> {
  if (typeof value !== 'string') {
    problems.add({ name, code: 'incorrect_type', reason: 'Incorrect type. Expected URL string.' });
    return undefined;
  }
  const parsed = urls.parse(value);
  if (!parsed.resource) {
    problems.add({ name, code: 'no_match', reason: 'Ongeldige hyperlink - Geen overeenkomende URL.' });
    return undefined;
  }
  if (parsed.resource !== expected) {
    problems.add({
      name,
      code: 'incorrect_match',
      reason: `Ongeldige hyperlink - Incorrecte URL-match; expected a URL of ${expected}.`,
    });
    return undefined;
  }
  if (!(await rows.exists(db, expected, parsed.uuid))) {
    problems.add({ name, code: 'does_not_exist', reason: 'Ongeldige hyperlink - Object bestaat niet.' });
    return undefined;
  }
  return parsed.uuid;
}

/** Optional strings are stored as '' rather than null, as the reference does. */
export const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value));

export const jsonOrNull = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

export const parseJson = <T>(value: unknown, fallback: T): T =>
  typeof value === 'string' && value !== '' ? (JSON.parse(value) as T) : fallback;
