import * as rows from '../db/rows.js';
import { invalid } from '../errors.js';
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

  // kic-001: a trigger has queued the DRC mirror in the insert's transaction. Wait briefly for its
  // first delivery; a DRC that refuses (4xx) undoes the relation, as the reference does. A DRC
  // that is down or slow leaves it in place: the worker keeps retrying.
  async afterCreate(row, ctx) {
    if (!ctx.sync) return;
    const first = await ctx.sync.firstAttempt('drc', row.uuid);
    if (first.state !== 'refused') return;
    await rows.deleteByUuid(ctx.db, 'verzoekinformatieobjecten', row.uuid);
    ctx.sync.nudge();
    throw invalid([
      { name: 'nonFieldErrors', code: 'invalid', reason: `Could not create remote relation: ${first.reason}` },
    ]);
  },

  async afterRemove(_row, ctx) {
    ctx.sync?.nudge(); // the remote delete follows; the client does not wait for it
  },
};
