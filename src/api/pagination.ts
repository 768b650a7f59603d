import type { Context } from 'openapi-backend';
import * as resource from '../domain/resource.js';
import type { DomainContext, ResourceDef } from '../domain/resource.js';
import { notFound } from '../errors.js';
import { queryOf, type OperationHandler } from './handlers.js';
import { reply } from './reply.js';

const INVALID_PAGE = 'Ongeldige pagina.';

/**
 * A list answered in pages as the ZGW standard has them (DRF's PageNumberPagination): `page` from
 * 1, `count`/`next`/`previous`/`results`, links that keep the other query parameters, and a 404 for
 * a page past the end (an empty first page is a normal answer).
 */
export function paginatedList(def: ResourceDef, ctx: DomainContext, pageSize: number): OperationHandler {
  return async (c: Context) => {
    const query = queryOf(c);
    const rawPage = c.request.query?.['page'];
    const page = rawPage === undefined ? 1 : Number(rawPage);
    if (!Number.isInteger(page) || page < 1) throw notFound(INVALID_PAGE);
    const { page: _page, ...filters } = query;
    const { count, rows } = await resource.listPage(ctx, def, filters, (page - 1) * pageSize, pageSize);
    if (page > 1 && rows.length === 0) throw notFound(INVALID_PAGE);

    const listUrl = `${ctx.urls.apiRoot}/${def.name}`;
    const link = (target: number): string => {
      const params = new URLSearchParams({ ...filters, ...(target > 1 ? { page: String(target) } : {}) });
      const q = params.toString();
      return q ? `${listUrl}?${q}` : listUrl;
    };
    return reply(200, {
      count,
      next: page * pageSize < count ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      results: rows.map((row) => def.toApi(row, ctx.urls)),
    });
  };
}
