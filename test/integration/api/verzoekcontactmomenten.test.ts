import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { describeApi } from '../../helpers/app.js';

const VERZOEK = { bronorganisatie: '123456782', status: 'ontvangen' };
const CM = { bronorganisatie: '123456782', kanaal: 'telefoon', medewerker: 'https://medewerkers.example/m/1' };
const PATH = '/api/v1/verzoekcontactmomenten';

type Param = { name: string; code: string; reason: string };
const codes = (body: { invalidParams: Param[] }) => body.invalidParams.map((p) => `${p.name}:${p.code}`);

describeApi('verzoekcontactmomenten', (t) => {
  const createVerzoek = async () => {
    const res = await t.api().post('/api/v1/verzoeken', VERZOEK);
    expect(res.status).to.equal(201);
    return res.body.url as string;
  };
  const createContactmoment = async () => {
    const res = await t.api().post('/api/v1/contactmomenten', CM);
    expect(res.status).to.equal(201);
    return res.body.url as string;
  };
  const link = async (verzoek: string, contactmoment: string) => {
    const res = await t.api().post(PATH, { verzoek, contactmoment });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as Record<string, any>;
  };
  const list = (query: Record<string, string>) => t.api().get(`${PATH}?${new URLSearchParams(query).toString()}`);
  const urlsOf = (items: { url: string }[]) => items.map((i) => i.url);

  describe('verzoekcontactmoment_create', () => {
    it('links a verzoek to a contactmoment: 201 with Location and both URLs', async () => {
      const verzoek = await createVerzoek();
      const contactmoment = await createContactmoment();
      const res = await t.api().post(PATH, { verzoek, contactmoment });
      expect(res.status).to.equal(201);
      expect(res.headers.get('location')).to.equal(res.body.url);
      expect(res.body.url).to.match(new RegExp(`^${t.api().baseUrl}${PATH}/[0-9a-f-]{36}$`));
      expect(Object.keys(res.body)).to.deep.equal(['url', 'contactmoment', 'verzoek']);
      expect(res.body).to.deep.include({ verzoek, contactmoment });
      const rows = await t.db()('verzoekcontactmomenten');
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({
        verzoek_uuid: verzoek.split('/').pop(),
        contactmoment_uuid: contactmoment.split('/').pop(),
      });
    });

    it('resolves both URLs by their path, whatever the host', async () => {
      const verzoek = await createVerzoek();
      const contactmoment = await createContactmoment();
      const body = await link(
        verzoek.replace(t.api().baseUrl, 'https://elders.example'),
        contactmoment.replace(t.api().baseUrl, 'https://elders.example'),
      );
      expect(body).to.deep.include({ verzoek, contactmoment });
    });

    it('refuses the same pair twice with nonFieldErrors unique', async () => {
      const verzoek = await createVerzoek();
      const contactmoment = await createContactmoment();
      await link(verzoek, contactmoment);
      const res = await t.api().post(PATH, { verzoek, contactmoment });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        {
          name: 'nonFieldErrors',
          code: 'unique',
          reason: 'De velden verzoek, contactmoment moeten een unieke set zijn.',
        },
      ]);
      expect(await t.db()('verzoekcontactmomenten')).to.have.length(1);
      // Either side may recur with another partner.
      await link(verzoek, await createContactmoment());
      await link(await createVerzoek(), contactmoment);
      expect(await t.db()('verzoekcontactmomenten')).to.have.length(3);
    });

    it('refuses a concurrent duplicate with 400, never 500', async () => {
      const verzoek = await createVerzoek();
      const contactmoment = await createContactmoment();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => t.api().post(PATH, { verzoek, contactmoment })),
      );
      expect(results.map((r) => r.status).sort()).to.deep.equal([201, 400, 400, 400, 400]);
      for (const r of results.filter((x) => x.status === 400))
        expect(codes(r.body)).to.deep.equal(['nonFieldErrors:unique']);
      expect(await t.db()('verzoekcontactmomenten')).to.have.length(1);
    });

    it('requires both links and reports every bad one', async () => {
      const verzoek = await createVerzoek();
      const contactmoment = await createContactmoment();
      const missing = await t.api().post(PATH, {});
      expect(missing.status).to.equal(400);
      expect(codes(missing.body)).to.have.members(['verzoek:required', 'contactmoment:required']);
      const crossed = await t.api().post(PATH, { verzoek: contactmoment, contactmoment: verzoek });
      expect(crossed.status).to.equal(400);
      expect(codes(crossed.body)).to.deep.equal(['contactmoment:incorrect_match', 'verzoek:incorrect_match']);
      const gone = await t.api().post(PATH, {
        verzoek: `${t.api().baseUrl}/api/v1/verzoeken/${randomUUID()}`,
        contactmoment: `${t.api().baseUrl}/api/v1/contactmomenten/${randomUUID()}`,
      });
      expect(gone.status).to.equal(400);
      expect(codes(gone.body)).to.deep.equal(['contactmoment:does_not_exist', 'verzoek:does_not_exist']);
      const noResource = await t.api().post(PATH, { verzoek: `${t.api().baseUrl}/api/v1/verzoeken`, contactmoment });
      expect(codes(noResource.body)).to.deep.equal(['verzoek:no_match']);
      expect(await t.db()('verzoekcontactmomenten')).to.have.length(0);
    });
  });

  describe('verzoekcontactmoment_read', () => {
    it('returns the link with an ETag, and 404 for an unknown uuid', async () => {
      const created = await link(await createVerzoek(), await createContactmoment());
      const read = await t.api().get(created['url']);
      expect(read.status).to.equal(200);
      expect(read.body).to.deep.equal(created);
      expect(read.headers.get('etag')).to.match(/^"[0-9a-f]{32}"$/);
      expect((await t.api().get(`${PATH}/${randomUUID()}`)).status).to.equal(404);
    });
  });

  describe('verzoekcontactmoment_delete', () => {
    it('deletes the link but neither side, after which the pair may be linked again', async () => {
      const verzoek = await createVerzoek();
      const contactmoment = await createContactmoment();
      const created = await link(verzoek, contactmoment);
      expect((await t.api().delete(created['url'])).status).to.equal(204);
      expect((await t.api().get(created['url'])).status).to.equal(404);
      expect((await t.api().delete(created['url'])).status).to.equal(404);
      expect((await t.api().get(verzoek)).status).to.equal(200);
      expect((await t.api().get(contactmoment)).status).to.equal(200);
      await link(verzoek, contactmoment);
    });

    it('disappears when its contactmoment is deleted', async () => {
      const verzoek = await createVerzoek();
      const contactmoment = await createContactmoment();
      const created = await link(verzoek, contactmoment);
      expect((await t.api().delete(contactmoment)).status).to.equal(204);
      expect((await t.api().get(created['url'])).status).to.equal(404);
      expect((await t.api().get(verzoek)).status).to.equal(200);
    });
  });

  describe('no updates', () => {
    it('answers 405 to PUT and PATCH', async () => {
      const verzoek = await createVerzoek();
      const created = await link(verzoek, await createContactmoment());
      const other = await createContactmoment();
      for (const method of ['PUT', 'PATCH']) {
        const res = await t.api().request(method, created['url'], { verzoek, contactmoment: other });
        expect(res.status, method).to.equal(405);
        expect(res.body.code).to.equal('method_not_allowed');
      }
      expect((await t.api().get(created['url'])).body).to.deep.equal(created);
    });
  });

  describe('verzoekcontactmoment_list', () => {
    it('lists every link in creation order, filtered on verzoek and contactmoment as AND', async () => {
      expect((await t.api().get(PATH)).body).to.deep.equal([]);
      const [v1, v2] = [await createVerzoek(), await createVerzoek()];
      const [c1, c2] = [await createContactmoment(), await createContactmoment()];
      const a = await link(v1, c1);
      const b = await link(v1, c2);
      const c = await link(v2, c1);
      expect((await t.api().get(PATH)).body).to.deep.equal([a, b, c]);
      const cases: [Record<string, string>, string[]][] = [
        [{ verzoek: v1 }, [a['url'], b['url']]],
        [{ verzoek: v2 }, [c['url']]],
        [{ contactmoment: c1 }, [a['url'], c['url']]],
        [{ contactmoment: c2 }, [b['url']]],
        [{ verzoek: v1, contactmoment: c1 }, [a['url']]],
        [{ verzoek: v2, contactmoment: c2 }, []],
      ];
      for (const [query, expected] of cases) {
        const res = await list(query);
        expect(res.status, JSON.stringify(query)).to.equal(200);
        expect(urlsOf(res.body), JSON.stringify(query)).to.deep.equal(expected);
      }
    });

    it('matches nothing for a URL on another host or with an unknown uuid', async () => {
      const verzoek = await createVerzoek();
      const contactmoment = await createContactmoment();
      await link(verzoek, contactmoment);
      const cases: Record<string, string>[] = [
        { verzoek: verzoek.replace(t.api().baseUrl, 'https://kic.elders.example') },
        { contactmoment: contactmoment.replace(t.api().baseUrl, 'https://kic.elders.example') },
        { verzoek: `${t.api().baseUrl}/api/v1/verzoeken/${randomUUID()}` },
        { contactmoment: `${t.api().baseUrl}/api/v1/contactmomenten/${randomUUID()}` },
        { verzoek: verzoek.replace(t.api().baseUrl, 'https://kic.elders.example'), contactmoment },
      ];
      for (const query of cases) {
        const res = await list(query);
        expect(res.status, JSON.stringify(query)).to.equal(200);
        expect(res.body, JSON.stringify(query)).to.deep.equal([]);
      }
    });

    it('refuses a URL of another resource type with invalid-type named after the filter', async () => {
      const verzoek = await createVerzoek();
      const contactmoment = await createContactmoment();
      const klant = await t.api().post('/api/v1/klanten', {
        subjectType: 'natuurlijk_persoon',
        subject: 'https://personen.example/1',
        emailadres: 'a@b.nl',
      });
      const forVerzoek = await list({ verzoek: klant.body.url });
      expect(forVerzoek.status).to.equal(400);
      expect(codes(forVerzoek.body)).to.deep.equal(['verzoek:invalid-type']);
      const forContactmoment = await list({ contactmoment: verzoek });
      expect(codes(forContactmoment.body)).to.deep.equal(['contactmoment:invalid-type']);
      // Checked even when the other filter alone would already match nothing.
      const both = await list({
        verzoek: `${t.api().baseUrl}/api/v1/verzoeken/${randomUUID()}`,
        contactmoment: klant.body.url,
      });
      expect(both.status).to.equal(400);
      expect(codes(both.body)).to.deep.equal(['contactmoment:invalid-type']);
      const elsewhere = await list({
        verzoek: verzoek.replace(t.api().baseUrl, 'https://kic.elders.example'),
        contactmoment: verzoek,
      });
      expect(codes(elsewhere.body)).to.deep.equal(['contactmoment:invalid-type']);
      expect((await list({ contactmoment })).status).to.equal(200);
    });

    it('refuses a filter value that is not a URL', async () => {
      const res = await list({ verzoek: 'geen url', contactmoment: 'ook niet' });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.have.members(['verzoek:invalid', 'contactmoment:invalid']);
    });

    it('refuses an unknown query parameter with unknown-parameters', async () => {
      const res = await list({
        klant: 'https://x.example/api/v1/klanten/1',
        verzoek: `${t.api().baseUrl}/api/v1/verzoeken/${randomUUID()}`,
      });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        { name: 'nonFieldErrors', code: 'unknown-parameters', reason: 'Onbekende query parameters: klant' },
      ]);
    });
  });
});
