import type { InvalidParam } from '../errors.js';
import type { Json } from './resource.js';

/**
 * Checks and completes nested objects against the spec's component schemas (the polymorphic
 * `subjectIdentificatie` of a klant, which the request schema cannot describe, and the nested
 * identifications). Implemented from the spec by the API layer, so the rules live in one place.
 */
export interface Shapes {
  /** Problems of `value` against components.schemas[schema]; names are prefixed with `path`. */
  check(schema: string, value: unknown, path: string): InvalidParam[];
  /**
   * `value` with only the schema's properties, and every missing string property that admits
   * "" set to "" and every missing array to [] (so responses show every property, as the
   * reference does), leaving out what has no valid empty value (enums, patterns, objects).
   */
  complete(schema: string, value: Json): Json;
}
