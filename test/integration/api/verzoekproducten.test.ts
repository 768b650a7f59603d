import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { describeApi } from '../../helpers/app.js';

const VERZOEK = { bronorganisatie: '123456782', status: 'ontvangen' };
const PRODUCT = 'https://producten.example/api/v1/producten/paspoort';
const OTHER_PRODUCT = 'https://producten.example/api/v1/producten/rijbewijs';
const PATH = '/api/v1/verzoekproducten';

type Param = { name: string; code: string; reason: string };
const codes = (body: { invalidParams: Param[] }) => body.invalidParams.map((p) => `${p.name}:${p.code}`);

describeApi('verzoekproducten', (t) => {
  const createVerzoek = async () => {
    const res = await t.api().post('/api/v1/verzoeken', VERZOEK);
    expect(res.status).to.equal(201);
    return res.body.url as string;
  };
  const create = async (body: Record<string, unknown>) => {
    const res = await t.api().post(PATH, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as Record<string, any>;
  };
  const list = async (query: Record<string, string>) => {
    const res = await t.api().get(`${PATH}?${new URLSearchParams(query).toString()}`);
    return res;
  };
  const urlsOf = (items: { url: string }[]) => items.map((i) => i.url);

  describe('verzoekproduct_create', () => {
    it('links a product by URL: 201 with Location, and no productIdentificatie', async () => {
      const verzoek = await createVerzoek();
      const res = await t.api().post(PATH, { verzoek, product: PRODUCT });
      expect(res.status).to.equal(201);
      expect(res.headers.get('location')).to.equal(res.body.url);
      expect(res.body.url).to.match(new RegExp(`^${t.api().baseUrl}${PATH}/[0-9a-f-]{36}$`));
      expect(res.body).to.deep.equal({ url: res.body.url, verzoek, product: PRODUCT });
      const rows = await t.db()('verzoekproducten');
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ verzoek_uuid: verzoek.split('/').pop(), product: PRODUCT, product_code: null });
    });

    it('links a product by productIdentificatie.code alone, leaving out the empty product', async () => {
      const verzoek = await createVerzoek();
      const body = await create({ verzoek, productIdentificatie: { code: 'PASP-01' } });
      expect(body).to.deep.equal({ url: body['url'], verzoek, productIdentificatie: { code: 'PASP-01' } });
      expect((await t.db()('verzoekproducten').first()).product).to.equal('');
    });

    it('stores a product URL and a code together, in the reference order', async () => {
      const verzoek = await createVerzoek();
      const body = await create({ verzoek, product: PRODUCT, productIdentificatie: { code: 'PASP-01' } });
      expect(Object.keys(body)).to.deep.equal(['url', 'verzoek', 'product', 'productIdentificatie']);
      expect(body).to.deep.include({ product: PRODUCT, productIdentificatie: { code: 'PASP-01' } });
      expect((await t.api().get(body['url'])).body).to.deep.equal(body);
    });

    it('refuses a link without product and without productIdentificatie with invalid-product', async () => {
      const verzoek = await createVerzoek();
      const res = await t.api().post(PATH, { verzoek });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        { name: 'nonFieldErrors', code: 'invalid-product', reason: 'product or productIdentificatie must be provided' },
      ]);
      expect(await t.db()('verzoekproducten')).to.have.length(0);
    });

    it('requires a non-blank code of at most 20 characters inside productIdentificatie', async () => {
      const verzoek = await createVerzoek();
      const cases: [unknown, string][] = [
        [{}, 'productIdentificatie.code:required'],
        [{ code: '' }, 'productIdentificatie.code:blank'],
        [{ code: 'x'.repeat(21) }, 'productIdentificatie.code:max_length'],
      ];
      for (const [productIdentificatie, code] of cases) {
        const res = await t.api().post(PATH, { verzoek, product: PRODUCT, productIdentificatie });
        expect(res.status, code).to.equal(400);
        expect(codes(res.body), code).to.deep.equal([code]);
      }
      expect(
        (await create({ verzoek, productIdentificatie: { code: 'x'.repeat(20) } }))['productIdentificatie'],
      ).to.deep.equal({
        code: 'x'.repeat(20),
      });
      expect(await t.db()('verzoekproducten')).to.have.length(1);
    });

    it('checks product as a URL of at most 200 characters', async () => {
      const verzoek = await createVerzoek();
      const bad = await t.api().post(PATH, { verzoek, product: 'geen url' });
      expect(bad.status).to.equal(400);
      expect(codes(bad.body)).to.deep.equal(['product:invalid']);
      const long = await t.api().post(PATH, { verzoek, product: `https://producten.example/${'p'.repeat(180)}` });
      expect(long.status).to.equal(400);
      expect(codes(long.body)).to.deep.equal(['product:max_length']);
      expect(await t.db()('verzoekproducten')).to.have.length(0);
    });

    it('requires an existing verzoek', async () => {
      const klant = await t.api().post('/api/v1/klanten', {
        subjectType: 'natuurlijk_persoon',
        subject: 'https://personen.example/1',
        emailadres: 'a@b.nl',
      });
      const cases: [unknown, string][] = [
        [undefined, 'verzoek:required'],
        [`${t.api().baseUrl}/api/v1/verzoeken/${randomUUID()}`, 'verzoek:does_not_exist'],
        [klant.body.url, 'verzoek:incorrect_match'],
        ['geen url', 'verzoek:invalid'],
      ];
      for (const [verzoek, code] of cases) {
        const res = await t.api().post(PATH, { verzoek, product: PRODUCT });
        expect(res.status, code).to.equal(400);
        expect(codes(res.body), code).to.deep.equal([code]);
      }
      expect(await t.db()('verzoekproducten')).to.have.length(0);
    });

    it('allows the same product twice on one verzoek', async () => {
      const verzoek = await createVerzoek();
      const a = await create({ verzoek, product: PRODUCT, productIdentificatie: { code: 'P' } });
      const b = await create({ verzoek, product: PRODUCT, productIdentificatie: { code: 'P' } });
      expect(a['url']).to.not.equal(b['url']);
      expect(await t.db()('verzoekproducten')).to.have.length(2);
    });
  });

  describe('verzoekproduct_read', () => {
    it('returns the link with an ETag, and 404 for an unknown uuid', async () => {
      const verzoek = await createVerzoek();
      const created = await create({ verzoek, product: PRODUCT });
      const read = await t.api().get(created['url']);
      expect(read.status).to.equal(200);
      expect(read.body).to.deep.equal(created);
      expect(read.headers.get('etag')).to.match(/^"[0-9a-f]{32}"$/);
      expect((await t.api().get(`${PATH}/${randomUUID()}`)).status).to.equal(404);
    });
  });

  describe('verzoekproduct_delete', () => {
    it('deletes the link but not the verzoek', async () => {
      const verzoek = await createVerzoek();
      const created = await create({ verzoek, product: PRODUCT });
      expect((await t.api().delete(created['url'])).status).to.equal(204);
      expect((await t.api().get(created['url'])).status).to.equal(404);
      expect((await t.api().delete(created['url'])).status).to.equal(404);
      expect(await t.db()('verzoekproducten')).to.have.length(0);
      expect((await t.api().get(verzoek)).status).to.equal(200);
    });
  });

  describe('no updates', () => {
    it('answers 405 to PUT and PATCH', async () => {
      const verzoek = await createVerzoek();
      const created = await create({ verzoek, product: PRODUCT });
      for (const method of ['PUT', 'PATCH']) {
        const res = await t.api().request(method, created['url'], { verzoek, product: OTHER_PRODUCT });
        expect(res.status, method).to.equal(405);
        expect(res.body.code).to.equal('method_not_allowed');
      }
      expect((await t.api().get(created['url'])).body.product).to.equal(PRODUCT);
    });
  });

  describe('verzoekproduct_list', () => {
    it('lists every link in creation order', async () => {
      expect((await t.api().get(PATH)).body).to.deep.equal([]);
      const verzoek = await createVerzoek();
      const a = await create({ verzoek, product: PRODUCT });
      const b = await create({ verzoek, productIdentificatie: { code: 'B' } });
      expect((await t.api().get(PATH)).body).to.deep.equal([a, b]);
    });

    it('filters on verzoek, product and productIdentificatie__code, together as AND', async () => {
      const v1 = await createVerzoek();
      const v2 = await createVerzoek();
      const a = await create({ verzoek: v1, product: PRODUCT, productIdentificatie: { code: 'P1' } });
      const b = await create({ verzoek: v1, product: OTHER_PRODUCT });
      const c = await create({ verzoek: v2, product: PRODUCT, productIdentificatie: { code: 'P2' } });
      const d = await create({ verzoek: v2, productIdentificatie: { code: 'P1' } });
      const cases: [Record<string, string>, string[]][] = [
        [{ verzoek: v1 }, [a['url'], b['url']]],
        [{ verzoek: v2 }, [c['url'], d['url']]],
        [{ product: PRODUCT }, [a['url'], c['url']]],
        [{ productIdentificatie__code: 'P1' }, [a['url'], d['url']]],
        [{ verzoek: v1, product: PRODUCT }, [a['url']]],
        [{ verzoek: v2, productIdentificatie__code: 'P1' }, [d['url']]],
        [{ verzoek: v1, product: OTHER_PRODUCT, productIdentificatie__code: 'P1' }, []],
        [{ product: 'https://producten.example/api/v1/producten/onbekend' }, []],
        [{ productIdentificatie__code: 'p1' }, []],
      ];
      for (const [query, expected] of cases) {
        const res = await list(query);
        expect(res.status, JSON.stringify(query)).to.equal(200);
        expect(urlsOf(res.body), JSON.stringify(query)).to.deep.equal(expected);
      }
    });

    it('matches nothing for a verzoek URL on another host or with an unknown uuid', async () => {
      const verzoek = await createVerzoek();
      await create({ verzoek, product: PRODUCT });
      const elsewhere = verzoek.replace(t.api().baseUrl, 'https://kic.elders.example');
      for (const url of [elsewhere, `${t.api().baseUrl}/api/v1/verzoeken/${randomUUID()}`]) {
        const res = await list({ verzoek: url });
        expect(res.status, url).to.equal(200);
        expect(res.body, url).to.deep.equal([]);
      }
      // Another host excludes everything even combined with a filter that would match.
      expect((await list({ verzoek: elsewhere, product: PRODUCT })).body).to.deep.equal([]);
    });

    it('refuses a URL of another resource type with invalid-type named after the filter', async () => {
      const verzoek = await createVerzoek();
      const created = await create({ verzoek, product: PRODUCT });
      const res = await list({ verzoek: created['url'] });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.have.length(1);
      expect(res.body.invalidParams[0]).to.include({ name: 'verzoek', code: 'invalid-type' });
    });

    it('refuses a filter value that is not a URL', async () => {
      for (const query of [{ verzoek: 'geen url' }, { product: 'geen url' }] as Record<string, string>[]) {
        const res = await list(query);
        expect(res.status, JSON.stringify(query)).to.equal(400);
        expect(codes(res.body)).to.deep.equal([`${Object.keys(query)[0]}:invalid`]);
      }
    });

    it('refuses an unknown query parameter with unknown-parameters', async () => {
      const res = await list({ productCode: 'P1' });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        { name: 'nonFieldErrors', code: 'unknown-parameters', reason: 'Onbekende query parameters: productCode' },
      ]);
    });
  });
});
