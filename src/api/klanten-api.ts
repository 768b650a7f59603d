import type { Context } from 'openapi-backend';
import { auditToApi, entryOf, trailOf } from '../domain/audit.js';
import { klantenV1 } from '../domain/klanten-v1.js';
import type { DomainContext } from '../domain/resource.js';
import { notFound } from '../errors.js';
import { conditionalReply, resourceHandlers, type OperationHandler, type WriteHooks } from './handlers.js';
import { paginatedList } from './pagination.js';
import { reply } from './reply.js';

/** Where the Klanten API 1.0 is mounted, next to the legacy Klantinteracties API at /api/v1. */
export const KLANTEN_API_PATH = '/klanten/api/v1';
export const KLANTEN_API_VERSION = '1.0.0';
/** As the split ZGW APIs (DRF PAGE_SIZE). */
export const KLANTEN_PAGE_SIZE = 100;

const param = (c: Context, name: string): string => String(c.request.params[name]).toLowerCase();

/** The operations of the Klanten API: the generic klant handlers, a paginated list and the audit trail. */
export function klantenApiHandlers(ctx: DomainContext, hooks: WriteHooks = {}): Record<string, OperationHandler> {
  return {
    ...resourceHandlers(klantenV1, ctx, hooks),
    klant_list: paginatedList(klantenV1, ctx, KLANTEN_PAGE_SIZE),

    audittrail_list: async (c) => {
      // The reference answers 404 when there is no trail; the spec lists no 404 here: an empty list.
      const trail = await trailOf(ctx, param(c, 'klant_uuid'));
      return reply(
        200,
        trail.map((row) => auditToApi(row, ctx.urls)),
      );
    },

    audittrail_read: async (c) => {
      const row = await entryOf(ctx, param(c, 'klant_uuid'), param(c, 'uuid'));
      if (!row) throw notFound();
      return conditionalReply(c, auditToApi(row, ctx.urls));
    },
  };
}
