import { buildFilters } from './filters.js';
import { resolveLocalLinks, uniquePair } from './relations.js';
import type { ResourceDef } from './resource.js';

/** Links a verzoek to a contactmoment in which it was discussed. */
export const verzoekcontactmomenten: ResourceDef = {
  name: 'verzoekcontactmomenten',
  singular: 'verzoekcontactmoment',

  toApi: (row, urls) => ({
    url: urls.of('verzoekcontactmomenten', row.uuid),
    contactmoment: urls.of('contactmomenten', row['contactmoment_uuid'] as string),
    verzoek: urls.of('verzoeken', row['verzoek_uuid'] as string),
  }),

  async toColumns(input, ctx) {
    const links = await resolveLocalLinks(ctx, input, { contactmoment: 'contactmomenten', verzoek: 'verzoeken' });
    return { verzoek_uuid: links['verzoek'], contactmoment_uuid: links['contactmoment'] };
  },

  listFilters: (query, ctx) =>
    buildFilters(
      {
        verzoek: { kind: 'local', resource: 'verzoeken', column: 'verzoek_uuid' },
        contactmoment: { kind: 'local', resource: 'contactmomenten', column: 'contactmoment_uuid' },
      },
      query,
      ctx.urls,
    ),

  uniqueProblem: uniquePair(['verzoek', 'contactmoment']),
};
