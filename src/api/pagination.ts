import type { Context } from 'openapi-backend';
import * as resource from '../domain/resource.js';
import type { DomainContext, ResourceDef } from '../domain/resource.js';
import { invalidParam } from '../errors.js';
import { queryOf, type OperationHandler } from './handlers.js';
import { reply } from './reply.js';

/**
 * A list answered in pages as the ZGW standard has them (DRF's PageNumberPagination): `page` from
 * 1, `count`/`next`/`previous`/`results`, links that keep the other query parameters. DRF answers
 * 404 for a page out of range, which the spec does not list: a page below 1 is the client's 400,
 * a page past the end an empty page whose `previous` is the last page.
 */
export function paginatedList(def: ResourceDef, ctx: DomainContext, pageSize: number): OperationHandler {
  return async (c: Context) => {
    const query = queryOf(c);
    const rawPage = c.request.query?.['page'];
    const page = rawPage === undefined ? 1 : Number(rawPage);
    if (!Number.isInteger(page) || page < 1) throw invalidParam('page', 'invalid', 'Ongeldige pagina.');
    const { page: _page, ...filters } = query;
    const { count, rows } = await resource.listPage(ctx, def, filters, (page - 1) * pageSize, pageSize);
    const lastPage = Math.max(1, Math.ceil(count / pageSize));

    const listUrl = `${ctx.urls.apiRoot}/${def.name}`;
    const link = (target: number): string => {
      const params = new URLSearchParams({ ...filters, ...(target > 1 ? { page: String(target) } : {}) });
      const q = params.toString();
      return q ? `${listUrl}?${q}` : listUrl;
    };
    return reply(200, {
      count,
      next: page * pageSize < count ? link(page + 1) : null,
      previous: page > 1 ? link(Math.min(page - 1, lastPage)) : null,
      results: rows.map((row) => def.toApi(row, ctx.urls)),
    });
  };
}
