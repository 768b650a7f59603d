import type { ResourceDef } from './resource.js';
import { contactmomenten } from './contactmomenten.js';

/** All resources of the Klantinteracties API the component serves. */
export const RESOURCE_DEFS: readonly ResourceDef[] = [contactmomenten];
