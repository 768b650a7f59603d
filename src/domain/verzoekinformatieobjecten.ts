import { buildFilters } from './filters.js';
import { resolveLocalLinks, uniquePair } from './relations.js';
import type { ResourceDef } from './resource.js';
import { Problems } from './validation.js';

/** Links a document (an informatieobject in a Documenten API) to a verzoek. */
export const verzoekinformatieobjecten: ResourceDef = {
  name: 'verzoekinformatieobjecten',
  singular: 'verzoekinformatieobject',

  toApi: (row, urls) => ({
    url: urls.of('verzoekinformatieobjecten', row.uuid),
    informatieobject: row['informatieobject'],
    verzoek: urls.of('verzoeken', row['verzoek_uuid'] as string),
  }),

  async toColumns(input, ctx) {
    const problems = new Problems();
    const informatieobject = String(input['informatieobject']);
    // Field checks first, all of them (DRF order): the local verzoek and the remote document.
    problems.add(await ctx.remote.checkResource(informatieobject, 'informatieobject', 'EnkelvoudigInformatieObject'));
    const links = await resolveLocalLinks(ctx, input, { verzoek: 'verzoeken' }, problems);
    return { verzoek_uuid: links['verzoek'], informatieobject };
  },

  listFilters: (query, ctx) =>
    buildFilters(
      {
        verzoek: { kind: 'local', resource: 'verzoeken', column: 'verzoek_uuid' },
        informatieobject: { kind: 'exact', column: 'informatieobject' },
      },
      query,
      ctx.urls,
    ),

  uniqueProblem: uniquePair(['verzoek', 'informatieobject']),
};
