import type { InvalidParam } from '../errors.js';

/**
 * Checks an RSIN (and BSN) as vng-api-common's validate_rsin does: nine digits passing the
 * 11-proof, where the last digit weighs -1.
 */
export function checkRsin(value: string, name: string): InvalidParam | undefined {
  if (!/^\d+$/.test(value)) return { name, code: 'only-digits', reason: 'Waarde moet numeriek zijn.' };
  if (value.length !== 9) return { name, code: 'invalid-length', reason: 'RSIN moet 9 tekens lang zijn.' };
  let total = 0;
  for (let i = 0; i < 8; i++) total += Number(value[i]) * (9 - i);
  total -= Number(value[8]);
  if (total % 11 !== 0) return { name, code: 'invalid', reason: 'Onjuist RSIN nummer.' };
  return undefined;
}
