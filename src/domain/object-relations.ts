import { invalid, type InvalidParam } from '../errors.js';
import { buildFilters } from './filters.js';
import { resolveLocalLinks, uniquePair } from './relations.js';
import type { DomainContext, ResourceDef, Row } from './resource.js';
import type { ResourceName } from './urls.js';
import { Problems } from './validation.js';

/**
 * objectcontactmomenten and objectverzoeken mirror a relation that a Zaken API holds
 * (zaakcontactmomenten / zaakverzoeken): they may only exist while the ZRC has it.
 */
function objectRelation(o: {
  name: 'objectcontactmomenten' | 'objectverzoeken';
  singular: string;
  field: 'contactmoment' | 'verzoek';
  resource: ResourceName;
  column: string;
}): ResourceDef {
  const remoteCollection = (objectType: string) => `${objectType}${o.field}en`; // zaakcontactmomenten, zaakverzoeken
  const remoteQuery = (row: { object: string; objectType: string; localUrl: string }) => ({
    [row.objectType]: row.object,
    [o.field]: row.localUrl,
  });

  return {
    name: o.name,
    singular: o.singular,

    toApi: (row, urls) => ({
      url: urls.of(o.name, row.uuid),
      [o.field]: urls.of(o.resource, row[o.column] as string),
      object: row['object'],
      objectType: row['object_type'],
    }),

    async toColumns(input, ctx) {
      const problems = new Problems();
      const object = String(input['object']);
      const objectType = String(input['objectType']);
      const links = await resolveLocalLinks(ctx, input, { [o.field]: o.resource }, problems);
      const local = links[o.field]!;
      // A duplicate is refused before asking the Zaken API anything (the unique index still guards races).
      if (
        await ctx
          .db(o.name)
          .where({ [o.column]: local, object })
          .first('id')
      )
        throw invalid([uniquePair([o.field, 'object'])]);

      // The object must be a Zaak we can fetch, and the Zaken API must already hold the relation.
      const bad = await ctx.remote.checkResource(object, 'object', 'Zaak');
      if (bad) throw invalid([bad]);
      const lookup = await ctx.remote.countRelations(
        object,
        remoteCollection(objectType),
        remoteQuery({ object, objectType, localUrl: ctx.urls.of(o.resource, local) }),
      );
      if (!lookup.ok) {
        throw invalid([
          {
            name: 'nonFieldErrors',
            code: 'relation-validation-error',
            reason: `De relatie kon niet gecontroleerd worden in de Zaken API: ${lookup.reason}.`,
          },
        ]);
      }
      if (lookup.count === 0) {
        throw invalid([
          {
            name: 'nonFieldErrors',
            code: 'inconsistent-relation',
            reason: `The ${o.field} has no relations to ${objectType}`,
          },
        ]);
      }
      return { [o.column]: local, object, object_type: objectType };
    },

    async beforeRemove(row: Row, ctx: DomainContext) {
      const object = row['object'] as string;
      const objectType = row['object_type'] as string;
      const lookup = await ctx.remote.countRelations(
        object,
        remoteCollection(objectType),
        remoteQuery({ object, objectType, localUrl: ctx.urls.of(o.resource, row[o.column] as string) }),
      );
      const refuse = (p: InvalidParam) => invalid([p]);
      if (!lookup.ok) {
        throw refuse({
          name: 'nonFieldErrors',
          code: 'relation-lookup-error',
          reason: `De relatie kon niet opgezocht worden in de Zaken API: ${lookup.reason}.`,
        });
      }
      if (lookup.count > 0) {
        throw refuse({
          name: 'nonFieldErrors',
          code: 'remote-relation-exists',
          reason: 'The canonical remote relation still exists, this relation cannot be deleted.',
        });
      }
    },

    listFilters: (query, ctx) =>
      buildFilters(
        {
          object: { kind: 'exact', column: 'object' },
          [o.field]: { kind: 'local', resource: o.resource, column: o.column },
        },
        query,
        ctx.urls,
      ),

    uniqueProblem: uniquePair([o.field, 'object']),
  };
}

export const objectcontactmomenten = objectRelation({
  name: 'objectcontactmomenten',
  singular: 'objectcontactmoment',
  field: 'contactmoment',
  resource: 'contactmomenten',
  column: 'contactmoment_uuid',
});

export const objectverzoeken = objectRelation({
  name: 'objectverzoeken',
  singular: 'objectverzoek',
  field: 'verzoek',
  resource: 'verzoeken',
  column: 'verzoek_uuid',
});
