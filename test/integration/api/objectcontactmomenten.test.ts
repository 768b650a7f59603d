import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { describeApi } from '../../helpers/app.js';
import { FakeRemote, zaak, type RecordedRequest } from '../../helpers/fake-remote.js';
import { CLIENTS, tokenFor } from '../../helpers/tokens.js';

const CM = {
  bronorganisatie: '123456782',
  kanaal: 'telefoon',
  medewerker: 'https://medewerkers.example/api/v1/medewerkers/1',
};

describeApi('objectcontactmomenten', (t) => {
  // The Zaken API this component may call (registered, with our outgoing credentials) and one it may not.
  const zrc = new FakeRemote();
  const stranger = new FakeRemote();
  // What the ZRC double holds: its zaakcontactmomenten (zaak URL and contactmoment URL).
  let relations: { zaak: string; contactmoment: string }[];

  before(async () => {
    await zrc.start();
    await stranger.start();
    await zrc.register(t.db());
  });
  after(async () => {
    await zrc.stop();
    await stranger.stop();
  });
  beforeEach(() => {
    zrc.reset();
    stranger.reset();
    relations = [];
    serveZrc();
  });

  /** The ZRC double: zaken only with Accept-Crs (as a real ZRC), and the zaakcontactmomenten list filtered like a real one. */
  function serveZrc(): void {
    zrc.on('GET /api/v1/zaakcontactmomenten', (req) => ({
      status: 200,
      body: relations
        .filter(
          (r) =>
            (!req.query.has('zaak') || r.zaak === req.query.get('zaak')) &&
            (!req.query.has('contactmoment') || r.contactmoment === req.query.get('contactmoment')),
        )
        .map((r) => ({ url: `${zrc.apiRoot}zaakcontactmomenten/${randomUUID()}`, ...r })),
    }));
  }

  function newZaak(): string {
    const path = `/api/v1/zaken/${randomUUID()}`;
    const url = `${zrc.baseUrl}${path}`;
    zrc.on(`GET ${path}`, (req) =>
      req.headers['accept-crs'] === 'EPSG:4326'
        ? { status: 200, body: zaak(url) }
        : { status: 412, body: { code: 'missing-accept-crs-header' } },
    );
    return url;
  }

  const newContactmoment = async (): Promise<string> => {
    const res = await t.api().post('/api/v1/contactmomenten', CM);
    expect(res.status).to.equal(201);
    return res.body.url as string;
  };

  /** A contactmoment and a zaak that the ZRC relates, plus the link stored here. */
  async function linked(): Promise<{ contactmoment: string; object: string; url: string }> {
    const contactmoment = await newContactmoment();
    const object = newZaak();
    relations.push({ zaak: object, contactmoment });
    const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'zaak' });
    expect(res.status).to.equal(201);
    return { contactmoment, object, url: res.body.url as string };
  }

  const lookups = (): RecordedRequest[] => zrc.requests.filter((r) => r.path === '/api/v1/zaakcontactmomenten');
  const stored = () => t.db()('objectcontactmomenten');

  /**
   * The delete refusals are a 400 ValidatieFout as the reference answers, which the spec does not
   * document for *_delete; they are asserted without the client's spec check.
   */
  async function deleteUnchecked(url: string): Promise<{ status: number; body: any }> {
    const res = await fetch(url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await tokenFor(CLIENTS.all)}` },
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  describe('objectcontactmoment_create', () => {
    it('fetches the zaak with our JWT and Accept-Crs, finds the relation in the ZRC and answers 201', async () => {
      const contactmoment = await newContactmoment();
      const object = newZaak();
      relations.push({ zaak: object, contactmoment });

      const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'zaak' });

      expect(res.status).to.equal(201);
      expect(res.body).to.deep.equal({ url: res.headers.get('location'), contactmoment, object, objectType: 'zaak' });
      expect(res.body.url).to.match(
        new RegExp(`^${t.api().config.publicUrl}/api/v1/objectcontactmomenten/[0-9a-f-]{36}$`),
      );
      const [fetchZaak, lookup, ...more] = zrc.requests;
      expect(more).to.deep.equal([]);
      expect(fetchZaak).to.include({ method: 'GET', path: new URL(object).pathname, clientId: 'kic-outgoing' });
      expect(fetchZaak!.headers['accept-crs']).to.equal('EPSG:4326');
      expect(lookup).to.include({ method: 'GET', path: '/api/v1/zaakcontactmomenten', clientId: 'kic-outgoing' });
      expect(Object.fromEntries(lookup!.query)).to.deep.equal({ zaak: object, contactmoment });
      expect(contactmoment.startsWith(`${t.api().config.publicUrl}/api/v1/contactmomenten/`)).to.equal(true);
      const rows = await stored();
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ object, object_type: 'zaak' });
    });

    it('asks the ZRC with our canonical contactmoment URL even when the client used another host', async () => {
      const contactmoment = await newContactmoment();
      const object = newZaak();
      relations.push({ zaak: object, contactmoment });
      const otherHost = contactmoment.replace(t.api().config.publicUrl, 'http://kic.internal:8080');

      const res = await t
        .api()
        .post('/api/v1/objectcontactmomenten', { contactmoment: otherHost, object, objectType: 'zaak' });

      expect(res.status).to.equal(201);
      expect(res.body.contactmoment).to.equal(contactmoment);
      expect(lookups()[0]!.query.get('contactmoment')).to.equal(contactmoment);
    });

    it('answers 400 inconsistent-relation and stores nothing when the ZRC does not have the relation', async () => {
      const contactmoment = await newContactmoment();
      const object = newZaak();
      relations.push({ zaak: object, contactmoment: await newContactmoment() }); // the zaak is related, but to another contactmoment

      const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'zaak' });

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        { name: 'nonFieldErrors', code: 'inconsistent-relation', reason: 'The contactmoment has no relations to zaak' },
      ]);
      expect(lookups()).to.have.length(1);
      expect(await stored()).to.have.length(0);
    });

    for (const status of [403, 500]) {
      it(`answers 400 relation-validation-error when the ZRC lookup answers ${status}`, async () => {
        const contactmoment = await newContactmoment();
        const object = newZaak();
        zrc.on('GET /api/v1/zaakcontactmomenten', () => ({
          status,
          body: { code: status === 403 ? 'permission_denied' : 'error' },
        }));

        const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'zaak' });

        expect(res.status).to.equal(400);
        expect(res.body.invalidParams).to.have.length(1);
        expect(res.body.invalidParams[0]).to.include({ name: 'nonFieldErrors', code: 'relation-validation-error' });
        expect(await stored()).to.have.length(0);
      });
    }

    it('answers 400 relation-validation-error when the ZRC lookup answers something that is not a list', async () => {
      const contactmoment = await newContactmoment();
      const object = newZaak();
      zrc.on('GET /api/v1/zaakcontactmomenten', () => ({ status: 200, body: { detail: 'not a list' } }));

      const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'zaak' });

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams.map((p: { code: string }) => p.code)).to.deep.equal(['relation-validation-error']);
    });

    it('answers 400 bad-url on object when the zaak does not exist, without looking up the relation', async () => {
      const contactmoment = await newContactmoment();
      const object = `${zrc.apiRoot}zaken/${randomUUID()}`;

      const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'zaak' });

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.have.length(1);
      expect(res.body.invalidParams[0]).to.include({ name: 'object', code: 'bad-url' });
      expect(zrc.requests.map((r) => r.path)).to.deep.equal([new URL(object).pathname]);
      expect(await stored()).to.have.length(0);
    });

    it('answers 400 bad-url for a zaak of an unregistered host and never calls that host', async () => {
      const contactmoment = await newContactmoment();
      const object = `${stranger.apiRoot}zaken/${randomUUID()}`;
      stranger.on(`GET ${new URL(object).pathname}`, () => ({ status: 200, body: zaak(object) }));
      stranger.on('GET /api/v1/zaakcontactmomenten', () => ({ status: 200, body: [{ zaak: object, contactmoment }] }));

      const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'zaak' });

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.have.length(1);
      expect(res.body.invalidParams[0]).to.include({ name: 'object', code: 'bad-url' });
      expect(stranger.requests).to.deep.equal([]);
      expect(zrc.requests).to.deep.equal([]);
      expect(await stored()).to.have.length(0);
    });

    it('does not follow a redirect from the ZRC to an unregistered host (bad-url)', async () => {
      const contactmoment = await newContactmoment();
      const path = `/api/v1/zaken/${randomUUID()}`;
      const object = `${zrc.baseUrl}${path}`;
      const elsewhere = `${stranger.baseUrl}${path}`;
      stranger.on(`GET ${path}`, () => ({ status: 200, body: zaak(object) }));
      zrc.on(`GET ${path}`, () => ({ status: 302, headers: { location: elsewhere } }));
      relations.push({ zaak: object, contactmoment });

      const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'zaak' });

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams[0]).to.include({ name: 'object', code: 'bad-url' });
      expect(stranger.requests).to.deep.equal([]);
      expect(lookups()).to.deep.equal([]);
      expect(await stored()).to.have.length(0);
    });

    it('answers 400 invalid-resource when the zaak lacks required properties', async () => {
      const contactmoment = await newContactmoment();
      const object = newZaak();
      const { zaaktype: _zaaktype, startdatum: _startdatum, ...incomplete } = zaak(object);
      zrc.on(`GET ${new URL(object).pathname}`, () => ({ status: 200, body: incomplete }));
      relations.push({ zaak: object, contactmoment });

      const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'zaak' });

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.have.length(1);
      expect(res.body.invalidParams[0]).to.include({ name: 'object', code: 'invalid-resource' });
      expect(lookups()).to.deep.equal([]);
      expect(await stored()).to.have.length(0);
    });

    it('answers 400 invalid-resource when the zaak URL answers a JSON array', async () => {
      const contactmoment = await newContactmoment();
      const object = newZaak();
      zrc.on(`GET ${new URL(object).pathname}`, () => ({ status: 200, body: [zaak(object)] }));

      const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'zaak' });

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams.map((p: { name: string; code: string }) => `${p.name}:${p.code}`)).to.deep.equal([
        'object:invalid-resource',
      ]);
    });

    it('answers a duplicate link with 400 unique (nonFieldErrors), never 500', async () => {
      const first = await linked();

      const res = await t.api().post('/api/v1/objectcontactmomenten', {
        contactmoment: first.contactmoment,
        object: first.object,
        objectType: 'zaak',
      });

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.have.length(1);
      expect(res.body.invalidParams[0]).to.include({ name: 'nonFieldErrors', code: 'unique' });
      expect(await stored()).to.have.length(1);
    });

    it('rejects an objectType other than zaak with invalid_choice, without calling the ZRC', async () => {
      const contactmoment = await newContactmoment();
      const object = newZaak();

      const res = await t.api().post('/api/v1/objectcontactmomenten', { contactmoment, object, objectType: 'besluit' });

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.have.length(1);
      expect(res.body.invalidParams[0]).to.include({ name: 'objectType', code: 'invalid_choice' });
      expect(zrc.requests).to.deep.equal([]);
    });

    it('checks the local contactmoment before calling the ZRC', async () => {
      const object = newZaak();
      const missing = `${t.api().config.publicUrl}/api/v1/contactmomenten/${randomUUID()}`;

      const res = await t
        .api()
        .post('/api/v1/objectcontactmomenten', { contactmoment: missing, object, objectType: 'zaak' });

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        { name: 'contactmoment', code: 'does_not_exist', reason: res.body.invalidParams[0].reason },
      ]);
      expect(zrc.requests).to.deep.equal([]);
    });

    it('reports every missing field as required', async () => {
      const res = await t.api().post('/api/v1/objectcontactmomenten', {});
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams.map((p: { name: string; code: string }) => `${p.name}:${p.code}`)).to.have.members([
        'contactmoment:required',
        'object:required',
        'objectType:required',
      ]);
      expect(zrc.requests).to.deep.equal([]);
    });
  });

  describe('objectcontactmoment_read', () => {
    it('returns the link with an ETag, and 404 for an unknown uuid', async () => {
      const link = await linked();
      const res = await t.api().get(link.url);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        url: link.url,
        contactmoment: link.contactmoment,
        object: link.object,
        objectType: 'zaak',
      });
      expect(res.headers.get('etag')).to.match(/^"[0-9a-f]{32}"$/);
      expect((await t.api().get(`/api/v1/objectcontactmomenten/${randomUUID()}`)).status).to.equal(404);
    });
  });

  describe('objectcontactmoment_delete', () => {
    it('refuses with remote-relation-exists while the ZRC still lists the relation, and keeps the row', async () => {
      const link = await linked();
      zrc.requests.length = 0;

      const res = await deleteUnchecked(link.url);

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        {
          name: 'nonFieldErrors',
          code: 'remote-relation-exists',
          reason: 'The canonical remote relation still exists, this relation cannot be deleted.',
        },
      ]);
      expect(zrc.requests).to.have.length(1);
      expect(zrc.requests[0]).to.include({ path: '/api/v1/zaakcontactmomenten', clientId: 'kic-outgoing' });
      expect(Object.fromEntries(zrc.requests[0]!.query)).to.deep.equal({
        zaak: link.object,
        contactmoment: link.contactmoment,
      });
      expect(await stored()).to.have.length(1);
      expect((await t.api().get(link.url)).status).to.equal(200);
    });

    it('deletes with 204 once the ZRC no longer lists the relation', async () => {
      const link = await linked();
      relations.length = 0;

      const res = await t.api().delete(link.url);

      expect(res.status).to.equal(204);
      expect(await stored()).to.have.length(0);
      expect((await t.api().get(link.url)).status).to.equal(404);
      expect(await t.db()('contactmomenten')).to.have.length(1); // the contactmoment itself stays
    });

    it('refuses with relation-lookup-error when the ZRC lookup fails, and keeps the row', async () => {
      const link = await linked();
      zrc.on('GET /api/v1/zaakcontactmomenten', () => ({ status: 500, body: { code: 'error' } }));

      const res = await deleteUnchecked(link.url);

      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.have.length(1);
      expect(res.body.invalidParams[0]).to.include({ name: 'nonFieldErrors', code: 'relation-lookup-error' });
      expect(await stored()).to.have.length(1);
    });

    it('answers 404 for an unknown uuid without calling the ZRC', async () => {
      const res = await t.api().delete(`/api/v1/objectcontactmomenten/${randomUUID()}`);
      expect(res.status).to.equal(404);
      expect(zrc.requests).to.deep.equal([]);
    });
  });

  describe('objectcontactmoment_list', () => {
    it('filters on object exactly and on contactmoment as a local URL', async () => {
      const a = await linked();
      const b = await linked();
      const urls = async (query: string) => {
        const res = await t.api().get(`/api/v1/objectcontactmomenten${query}`);
        expect(res.status, query).to.equal(200);
        return (res.body as { url: string }[]).map((x) => x.url);
      };

      expect(await urls('')).to.deep.equal([a.url, b.url]);
      expect(await urls(`?object=${encodeURIComponent(a.object)}`)).to.deep.equal([a.url]);
      expect(await urls(`?object=${encodeURIComponent(`${a.object}/`)}`)).to.deep.equal([]);
      expect(await urls(`?contactmoment=${encodeURIComponent(b.contactmoment)}`)).to.deep.equal([b.url]);
      expect(
        await urls(`?contactmoment=${encodeURIComponent(a.contactmoment)}&object=${encodeURIComponent(b.object)}`),
      ).to.deep.equal([]);
      expect(
        await urls(
          `?contactmoment=${encodeURIComponent(`${t.api().config.publicUrl}/api/v1/contactmomenten/${randomUUID()}`)}`,
        ),
      ).to.deep.equal([]);
      expect(zrc.requests.filter((r) => r.path === '/api/v1/zaakcontactmomenten')).to.have.length(2); // only the two creates
    });

    it('answers 400 invalid-type for a contactmoment filter with a URL of another resource, and unknown-parameters for others', async () => {
      const wrongType = `${t.api().config.publicUrl}/api/v1/verzoeken/${randomUUID()}`;
      const res = await t.api().get(`/api/v1/objectcontactmomenten?contactmoment=${encodeURIComponent(wrongType)}`);
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams[0]).to.include({ name: 'contactmoment', code: 'invalid-type' });

      const unknown = await t.api().get('/api/v1/objectcontactmomenten?verzoek=x');
      expect(unknown.status).to.equal(400);
      expect(unknown.body.invalidParams[0]).to.include({ name: 'nonFieldErrors', code: 'unknown-parameters' });
    });
  });
});
