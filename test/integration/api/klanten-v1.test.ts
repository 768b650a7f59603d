import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import * as applicaties from '../../../src/db/applicaties.js';
import { describeApi, startApp } from '../../helpers/app.js';
import { FakeRemote } from '../../helpers/fake-remote.js';
import { PERSOON } from '../../helpers/subjects.js';
import { CLIENTS, tokenFor } from '../../helpers/tokens.js';

// The Klanten API 1.0 at /klanten/api/v1 over the same klant store as the legacy API at /api/v1.

const ROOT = '/klanten/api/v1';
const KLANTEN = `${ROOT}/klanten`;
const LEGACY = '/api/v1/klanten';
const MISSING = `${KLANTEN}/6f3a5b1e-2f55-4a5d-9d7c-0c1f3b7a9e11`;
const DEFAULT_RSIN = '517439943';

const NATUURLIJK_PERSOON = PERSOON;
const ADRES = {
  straatnaam: 'Keizersgracht',
  huisnummer: 117,
  huisletter: 'A',
  huisnummertoevoeging: 'bis',
  postcode: '1015CJ',
  woonplaatsnaam: 'Amsterdam',
  landcode: '6030',
};

type Body = Record<string, any>;

const klant = (overrides: Body = {}): Body => ({
  bronorganisatie: '123456782',
  klantnummer: '1001',
  websiteUrl: 'https://bakkerij-jansen.example',
  bedrijfsnaam: 'Bakkerij Jansen',
  functie: 'eigenaar',
  voornaam: 'Jan',
  voorvoegselAchternaam: 'van',
  achternaam: 'Jansen',
  telefoonnummer: '0612345678',
  emailadres: 'jan@example.nl',
  adres: ADRES,
  subjectType: 'natuurlijk_persoon',
  subjectIdentificatie: NATUURLIJK_PERSOON,
  ...overrides,
});

const KEYS = [
  'url',
  'bronorganisatie',
  'klantnummer',
  'bedrijfsnaam',
  'functie',
  'websiteUrl',
  'voornaam',
  'voorvoegselAchternaam',
  'achternaam',
  'telefoonnummer',
  'emailadres',
  'adres',
  'subjectType',
  'subjectIdentificatie',
];

const codes = (body: Body): string[] =>
  (body['invalidParams'] as { name: string; code: string }[]).map(({ name, code }) => `${name}:${code}`);

describeApi('Klanten API 1.0', (t) => {
  // A Personen API double whose subjects may be linked (registered), and one that is not registered.
  const brp = new FakeRemote();
  const stranger = new FakeRemote();

  before(async () => {
    await brp.start();
    await stranger.start();
    await brp.register(t.db(), 'kic-to-brp', 'brp-secret');
    await applicaties.upsert(t.db(), {
      clientId: 'test-auditor',
      secret: 'secret-auditor',
      label: 'auditor',
      heeftAlleAutorisaties: false,
      scopes: ['klanten.lezen', 'audittrails.lezen'],
    });
  });
  after(async () => {
    await brp.stop();
    await stranger.stop();
  });
  beforeEach(() => {
    brp.reset();
    stranger.reset();
  });

  /** A subject the Personen API double answers with `status`. */
  function subject(status = 200): string {
    const path = `/api/v1/ingeschrevenpersonen/${randomUUID()}`;
    brp.on(`GET ${path}`, () => ({ status, body: { burgerservicenummer: '111222333' } }));
    return `${brp.baseUrl}${path}`;
  }

  const create = async (body: Body): Promise<Body> => {
    const res = await t.api().post(KLANTEN, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as Body;
  };
  const createLegacy = async (body: Body = {}): Promise<Body> => {
    const res = await t.api().post(LEGACY, {
      voornaam: 'Piet',
      achternaam: 'Pieters',
      adres: 'Dorpsstraat 1, Ergens',
      subjectType: 'natuurlijk_persoon',
      subjectIdentificatie: { inpBsn: '123456782' },
      ...body,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as Body;
  };
  const path = (url: string): string => new URL(url).pathname;
  const uuidOf = (url: string): string => url.split('/').at(-1)!;

  describe('the published contract', () => {
    it('serves its spec without authentication, and every answer carries API-version 1.0.0', async () => {
      const res = await fetch(t.api().url(`${ROOT}/schema/openapi.yaml`));
      expect(res.status).to.equal(200);
      expect(await res.text()).to.contain('title: Klanten API');
      const list = await t.api().get(KLANTEN);
      expect(list.headers.get('api-version')).to.equal('1.0.0');
      const legacy = await t.api().get(LEGACY);
      expect(legacy.headers.get('api-version')).to.equal('1.0.0-rc1');
    });
  });

  describe('klant_create', () => {
    it('stores every field and returns the complete klant with its Klanten API URL', async () => {
      const res = await t.api().post(KLANTEN, klant());
      expect(res.status).to.equal(201);
      const body = res.body as Body;
      expect(Object.keys(body)).to.deep.equal(KEYS);
      expect(body['url']).to.match(new RegExp(`^${t.api().baseUrl}${KLANTEN}/[0-9a-f-]{36}$`));
      expect(res.headers.get('location')).to.equal(body['url']);
      expect(body).to.deep.include({
        bronorganisatie: '123456782',
        klantnummer: '1001',
        websiteUrl: 'https://bakkerij-jansen.example',
        bedrijfsnaam: 'Bakkerij Jansen',
        voorvoegselAchternaam: 'van',
        adres: ADRES,
        subjectType: 'natuurlijk_persoon',
      });
      expect(body['subjectIdentificatie']).to.deep.include(NATUURLIJK_PERSOON);
      const read = await t.api().get(path(body['url']));
      expect(read.body).to.deep.equal(body);
    });

    it('requires bronorganisatie, klantnummer and websiteUrl and checks the RSIN', async () => {
      const { bronorganisatie: _b, klantnummer: _k, websiteUrl: _w, ...rest } = klant();
      const missing = await t.api().post(KLANTEN, rest);
      expect(missing.status).to.equal(400);
      expect(codes(missing.body)).to.have.members([
        'bronorganisatie:required',
        'klantnummer:required',
        'websiteUrl:required',
      ]);
      const bad = await t.api().post(KLANTEN, klant({ bronorganisatie: '123456789' }));
      expect(bad.status).to.equal(400);
      expect(codes(bad.body)).to.deep.equal(['bronorganisatie:invalid']);
      expect(await t.db()('klanten').count({ n: '*' }).first()).to.deep.include({ n: 0 });
    });

    it('needs a subject or a subjectIdentificatie (invalid-subject) and checks the identification', async () => {
      const none = await t.api().post(KLANTEN, klant({ subjectType: null, subjectIdentificatie: undefined }));
      expect(none.status).to.equal(400);
      expect(codes(none.body)).to.deep.equal(['nonFieldErrors:invalid-subject']);
      const badBsn = await t
        .api()
        .post(KLANTEN, klant({ subjectIdentificatie: { ...NATUURLIJK_PERSOON, inpBsn: '123456789' } }));
      expect(badBsn.status).to.equal(400);
      expect(codes(badBsn.body)).to.deep.equal(['subjectIdentificatie.inpBsn:invalid']);
    });

    it('leaves out an empty adres as null and accepts a klant without address', async () => {
      const body = await create(klant({ adres: null, emailadres: '' }));
      expect(body['adres']).to.equal(null);
      expect(body).not.to.have.property('emailadres');
    });
  });

  describe('kla-001: bronorganisatie + klantnummer is unique', () => {
    it('refuses a second klant with the same pair on create, and allows the number in another bronorganisatie', async () => {
      await create(klant());
      const again = await t.api().post(KLANTEN, klant());
      expect(again.status).to.equal(400);
      expect(codes(again.body)).to.deep.equal(['nonFieldErrors:unique']);
      await create(klant({ bronorganisatie: DEFAULT_RSIN }));
    });

    it('refuses an update or partial update onto a taken pair, and accepts the klant keeping its own', async () => {
      await create(klant());
      const other = await create(klant({ klantnummer: '1002' }));
      const put = await t.api().put(path(other['url']), klant({ klantnummer: '1001' }));
      expect(put.status).to.equal(400);
      expect(codes(put.body)).to.deep.equal(['nonFieldErrors:unique']);
      const patch = await t.api().patch(path(other['url']), { klantnummer: '1001' });
      expect(patch.status).to.equal(400);
      expect(codes(patch.body)).to.deep.equal(['nonFieldErrors:unique']);
      const own = await t.api().put(path(other['url']), klant({ klantnummer: '1002', voornaam: 'Joop' }));
      expect(own.status).to.equal(200);
      expect((await t.api().get(path(other['url']))).body).to.deep.include({ klantnummer: '1002', voornaam: 'Joop' });
    });

    it('lets exactly one of several concurrent creates of the same pair in; the others get 400 unique', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, () => t.api().post(KLANTEN, klant())));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).to.deep.equal([201, 400, 400, 400, 400, 400]);
      for (const a of answers.filter((x) => x.status === 400)) {
        expect(codes(a.body)).to.deep.equal(['nonFieldErrors:unique']);
      }
      expect(await t.db()('klanten').count({ n: '*' }).first()).to.deep.include({ n: 1 });
    });

    it('lets exactly one of concurrent updates move two klanten onto the same new pair', async () => {
      const one = await create(klant());
      const two = await create(klant({ klantnummer: '1002' }));
      const answers = await Promise.all([
        t.api().patch(path(one['url']), { klantnummer: '7777' }),
        t.api().put(path(two['url']), klant({ klantnummer: '7777' })),
      ]);
      expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 400]);
      expect(codes(answers.find((a) => a.status === 400)!.body)).to.deep.equal(['nonFieldErrors:unique']);
      expect(await t.db()('klanten').where({ klantnummer: '7777' }).count({ n: '*' }).first()).to.deep.include({
        n: 1,
      });
      // The refused update left no record: two creates and the one update that won.
      expect(await t.db()('audittrails').count({ n: '*' }).first()).to.deep.include({ n: 3 });
    });

    it('is a database constraint too', async () => {
      await create(klant());
      let error: unknown;
      try {
        await t.db()('klanten').insert({
          uuid: randomUUID(),
          bronorganisatie: '123456782',
          klantnummer: '1001',
          created_at: 0,
          updated_at: 0,
        });
      } catch (err) {
        error = err;
      }
      expect(String(error)).to.match(/unique|duplicate/i);
    });
  });

  describe('generated klantnummers', () => {
    it('numbers klanten of the legacy API in their default bronorganisatie, above the highest 8-digit number', async () => {
      await create(klant({ bronorganisatie: DEFAULT_RSIN, klantnummer: '00000041' }));
      await create(klant({ bronorganisatie: DEFAULT_RSIN, klantnummer: 'ZZZZZZZZ' }));
      const legacy = await createLegacy();
      const seen = (await t.api().get(`${KLANTEN}/${uuidOf(legacy['url'])}`)).body as Body;
      expect(seen).to.deep.include({ bronorganisatie: DEFAULT_RSIN, klantnummer: '00000042' });
    });

    it('gives concurrent legacy creates different klantnummers', async () => {
      const created = await Promise.all(Array.from({ length: 8 }, () => createLegacy()));
      const numbers = await Promise.all(
        created.map(async (k) => ((await t.api().get(`${KLANTEN}/${uuidOf(k['url'])}`)).body as Body)['klantnummer']),
      );
      expect(new Set(numbers).size).to.equal(8);
      expect([...numbers].sort()).to.deep.equal(Array.from({ length: 8 }, (_, i) => String(i + 1).padStart(8, '0')));
    });

    it('numbers rows inserted with plain SQL in concurrent transactions differently', async () => {
      const row = () => ({ uuid: randomUUID(), subject: 'https://x.example/1', created_at: 0, updated_at: 0 });
      const first = await t.db().transaction();
      await first('klanten').insert(row());
      // A second writer while the first has not committed yet (on SQLite it waits for the connection).
      const second = t
        .db()('klanten')
        .insert(row())
        .then(() => undefined); // knex runs a query only once it is awaited or then-ed
      await new Promise((resolve) => setTimeout(resolve, 300));
      await first.commit();
      await second;
      const numbers = await t.db()('klanten').orderBy('id').pluck('klantnummer');
      expect(numbers).to.deep.equal(['00000001', '00000002']);
    });

    it('numbers rows inserted directly into the database as well', async () => {
      await t
        .db()('klanten')
        .insert([
          { uuid: randomUUID(), subject: 'https://x.example/1', created_at: 0, updated_at: 0 },
          { uuid: randomUUID(), subject: 'https://x.example/2', created_at: 0, updated_at: 0 },
        ]);
      const rows = await t.db()('klanten').orderBy('id').select('bronorganisatie', 'klantnummer');
      expect(rows).to.deep.equal([
        { bronorganisatie: DEFAULT_RSIN, klantnummer: '00000001' },
        { bronorganisatie: DEFAULT_RSIN, klantnummer: '00000002' },
      ]);
    });
  });

  describe('kla-002: the subject must resolve', () => {
    it('accepts a subject the registered service answers with 200, fetched with its credentials', async () => {
      const url = subject(200);
      const body = await create(klant({ subject: url }));
      expect(body['subject']).to.equal(url);
      expect(brp.requests.map((r) => [r.path, r.clientId])).to.deep.equal([[path(url), 'kic-to-brp']]);
    });

    it('follows a redirect within the registered service', async () => {
      const target = subject(200);
      const moved = `/api/v1/ingeschrevenpersonen/${randomUUID()}`;
      brp.on(`GET ${moved}`, () => ({ status: 302, headers: { location: target } }));
      await create(klant({ subject: `${brp.baseUrl}${moved}` }));
    });

    it('refuses a subject answering 404 or 500, and one of an unregistered host, with bad-url', async () => {
      for (const url of [subject(404), subject(500), `${stranger.baseUrl}/api/v1/ingeschrevenpersonen/1`]) {
        const res = await t.api().post(KLANTEN, klant({ subject: url }));
        expect(res.status, url).to.equal(400);
        expect(codes(res.body)).to.deep.equal(['subject:bad-url']);
        expect(res.body.invalidParams[0].reason).to.contain(url);
      }
      expect(stranger.requests).to.deep.equal([]);
      expect(await t.db()('klanten').count({ n: '*' }).first()).to.deep.include({ n: 0 });
    });

    it('refuses a subject answering another 2xx, one redirecting outside the registered services, and one whose host is down', async () => {
      const noContent = `/api/v1/ingeschrevenpersonen/${randomUUID()}`;
      brp.on(`GET ${noContent}`, () => ({ status: 204 }));
      const away = `/api/v1/ingeschrevenpersonen/${randomUUID()}`;
      stranger.on('GET /elsewhere', () => ({ status: 200, body: {} }));
      brp.on(`GET ${away}`, () => ({ status: 302, headers: { location: `${stranger.baseUrl}/elsewhere` } }));
      const down = new FakeRemote();
      await down.start();
      await down.register(t.db(), 'kic-to-down', 'down-secret');
      const downUrl = `${down.baseUrl}/api/v1/ingeschrevenpersonen/1`;
      await down.stop(); // registered, but nothing listens there any more
      for (const url of [`${brp.baseUrl}${noContent}`, `${brp.baseUrl}${away}`, downUrl]) {
        const res = await t.api().post(KLANTEN, klant({ subject: url }));
        expect(res.status, url).to.equal(400);
        expect(codes(res.body), url).to.deep.equal(['subject:bad-url']);
        expect(res.body.invalidParams[0].reason, url).to.contain(url);
      }
      expect(stranger.requests).to.deep.equal([]);
      expect(await t.db()('klanten').count({ n: '*' }).first()).to.deep.include({ n: 0 });
    });

    it('refuses a subject whose service does not answer within the outgoing timeout', async () => {
      const slow = `/api/v1/ingeschrevenpersonen/${randomUUID()}`;
      brp.on(`GET ${slow}`, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return { status: 200, body: {} };
      });
      const impatient = await startApp(t.db(), { KIC_OUTGOING_TIMEOUT_MS: '200' });
      try {
        const res = await impatient.api.post(KLANTEN, klant({ subject: `${brp.baseUrl}${slow}` }));
        expect(res.status).to.equal(400);
        expect(codes(res.body)).to.deep.equal(['subject:bad-url']);
        expect(res.body.invalidParams[0].reason).to.match(/timeout|timed out/i);
      } finally {
        await impatient.close();
      }
    });

    it('sends the registered service credentials on every hop of a redirect', async () => {
      const target = subject(200);
      const moved = `/api/v1/ingeschrevenpersonen/${randomUUID()}`;
      brp.on(`GET ${moved}`, () => ({ status: 301, headers: { location: target } }));
      await create(klant({ subject: `${brp.baseUrl}${moved}` }));
      expect(brp.requests.map((r) => [r.path, r.clientId])).to.deep.equal([
        [moved, 'kic-to-brp'],
        [path(target), 'kic-to-brp'],
      ]);
    });

    it('checks the subject an update or partial update sends (as the reference), not one a PATCH leaves out', async () => {
      const linked = subject(200);
      const created = await create(klant({ subject: linked }));
      const put = await t.api().put(path(created['url']), klant({ subject: subject(404) }));
      expect(put.status).to.equal(400);
      expect(codes(put.body)).to.deep.equal(['subject:bad-url']);
      const patch = await t.api().patch(path(created['url']), { subject: subject(410) });
      expect(patch.status).to.equal(400);
      expect(codes(patch.body)).to.deep.equal(['subject:bad-url']);
      brp.reset(); // the linked subject now answers 404
      const unchanged = await t.api().patch(path(created['url']), { telefoonnummer: '0201234567' });
      expect(unchanged.status).to.equal(200);
      expect(brp.requests).to.deep.equal([]);
      // A PUT, or a PATCH naming the subject, sends it again: it must still resolve.
      const resent = await t.api().put(path(created['url']), klant({ subject: linked }));
      expect(resent.status).to.equal(400);
      expect(codes(resent.body)).to.deep.equal(['subject:bad-url']);
      const named = await t.api().patch(path(created['url']), { subject: linked, functie: 'x' });
      expect(named.status).to.equal(400);
      expect(brp.requests.map((r) => r.path)).to.deep.equal([path(linked), path(linked)]);
    });
  });

  describe('klant_read: HTTP caching', () => {
    it('sends an ETag; HEAD gives the same headers without body; If-None-Match with several tags', async () => {
      const created = await create(klant());
      const get = await t.api().get(path(created['url']));
      const etag = get.headers.get('etag')!;
      expect(etag).to.match(/^"[0-9a-f]{32}"$/);
      const head = await t.api().head(path(created['url']));
      expect(head.status).to.equal(200);
      expect(head.text).to.equal('');
      expect(head.headers.get('etag')).to.equal(etag);
      const hit = await t.api().get(path(created['url']), { headers: { 'if-none-match': `"nope", ${etag}` } });
      expect(hit.status).to.equal(304);
      expect(hit.text).to.equal('');
      expect(hit.headers.get('etag')).to.equal(etag);
      const weak = await t.api().head(path(created['url']), { headers: { 'if-none-match': `W/${etag}` } });
      expect(weak.status).to.equal(304);
      const any = await t.api().get(path(created['url']), { headers: { 'if-none-match': '*' } });
      expect(any.status).to.equal(304);
      const unquoted = await t.api().get(path(created['url']), { headers: { 'if-none-match': etag.slice(1, -1) } });
      expect(unquoted.status).to.equal(200);
      const miss = await t.api().get(path(created['url']), { headers: { 'if-none-match': '"nope", "other"' } });
      expect(miss.status).to.equal(200);
      expect(miss.body).to.deep.equal(created);
    });

    it('answers HEAD with exactly the headers of GET (Content-Length included), on klant and audit trail entry', async () => {
      const created = await create(klant());
      const uuid = uuidOf(created['url']);
      const [entry] = (await t.api().get(`${KLANTEN}/${uuid}/audittrail`)).body as Body[];
      const headersOf = (h: Headers) =>
        Object.fromEntries([...h].filter(([k]) => !['date', 'connection', 'keep-alive'].includes(k)));
      for (const detail of [`${KLANTEN}/${uuid}`, `${KLANTEN}/${uuid}/audittrail/${entry!['uuid']}`]) {
        const get = await t.api().get(detail);
        const head = await t.api().head(detail);
        expect(head.text).to.equal('');
        expect(headersOf(head.headers), detail).to.deep.equal(headersOf(get.headers));
        expect(Number(get.headers.get('content-length'))).to.equal(Buffer.byteLength(get.text));
      }
    });

    it('gives the two APIs, and another public base URL, different ETags for the same klant', async () => {
      const created = await create(klant());
      const uuid = uuidOf(created['url']);
      const v1 = (await t.api().get(`${KLANTEN}/${uuid}`)).headers.get('etag');
      const legacy = (await t.api().get(`${LEGACY}/${uuid}`)).headers.get('etag');
      const other = await startApp(t.db(), { KIC_PUBLIC_URL: 'https://klanten.gemeente.example' });
      try {
        const res = await other.api.get(`${KLANTEN}/${uuid}`);
        expect(res.body.url).to.equal(`https://klanten.gemeente.example${KLANTEN}/${uuid}`);
        expect(new Set([v1, legacy, res.headers.get('etag')]).size).to.equal(3);
      } finally {
        await other.close();
      }
    });

    it('answers 404 for an unknown klant', async () => {
      expect((await t.api().get(MISSING)).status).to.equal(404);
    });
  });

  describe('klant_update and klant_partial_update', () => {
    it('replaces the fields of this API: omitted optional ones are cleared', async () => {
      const created = await create(klant());
      const res = await t.api().put(path(created['url']), {
        bronorganisatie: '123456782',
        klantnummer: '1001',
        websiteUrl: 'https://nieuw.example',
        subjectType: 'natuurlijk_persoon',
        subjectIdentificatie: { inpBsn: '111222333' },
      });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({
        bedrijfsnaam: '',
        voornaam: '',
        adres: null,
        websiteUrl: 'https://nieuw.example',
      });
      const row = await t.db()('klanten').first();
      expect(row).to.deep.include({ subject_inp_bsn: '111222333', subject_anp_identificatie: '' });
    });

    it('patches only the given fields', async () => {
      const created = await create(klant());
      const res = await t.api().patch(path(created['url']), { adres: { ...ADRES, postcode: '1000AA' } });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ...created, adres: { ...ADRES, postcode: '1000AA' } });
    });

    it('refuses to change the subjectType', async () => {
      const created = await create(klant());
      const res = await t.api().patch(path(created['url']), { subjectType: 'vestiging' });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.deep.equal(['subjectType:wijzigen-niet-toegelaten']);
    });

    it('answers 404 for an unknown klant', async () => {
      expect((await t.api().put(MISSING, klant())).status).to.equal(404);
      expect((await t.api().patch(MISSING, { voornaam: 'x' })).status).to.equal(404);
    });
  });

  describe('klant_delete', () => {
    it('deletes the klant from both APIs', async () => {
      const created = await create(klant());
      expect((await t.api().delete(path(created['url']))).status).to.equal(204);
      expect((await t.api().get(path(created['url']))).status).to.equal(404);
      expect((await t.api().get(`${LEGACY}/${uuidOf(created['url'])}`)).status).to.equal(404);
      expect((await t.api().delete(path(created['url']))).status).to.equal(404);
    });
  });

  describe('one store, two views', () => {
    it('shows a legacy klant in the Klanten API with its default bronorganisatie, number and website stand-in', async () => {
      const legacy = await createLegacy({ telefoonnummer: '0611111111' });
      const uuid = uuidOf(legacy['url']);
      const res = await t.api().get(`${KLANTEN}/${uuid}`);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.include({
        url: `${t.api().baseUrl}${KLANTEN}/${uuid}`,
        bronorganisatie: DEFAULT_RSIN,
        klantnummer: '00000001',
        websiteUrl: `${t.api().baseUrl}${KLANTEN}/${uuid}`,
        voornaam: 'Piet',
        telefoonnummer: '0611111111',
        adres: null,
        subjectType: 'natuurlijk_persoon',
      });
    });

    it('keeps what only the legacy API holds when the Klanten API replaces or patches a klant', async () => {
      const legacy = await createLegacy();
      const uuid = uuidOf(legacy['url']);
      const current = (await t.api().get(`${KLANTEN}/${uuid}`)).body as Body;
      // A PATCH echoing the website stand-in stores no website.
      const patched = await t.api().patch(`${KLANTEN}/${uuid}`, { ...current, bedrijfsnaam: 'Pieters BV' });
      expect(patched.status).to.equal(200);
      expect((await t.db()('klanten').where({ uuid }).first())['website_url']).to.equal('');
      const put = await t
        .api()
        .put(
          `${KLANTEN}/${uuid}`,
          klant({ bronorganisatie: DEFAULT_RSIN, klantnummer: '00000001', voornaam: 'Petra' }),
        );
      expect(put.status).to.equal(200);
      const seenByLegacy = (await t.api().get(`${LEGACY}/${uuid}`)).body as Body;
      expect(seenByLegacy).to.deep.include({ voornaam: 'Petra', adres: 'Dorpsstraat 1, Ergens' });
      expect(seenByLegacy['subjectIdentificatie']).to.deep.include({ inpBsn: '111222333' });
    });

    it('shows and keeps a verblijfsadres the Klanten API accepts but the legacy schema cannot show', async () => {
      // The Klanten API allows a verblijfsadres without woonplaats and huisnummer; the legacy schema requires both.
      const verblijfsadres = { aoaIdentificatie: '0363200000123456', gorOpenbareRuimteNaam: 'Keizersgracht' };
      const created = await create(klant({ subjectIdentificatie: { ...NATUURLIJK_PERSOON, verblijfsadres } }));
      const uuid = uuidOf(created['url']);
      const legacy = await t.api().get(`${LEGACY}/${uuid}`);
      expect(legacy.status).to.equal(200);
      const echoed = await t.api().patch(`${LEGACY}/${uuid}`, { ...legacy.body, functie: 'bakker' });
      expect(echoed.status, JSON.stringify(echoed.body)).to.equal(200);
      const put = await t.api().put(`${LEGACY}/${uuid}`, {
        voornaam: 'Jan',
        subjectType: 'natuurlijk_persoon',
        subjectIdentificatie: { inpBsn: '111222333' },
      });
      expect(put.status, JSON.stringify(put.body)).to.equal(200);
      const seen = (await t.api().get(`${KLANTEN}/${uuid}`)).body as Body;
      expect(seen['functie']).to.equal('');
      expect(seen['subjectIdentificatie']['verblijfsadres']).to.deep.include(verblijfsadres);
    });

    it('keeps what only the Klanten API holds when the legacy API replaces or patches a klant', async () => {
      const created = await create(klant());
      const uuid = uuidOf(created['url']);
      const put = await t.api().put(`${LEGACY}/${uuid}`, {
        voornaam: 'Joop',
        adres: 'Prinsengracht 1',
        subjectType: 'natuurlijk_persoon',
        subjectIdentificatie: { inpBsn: '123456782' },
      });
      expect(put.status).to.equal(200);
      const patch = await t.api().patch(`${LEGACY}/${uuid}`, { functie: 'bakker' });
      expect(patch.status).to.equal(200);
      const seen = (await t.api().get(`${KLANTEN}/${uuid}`)).body as Body;
      expect(seen).to.deep.include({
        bronorganisatie: '123456782',
        klantnummer: '1001',
        bedrijfsnaam: 'Bakkerij Jansen',
        websiteUrl: 'https://bakkerij-jansen.example',
        voorvoegselAchternaam: 'van',
        adres: ADRES,
        voornaam: 'Joop',
        functie: 'bakker',
        achternaam: '', // a field both APIs know: the legacy PUT cleared it
      });
      // The filter columns follow the identification written through the legacy API.
      const found = await t.api().get(`${KLANTEN}?subjectNatuurlijkPersoon__inpBsn=123456782`);
      expect(found.body.results.map((k: Body) => k['url'])).to.deep.equal([created['url']]);
    });
  });

  describe('klant_list', () => {
    it('pages by 100 with count, next and previous links that keep the filters', async () => {
      await t.db().batchInsert(
        'klanten',
        Array.from({ length: 205 }, (_, i) => ({
          uuid: randomUUID(),
          functie: i % 2 ? 'odd' : 'even',
          subject: 'https://x.example/1',
          created_at: 0,
          updated_at: 0,
        })),
        100,
      );
      const first = await t.api().get(KLANTEN);
      expect(first.status).to.equal(200);
      expect(first.body).to.deep.include({ count: 205, previous: null, next: `${t.api().baseUrl}${KLANTEN}?page=2` });
      expect(first.body.results).to.have.length(100);
      const third = await t.api().get(`${KLANTEN}?page=3`);
      expect(third.body).to.deep.include({ count: 205, next: null, previous: `${t.api().baseUrl}${KLANTEN}?page=2` });
      expect(third.body.results).to.have.length(5);
      const second = await t.api().get(`${KLANTEN}?page=2`);
      expect(second.body.previous).to.equal(`${t.api().baseUrl}${KLANTEN}`);
      const all = [...first.body.results, ...second.body.results, ...third.body.results].map((k) => k.url);
      expect(new Set(all).size).to.equal(205);
      // Newest first, as the reference orders its klanten (order_by("-pk")).
      const byId = await t.db()('klanten').orderBy('id', 'desc').pluck('uuid');
      expect(all.map((url) => url.split('/').at(-1))).to.deep.equal(byId);

      const even = await t.api().get(`${KLANTEN}?functie=even`);
      expect(even.body).to.deep.include({ count: 103, next: `${t.api().baseUrl}${KLANTEN}?functie=even&page=2` });
      const evenLast = await t.api().get(`${KLANTEN}?functie=even&page=2`);
      expect(evenLast.body.results).to.have.length(3);
      expect(evenLast.body.results.every((k: Body) => k['functie'] === 'even')).to.equal(true);
    });

    it('answers an empty page past the end (previous: the last page) and 400 for a page below 1', async () => {
      const empty = await t.api().get(KLANTEN);
      expect(empty.body).to.deep.equal({ count: 0, next: null, previous: null, results: [] });
      await create(klant());
      const past = await t.api().get(`${KLANTEN}?page=5`);
      expect(past.status).to.equal(200);
      expect(past.body).to.deep.equal({ count: 1, next: null, previous: `${t.api().baseUrl}${KLANTEN}`, results: [] });
      for (const page of ['0', '-1', 'x']) {
        const res = await t.api().get(`${KLANTEN}?page=${page}`);
        expect(res.status, page).to.equal(400);
        expect(codes(res.body)[0], page).to.match(/^page:/);
      }
    });

    it('ignores unknown query parameters, as the reference klant list does (no CheckQueryParamsMixin)', async () => {
      const a = await create(klant());
      const res = await t.api().get(`${KLANTEN}?voornaam=Nobody&format=json`);
      expect(res.status).to.equal(200);
      expect(res.body.results.map((k: Body) => k['url'])).to.deep.equal([a['url']]);
      const filtered = await t.api().get(`${KLANTEN}?voornaam=Nobody&klantnummer=none`);
      expect(filtered.body.count).to.equal(0);
    });

    it('filters on every parameter of the spec, exactly; an empty value does not filter', async () => {
      const subjectUrl = subject(200);
      const a = await create(klant({ subject: subjectUrl }));
      const b = await create(
        klant({
          bronorganisatie: DEFAULT_RSIN,
          klantnummer: '2002',
          bedrijfsnaam: 'Slagerij',
          functie: 'slager',
          achternaam: 'Bakker',
          telefoonnummer: '0699999999',
          emailadres: 'b@example.nl',
          adres: { straatnaam: 'Damrak', postcode: '1012LG', woonplaatsnaam: 'Haarlem', landcode: '5010' },
          subjectType: 'niet_natuurlijk_persoon',
          subjectIdentificatie: { innNnpId: '123456782', annIdentificatie: 'ANN-7' },
        }),
      );
      const c = await create(
        klant({
          klantnummer: '3003',
          subjectType: 'vestiging',
          subjectIdentificatie: { vestigingsNummer: '000012345678' },
        }),
      );
      const filters: [string, Body[]][] = [
        ['bronorganisatie=123456782', [a, c]],
        ['klantnummer=2002', [b]],
        ['bedrijfsnaam=Slagerij', [b]],
        ['functie=eigenaar', [a, c]],
        ['achternaam=Bakker', [b]],
        ['telefoonnummer=0699999999', [b]],
        ['emailadres=b%40example.nl', [b]],
        ['adres__straatnaam=Keizersgracht', [a, c]],
        ['adres__postcode=1012LG', [b]],
        ['adres__woonplaatsNaam=Haarlem', [b]],
        ['adres__landcode=6030', [a, c]],
        [`subject=${encodeURIComponent(subjectUrl)}`, [a]],
        ['subjectType=vestiging', [c]],
        ['subjectNatuurlijkPersoon__inpBsn=111222333', [a]],
        ['subjectNatuurlijkPersoon__anpIdentificatie=ANP-42', [a]],
        ['subjectNatuurlijkPersoon__inpA_nummer=1234567890', [a]],
        ['subjectNietNatuurlijkPersoon__innNnpId=123456782', [b]],
        ['subjectNietNatuurlijkPersoon__annIdentificatie=ANN-7', [b]],
        ['subjectVestiging__vestigingsNummer=000012345678', [c]],
        ['achternaam=Jansen&klantnummer=3003', [c]],
        ['achternaam=', [a, b, c]],
        ['achternaam=jansen', []],
      ];
      for (const [query, expected] of filters) {
        const res = await t.api().get(`${KLANTEN}?${query}`);
        expect(res.status, query).to.equal(200);
        expect(
          res.body.results.map((k: Body) => k['url']),
          query,
        ).to.deep.equal(expected.map((k) => k['url']).reverse()); // newest first
        expect(res.body.count, query).to.equal(expected.length);
      }
    });
  });

  describe('audit trail', () => {
    const audit = { headers: { 'x-audit-toelichting': 'Verhuisd', 'x-nlx-logrecord-id': 'log-42' } };

    it('records create, update, partial update and delete through either API, with who, what and why', async () => {
      const token = await tokenFor(CLIENTS.all, { user_id: 'u-7', user_representation: 'Medewerker Zeven' });
      const created = await t.api().post(KLANTEN, klant(), { token, headers: audit.headers });
      const uuid = uuidOf(created.body['url']);
      await t.api().put(`${KLANTEN}/${uuid}`, klant({ voornaam: 'Joop' }));
      await t
        .api()
        .patch(`${LEGACY}/${uuid}`, { functie: 'bakker' }, { headers: { 'x-audit-toelichting': 'Via KIC' } });
      const trail = await t.api().get(`${KLANTEN}/${uuid}/audittrail`);
      expect(trail.status).to.equal(200);
      expect(trail.body.map((e: Body) => [e['actie'], e['resultaat']])).to.deep.equal([
        ['create', 201],
        ['update', 200],
        ['partial_update', 200],
      ]);
      const [first, second, third] = trail.body as Body[];
      expect(first).to.deep.include({
        bron: 'kc',
        applicatieId: 'test-all',
        gebruikersId: 'u-7',
        gebruikersWeergave: 'Medewerker Zeven',
        toelichting: 'Verhuisd',
        hoofdObject: created.body['url'],
        resource: 'klant',
        resourceUrl: created.body['url'],
        resourceWeergave: '123456782 - 1001',
        actieWeergave: 'Object aangemaakt',
      });
      expect(first!['wijzigingen']).to.deep.equal({ nieuw: created.body });
      expect(second!['wijzigingen']['oud']).to.deep.equal(created.body);
      expect(second!['wijzigingen']['nieuw']['voornaam']).to.equal('Joop');
      // A write through the legacy API is recorded in that API's representation.
      expect(third).to.deep.include({ toelichting: 'Via KIC', gebruikersId: 'tester' });
      expect(third!['wijzigingen']['oud']['url']).to.equal(`${t.api().baseUrl}${LEGACY}/${uuid}`);
      expect(third!['wijzigingen']['nieuw']['functie']).to.equal('bakker');
      const stored = await t.db()('audittrails').where({ klant_uuid: uuid }).orderBy('id').pluck('logrecord_id');
      expect(stored).to.deep.equal(['log-42', '', '']);

      await t.api().delete(`${LEGACY}/${uuid}`);
      const after = await t.api().get(`${KLANTEN}/${uuid}/audittrail`);
      const destroy = (after.body as Body[]).at(-1)!;
      expect(destroy).to.deep.include({ actie: 'destroy', resultaat: 204 });
      expect(destroy['wijzigingen']).to.have.keys('oud');
    });

    it('serves one entry with an ETag and conditional answers; 404 for an unknown entry, [] for a klant without trail', async () => {
      const created = await create(klant());
      const uuid = uuidOf(created['url']);
      const [entry] = (await t.api().get(`${KLANTEN}/${uuid}/audittrail`)).body as Body[];
      const detail = `${KLANTEN}/${uuid}/audittrail/${entry!['uuid']}`;
      const res = await t.api().get(detail);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(entry);
      const etag = res.headers.get('etag')!;
      expect((await t.api().get(detail, { headers: { 'if-none-match': `"x", ${etag}` } })).status).to.equal(304);
      const head = await t.api().head(detail);
      expect(head.headers.get('etag')).to.equal(etag);
      expect(head.text).to.equal('');
      expect((await t.api().get(`${KLANTEN}/${uuid}/audittrail/${randomUUID()}`)).status).to.equal(404);
      const withUnknown = await t.api().get(`${KLANTEN}/${uuid}/audittrail?format=json`);
      expect([withUnknown.status, withUnknown.body]).to.deep.equal([200, [entry]]);
      const none = await t.api().get(`${MISSING}/audittrail`);
      expect([none.status, none.body]).to.deep.equal([200, []]);
    });

    it('needs the audittrails.lezen scope', async () => {
      const created = await create(klant());
      const trail = `${path(created['url'])}/audittrail`;
      expect((await t.api().get(trail, { client: CLIENTS.reader })).status).to.equal(403);
      const auditor = { clientId: 'test-auditor', secret: 'secret-auditor', scopes: [] };
      expect((await t.api().get(trail, { client: auditor })).status).to.equal(200);
    });

    it('records writes through the legacy API with the token claims, and a chain of concurrent updates without gaps', async () => {
      const token = await tokenFor(CLIENTS.all, { user_id: 'u-8', user_representation: 'Medewerker Acht' });
      const created = await t.api().post(LEGACY, { subject: 'https://x.example/p/1', subjectType: null }, { token });
      expect(created.status).to.equal(201);
      const uuid = uuidOf(created.body['url']);
      const put = await t
        .api()
        .put(`${LEGACY}/${uuid}`, { subject: 'https://x.example/p/2', subjectType: null, voornaam: 'Els' }, { token });
      expect(put.status).to.equal(200);
      const patches = await Promise.all(
        ['a', 'b', 'c', 'd', 'e'].map((f) => t.api().patch(`${KLANTEN}/${uuid}`, { functie: f }, { token })),
      );
      expect(patches.map((p) => p.status)).to.deep.equal([200, 200, 200, 200, 200]);
      const trail = (await t.api().get(`${KLANTEN}/${uuid}/audittrail`)).body as Body[];
      expect(trail.map((e) => e['actie'])).to.deep.equal(['create', 'update', ...Array(5).fill('partial_update')]);
      for (const entry of trail) {
        expect(entry).to.deep.include({
          applicatieId: 'test-all',
          gebruikersId: 'u-8',
          gebruikersWeergave: 'Medewerker Acht',
        });
      }
      expect(trail[0]!['wijzigingen']['nieuw']).to.deep.equal(created.body);
      expect(trail[1]!['wijzigingen']['nieuw']).to.deep.equal(put.body);
      // Each recorded "before" is exactly the previous recorded "after" (same view from entry 2 on).
      for (let i = 3; i < trail.length; i++) {
        expect(trail[i]!['wijzigingen']['oud'], `entry ${i}`).to.deep.equal(trail[i - 1]!['wijzigingen']['nieuw']);
      }
    });

    it('records nothing when the write is refused', async () => {
      const created = await create(klant());
      await create(klant({ klantnummer: '1002' }));
      expect((await t.api().post(KLANTEN, klant())).status).to.equal(400);
      expect((await t.api().put(path(created['url']), klant({ klantnummer: '1002' }))).status).to.equal(400);
      expect((await t.api().patch(path(created['url']), { subject: subject(404) })).status).to.equal(400);
      expect((await t.api().delete(MISSING)).status).to.equal(404);
      expect(
        (await t.api().patch(`${LEGACY}/${uuidOf(created['url'])}`, { subjectType: 'vestiging' })).status,
      ).to.equal(400);
      expect(await t.db()('audittrails').count({ n: '*' }).first()).to.deep.include({ n: 2 });
    });

    it('names the application by its label and records a delete through the Klanten API', async () => {
      const zaaksysteem = { clientId: 'zaaksysteem', secret: 'secret-zs', scopes: [] };
      await applicaties.upsert(t.db(), { ...zaaksysteem, label: 'Zaaksysteem Gemeente', heeftAlleAutorisaties: true });
      const token = await tokenFor(zaaksysteem, { user_id: 'u-9', user_representation: 'Medewerker Negen' });
      const created = await t.api().post(KLANTEN, klant(), { token });
      const uuid = uuidOf(created.body['url']);
      const headers = { 'x-audit-toelichting': 'Dubbel', 'x-nlx-logrecord-id': 'log-43' };
      expect((await t.api().delete(`${KLANTEN}/${uuid}`, { token, headers })).status).to.equal(204);
      const trail = (await t.api().get(`${KLANTEN}/${uuid}/audittrail`)).body as Body[];
      expect(trail.map((e) => e['actie'])).to.deep.equal(['create', 'destroy']);
      for (const entry of trail) {
        expect(entry).to.deep.include({
          applicatieId: 'zaaksysteem',
          applicatieWeergave: 'Zaaksysteem Gemeente',
          gebruikersId: 'u-9',
          gebruikersWeergave: 'Medewerker Negen',
        });
      }
      expect(trail[1]).to.deep.include({ toelichting: 'Dubbel', resultaat: 204 });
      expect(trail[1]!['wijzigingen']).to.deep.equal({ oud: created.body });
      const stored = await t.db()('audittrails').where({ klant_uuid: uuid }).orderBy('id').pluck('logrecord_id');
      expect(stored).to.deep.equal(['', 'log-43']);
    });
  });

  describe('scopes', () => {
    it('lets klanten.lezen list and read but not write', async () => {
      const created = await create(klant());
      expect((await t.api().get(KLANTEN, { client: CLIENTS.reader })).status).to.equal(200);
      expect((await t.api().get(path(created['url']), { client: CLIENTS.reader })).status).to.equal(200);
      expect((await t.api().post(KLANTEN, klant({ klantnummer: '9' }), { client: CLIENTS.reader })).status).to.equal(
        403,
      );
      expect((await t.api().patch(path(created['url']), {}, { client: CLIENTS.reader })).status).to.equal(403);
      expect((await t.api().delete(path(created['url']), { client: CLIENTS.reader })).status).to.equal(403);
      expect((await t.api().get(KLANTEN, { client: null })).status).to.equal(403);
    });
  });
});

describeApi(
  'Klanten API 1.0 with KIC_DEFAULT_BRONORGANISATIE',
  (t) => {
    it('gives klanten of the legacy API the configured bronorganisatie', async () => {
      const res = await t.api().post('/api/v1/klanten', { subjectType: null, subject: 'https://x.example/p/1' });
      expect(res.status).to.equal(201);
      const seen = await t.api().get(`${KLANTEN}/${res.body.url.split('/').at(-1)}`);
      expect(seen.body).to.deep.include({ bronorganisatie: '123456782', klantnummer: '00000001' });
    });
  },
  { KIC_DEFAULT_BRONORGANISATIE: '123456782' },
);
