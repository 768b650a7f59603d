import { buildFilters } from './filters.js';
import { resolveLocalLinks } from './relations.js';
import type { Json, ResourceDef } from './resource.js';
import { Problems, text } from './validation.js';

/** A product (or service) a verzoek asks for: a URL in a products catalogue, or just its code. */
export const verzoekproducten: ResourceDef = {
  name: 'verzoekproducten',
  singular: 'verzoekproduct',

  toApi: (row, urls) => ({
    url: urls.of('verzoekproducten', row.uuid),
    verzoek: urls.of('verzoeken', row['verzoek_uuid'] as string),
    // `product` is a uri in the spec, which "" is not: without a product URL the property is left
    // out, as productIdentificatie is (Product admits no null and requires a code).
    ...(row['product'] ? { product: row['product'] } : {}),
    ...(row['product_code'] !== null && row['product_code'] !== undefined
      ? { productIdentificatie: { code: row['product_code'] } }
      : {}),
  }),

  async toColumns(input, ctx) {
    const links = await resolveLocalLinks(ctx, input, { verzoek: 'verzoeken' });
    const product = text(input['product']);
    const code = (input['productIdentificatie'] as Json | null | undefined)?.['code'];
    if (!product && !code) {
      const problems = new Problems();
      problems.add({
        name: 'nonFieldErrors',
        code: 'invalid-product',
        reason: 'product or productIdentificatie must be provided',
      });
      problems.throwIfAny();
    }
    return { verzoek_uuid: links['verzoek'], product, product_code: code ? String(code) : null };
  },

  listFilters: (query, ctx) =>
    buildFilters(
      {
        verzoek: { kind: 'local', resource: 'verzoeken', column: 'verzoek_uuid' },
        product: { kind: 'exact', column: 'product' },
        productIdentificatie__code: { kind: 'exact', column: 'product_code' },
      },
      query,
      ctx.urls,
    ),
};
