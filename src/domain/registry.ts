import type { ResourceDef } from './resource.js';
import { contactmomenten } from './contactmomenten.js';
import { klanten } from './klanten.js';
import { objectcontactmomenten, objectverzoeken } from './object-relations.js';
import { verzoekcontactmomenten } from './verzoekcontactmomenten.js';
import { verzoeken } from './verzoeken.js';
import { verzoekinformatieobjecten } from './verzoekinformatieobjecten.js';
import { verzoekproducten } from './verzoekproducten.js';

/** All eight resources of the Klantinteracties API. */
export const RESOURCE_DEFS: readonly ResourceDef[] = [
  klanten,
  contactmomenten,
  verzoeken,
  objectcontactmomenten,
  objectverzoeken,
  verzoekcontactmomenten,
  verzoekinformatieobjecten,
  verzoekproducten,
];
