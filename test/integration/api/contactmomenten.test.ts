import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { describeApi } from '../../helpers/app.js';
import { CLIENTS } from '../../helpers/tokens.js';

const CONTACTMOMENTEN = '/api/v1/contactmomenten';
const MISSING = `${CONTACTMOMENTEN}/6f3a5b1e-2f55-4a5d-9d7c-0c1f3b7a9e11`;
const KEYS = [
  'url',
  'bronorganisatie',
  'klant',
  'interactiedatum',
  'kanaal',
  'voorkeurskanaal',
  'tekst',
  'onderwerpLinks',
  'initiatiefnemer',
  'medewerker',
  'medewerkerIdentificatie',
];
const LINKS = ['https://www.example.nl/afval/kalender', 'https://producten.example/api/v1/producten/7'];
const MEDEWERKER = { identificatie: 'MW-001', achternaam: 'Bakker', voorletters: 'B.', voorvoegselAchternaam: 'de' };

const BASE = {
  bronorganisatie: '123456782',
  kanaal: 'telefoon',
  tekst: 'Vraag over de afvalkalender',
  medewerker: 'https://medewerkers.example/api/v1/medewerkers/1',
};

type Body = Record<string, any>;

const codes = (body: Body): { name: string; code: string }[] =>
  (body['invalidParams'] as { name: string; code: string }[]).map(({ name, code }) => ({ name, code }));

/** The reference's key order; initiatiefnemer and medewerker are left out without a value ("" breaks their schema). */
function expectKeys(cm: Body): void {
  expect(Object.keys(cm)).to.deep.equal(KEYS.filter((k) => k in cm || !['initiatiefnemer', 'medewerker'].includes(k)));
}

describeApi('contactmomenten', (t) => {
  const create = async (body: Body) => {
    const res = await t.api().post(CONTACTMOMENTEN, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as Body;
  };
  const createKlant = async () => {
    const res = await t
      .api()
      .post('/api/v1/klanten', { subject: 'https://personen.example/api/v1/personen/1', subjectType: null });
    expect(res.status).to.equal(201);
    return res.body.url as string;
  };
  const uuidOf = (url: string) => url.split('/').pop()!;
  describe('contactmoment_create', () => {
    it('stores a contactmoment and answers 201 with Location and every property', async () => {
      const res = await t
        .api()
        .post('/api/v1/contactmomenten', { ...BASE, interactiedatum: '2024-03-01T10:15:00+01:00' });
      expect(res.status).to.equal(201);
      expect(res.headers.get('location')).to.equal(res.body.url);
      expect(res.body).to.deep.include({
        bronorganisatie: '123456782',
        klant: null,
        interactiedatum: '2024-03-01T09:15:00Z',
        kanaal: 'telefoon',
        voorkeurskanaal: '',
        onderwerpLinks: [],
        medewerkerIdentificatie: null,
      });
      expect(res.body).to.not.have.property('initiatiefnemer'); // no value, and "" is not in its enum
      const rows = await t.db()('contactmomenten');
      expect(rows).to.have.length(1);
    });

    it('rejects a bronorganisatie that fails the 11-proof with invalidParams', async () => {
      const res = await t.api().post('/api/v1/contactmomenten', { ...BASE, bronorganisatie: '123456789' });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.include({
        name: 'bronorganisatie',
        code: 'invalid',
        reason: res.body.invalidParams[0].reason,
      });
      expect(await t.db()('contactmomenten')).to.have.length(0);
    });

    it('rejects a klant URL that does not point at an existing klant', async () => {
      const res = await t.api().post('/api/v1/contactmomenten', {
        ...BASE,
        klant: `${t.api().baseUrl}/api/v1/klanten/6f3a5b1e-2f55-4a5d-9d7c-0c1f3b7a9e11`,
      });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams.map((p: { code: string }) => p.code)).to.deep.equal(['does_not_exist']);
    });

    it('stores every property it is given and answers them in the reference order', async () => {
      const klant = await createKlant();
      const body = {
        bronorganisatie: '123456782',
        klant,
        interactiedatum: '2024-03-01T10:15:30.123456+02:00',
        kanaal: 'e-mail',
        voorkeurskanaal: 'telefoon',
        tekst: 'Vraag over de afvalkalender',
        onderwerpLinks: LINKS,
        initiatiefnemer: 'klant',
        medewerker: BASE.medewerker,
        medewerkerIdentificatie: MEDEWERKER,
      };
      const res = await t.api().post(CONTACTMOMENTEN, body);
      expect(res.status).to.equal(201);
      expect(res.body).to.deep.equal({ url: res.body.url, ...body, interactiedatum: '2024-03-01T08:15:30.123456Z' });
      expectKeys(res.body);
      expect((await t.api().get(res.body.url)).body).to.deep.equal(res.body);
      const [row] = await t.db()('contactmomenten');
      expect(row).to.include({
        klant_uuid: uuidOf(klant),
        initiatiefnemer: 'klant',
        interactiedatum: '2024-03-01T08:15:30.123456Z',
      });
      expect(JSON.parse(row.onderwerp_links)).to.deep.equal(LINKS);
    });

    it('links a klant by its path, whatever the host, and "" or null means no klant', async () => {
      const klant = await createKlant();
      const elsewhere = `https://kic.other.example/api/v1/klanten/${uuidOf(klant)}`;
      expect((await create({ ...BASE, klant: elsewhere }))['klant']).to.equal(klant);
      expect((await create({ ...BASE, klant: null }))['klant']).to.equal(null);
      expect((await create({ ...BASE, klant: '' }))['klant']).to.equal(null);
      expect((await t.db()('contactmomenten').orderBy('id')).map((r) => r.klant_uuid)).to.deep.equal([
        uuidOf(klant),
        null,
        null,
      ]);
    });

    it('refuses a klant URL of another resource (incorrect_match) or of no resource (no_match)', async () => {
      const verzoek = await t.api().post('/api/v1/verzoeken', { bronorganisatie: '123456782', status: 'ontvangen' });
      expect(verzoek.status).to.equal(201);
      const wrongType = await t.api().post(CONTACTMOMENTEN, { ...BASE, klant: verzoek.body.url });
      expect(wrongType.status).to.equal(400);
      expect(codes(wrongType.body)).to.deep.equal([{ name: 'klant', code: 'incorrect_match' }]);
      const klant = await createKlant();
      for (const garbage of [
        'https://klanten.example/some/where',
        `${t.api().baseUrl}/api/v1/klanten`,
        `${t.api().baseUrl}/api/v1/klanten/not-a-uuid`,
        `${klant}/`,
        `${t.api().baseUrl}/api/v2/klanten/${uuidOf(klant)}`,
        `${t.api().baseUrl}/api/v1/onbekend/${uuidOf(klant)}`,
      ]) {
        const res = await t.api().post(CONTACTMOMENTEN, { ...BASE, klant: garbage });
        expect(res.status, garbage).to.equal(400);
        expect(codes(res.body), garbage).to.deep.equal([{ name: 'klant', code: 'no_match' }]);
      }
      const notUrl = await t.api().post(CONTACTMOMENTEN, { ...BASE, klant: 'klant 1' });
      expect(codes(notUrl.body)).to.deep.equal([{ name: 'klant', code: 'invalid' }]);
      expect(await t.db()('contactmomenten')).to.have.length(0);
    });

    it('sets interactiedatum to the moment of creation when none is given', async () => {
      const before = new Date().toISOString();
      const cm = await create(BASE);
      const after = new Date().toISOString();
      const at = new Date(cm['interactiedatum']).toISOString();
      expect(cm['interactiedatum']).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/);
      expect(at >= before && at <= after, `${before} <= ${at} <= ${after}`).to.equal(true);
    });

    it('converts an interactiedatum with an offset to UTC, keeps its fraction, and refuses a malformed one', async () => {
      const cases: [string, string][] = [
        ['2024-01-31T23:30:00-01:00', '2024-02-01T00:30:00Z'],
        ['2024-06-01T12:00:00+05:30', '2024-06-01T06:30:00Z'],
        ['2024-06-01T12:00:00.5Z', '2024-06-01T12:00:00.500000Z'],
        ['2024-06-01T12:00:00.000000+00:00', '2024-06-01T12:00:00Z'],
      ];
      for (const [given, expected] of cases) {
        expect((await create({ ...BASE, interactiedatum: given }))['interactiedatum'], given).to.equal(expected);
      }
      for (const bad of ['gisteren', '2024-13-01T00:00:00Z', '2024-06-01']) {
        const res = await t.api().post(CONTACTMOMENTEN, { ...BASE, interactiedatum: bad });
        expect(res.status, bad).to.equal(400);
        expect(codes(res.body), bad).to.deep.equal([{ name: 'interactiedatum', code: 'invalid' }]);
      }
    });

    it('refuses onderwerpLinks that are not a list of URLs, naming the bad element', async () => {
      const first = await t.api().post(CONTACTMOMENTEN, { ...BASE, onderwerpLinks: ['geen url', LINKS[0]] });
      expect(first.status).to.equal(400);
      expect(codes(first.body)).to.deep.equal([{ name: 'onderwerpLinks.0', code: 'invalid' }]);
      const second = await t
        .api()
        .post(CONTACTMOMENTEN, { ...BASE, onderwerpLinks: [LINKS[0], `https://x.example/${'a'.repeat(1000)}`] });
      expect(codes(second.body)).to.deep.equal([{ name: 'onderwerpLinks.1', code: 'max_length' }]);
      const notList = await t.api().post(CONTACTMOMENTEN, { ...BASE, onderwerpLinks: LINKS[0] });
      expect(codes(notList.body)).to.deep.equal([{ name: 'onderwerpLinks', code: 'not_a_list' }]);
      const nothing = await t.api().post(CONTACTMOMENTEN, { ...BASE, onderwerpLinks: null });
      expect(codes(nothing.body)).to.deep.equal([{ name: 'onderwerpLinks', code: 'null' }]);
      expect(await t.db()('contactmomenten')).to.have.length(0);
    });

    it('completes a medewerkerIdentificatie with "" and needs no medewerker URL beside it', async () => {
      const { medewerker: _m, ...withoutMedewerker } = BASE;
      const cm = await create({ ...withoutMedewerker, medewerkerIdentificatie: { identificatie: 'MW-002' } });
      expect(cm['medewerkerIdentificatie']).to.deep.equal({
        identificatie: 'MW-002',
        achternaam: '',
        voorletters: '',
        voorvoegselAchternaam: '',
      });
      expect(cm).to.not.have.property('medewerker'); // no value, and "" is not a URI
      expectKeys(cm);
      const [row] = await t.db()('contactmomenten');
      expect(row.medewerker).to.equal('');
      const tooLong = await t
        .api()
        .post(CONTACTMOMENTEN, { ...BASE, medewerkerIdentificatie: { identificatie: 'x'.repeat(25) } });
      expect(codes(tooLong.body)).to.deep.equal([
        { name: 'medewerkerIdentificatie.identificatie', code: 'max_length' },
      ]);
    });

    it('refuses a contactmoment with neither medewerker nor medewerkerIdentificatie with invalid-medewerker', async () => {
      const { medewerker: _m, ...withoutMedewerker } = BASE;
      for (const extra of [
        {},
        { medewerker: '' },
        { medewerkerIdentificatie: null },
        { medewerkerIdentificatie: {} },
      ]) {
        const res = await t.api().post(CONTACTMOMENTEN, { ...withoutMedewerker, ...extra });
        expect(res.status, JSON.stringify(extra)).to.equal(400);
        expect(res.body.invalidParams).to.deep.equal([
          {
            name: 'nonFieldErrors',
            code: 'invalid-medewerker',
            reason: 'medewerker or medewerkerIdentificatie must be provided',
          },
        ]);
      }
      const badUrl = await t.api().post(CONTACTMOMENTEN, { ...BASE, medewerker: 'medewerker 1' });
      expect(codes(badUrl.body)).to.deep.equal([{ name: 'medewerker', code: 'invalid' }]);
      expect(await t.db()('contactmomenten')).to.have.length(0);
    });

    it('checks the bronorganisatie as an RSIN: required, only digits, nine of them, passing the 11-proof', async () => {
      const cases: [unknown, string][] = [
        ['12345678a', 'only-digits'],
        ['12345678', 'invalid-length'],
        ['123456789', 'invalid'],
        ['1234567890', 'max_length'],
        ['', 'blank'],
      ];
      for (const [bronorganisatie, code] of cases) {
        const res = await t.api().post(CONTACTMOMENTEN, { ...BASE, bronorganisatie });
        expect(res.status, String(bronorganisatie)).to.equal(400);
        expect(codes(res.body), String(bronorganisatie)).to.deep.include({ name: 'bronorganisatie', code });
      }
      const { bronorganisatie: _b, ...withoutRsin } = BASE;
      const missing = await t.api().post(CONTACTMOMENTEN, withoutRsin);
      expect(codes(missing.body)).to.deep.equal([{ name: 'bronorganisatie', code: 'required' }]);
      expect((await create({ ...BASE, bronorganisatie: '000000000' }))['bronorganisatie']).to.equal('000000000');
      expect(await t.db()('contactmomenten')).to.have.length(1);
    });

    it('refuses an initiatiefnemer outside its enum and texts over their maximum length', async () => {
      const res = await t.api().post(CONTACTMOMENTEN, {
        ...BASE,
        initiatiefnemer: 'burger',
        kanaal: 'k'.repeat(51),
        voorkeurskanaal: 'v'.repeat(51),
      });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.have.deep.members([
        { name: 'initiatiefnemer', code: 'invalid_choice' },
        { name: 'kanaal', code: 'max_length' },
        { name: 'voorkeurskanaal', code: 'max_length' },
      ]);
      expect(await t.db()('contactmomenten')).to.have.length(0);
    });
  });

  describe('contactmoment_read', () => {
    it('returns an ETag, answers 304 on a matching If-None-Match and HEAD without body', async () => {
      const created = await t.api().post('/api/v1/contactmomenten', BASE);
      const read = await t.api().get(created.body.url);
      expect(read.status).to.equal(200);
      const etag = read.headers.get('etag')!;
      expect(etag).to.match(/^"[0-9a-f]{32}"$/);
      const again = await t.api().get(created.body.url, { headers: { 'if-none-match': `"other", W/${etag}` } });
      expect(again.status).to.equal(304);
      expect(again.text).to.equal('');
      const head = await t.api().head(created.body.url);
      expect(head.status).to.equal(200);
      expect(head.headers.get('etag')).to.equal(etag);
      expect(head.text).to.equal('');
      const changed = await t.api().patch(created.body.url, { tekst: 'Anders' });
      expect(changed.status).to.equal(200);
      const reread = await t.api().get(created.body.url, { headers: { 'if-none-match': etag } });
      expect(reread.status).to.equal(200);
      expect(reread.headers.get('etag')).to.not.equal(etag);
    });

    it('answers 404 for an unknown or malformed uuid', async () => {
      expect((await t.api().get('/api/v1/contactmomenten/6f3a5b1e-2f55-4a5d-9d7c-0c1f3b7a9e11')).status).to.equal(404);
      expect((await t.api().get('/api/v1/contactmomenten/not-a-uuid')).status).to.equal(404);
    });
  });
  describe('contactmoment_list', () => {
    it('returns a plain array of every contactmoment in creation order, each complete', async () => {
      expect((await t.api().get(CONTACTMOMENTEN)).body).to.deep.equal([]);
      const klant = await createKlant();
      const { medewerker: _m, ...withoutMedewerker } = BASE;
      const created = [
        await create({ ...BASE, interactiedatum: '2024-05-01T10:00:00Z' }),
        await create({
          ...withoutMedewerker,
          klant,
          medewerkerIdentificatie: MEDEWERKER,
          interactiedatum: '2020-01-01T00:00:00Z',
        }),
        await create({ ...BASE, onderwerpLinks: LINKS, initiatiefnemer: 'gemeente' }),
      ];
      const res = await t.api().get(CONTACTMOMENTEN);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.body).to.deep.equal(created);
      res.body.forEach(expectKeys);
    });

    it('returns a list longer than one batch completely and in order', async () => {
      const uuids = Array.from({ length: 1001 }, () => randomUUID());
      const now = Date.now();
      await t.db().batchInsert(
        'contactmomenten',
        uuids.map((uuid, i) => ({
          uuid,
          bronorganisatie: '123456782',
          interactiedatum: '2024-01-01T00:00:00.000000Z',
          tekst: `moment ${i}`,
          medewerker: BASE.medewerker,
          created_at: now,
          updated_at: now,
        })),
        250,
      );
      const res = await t.api().get(CONTACTMOMENTEN);
      expect(res.status).to.equal(200);
      expect(res.body).to.have.length(1001);
      expect(res.body.map((c: Body) => c['url'])).to.deep.equal(
        uuids.map((u) => `${t.api().config.publicUrl}/api/v1/contactmomenten/${u}`),
      );
      expect(res.body[500]).to.deep.include({
        tekst: 'moment 500',
        interactiedatum: '2024-01-01T00:00:00Z',
        onderwerpLinks: [],
        klant: null,
      });
    });
  });

  describe('contactmoment_update', () => {
    it('replaces the contactmoment: omitted optional fields are cleared, interactiedatum is kept', async () => {
      const klant = await createKlant();
      const cm = await create({
        ...BASE,
        klant,
        interactiedatum: '2024-03-01T09:15:00Z',
        voorkeurskanaal: 'post',
        onderwerpLinks: LINKS,
        initiatiefnemer: 'klant',
        medewerkerIdentificatie: MEDEWERKER,
      });
      const res = await t
        .api()
        .put(cm['url'], { bronorganisatie: '000000000', medewerker: BASE.medewerker, tekst: 'Afgehandeld' });
      expect(res.status).to.equal(200);
      const expected = {
        url: cm['url'],
        bronorganisatie: '000000000',
        klant: null,
        interactiedatum: '2024-03-01T09:15:00Z',
        kanaal: '',
        voorkeurskanaal: '',
        tekst: 'Afgehandeld',
        onderwerpLinks: [],
        medewerker: BASE.medewerker,
        medewerkerIdentificatie: null,
      };
      expect(res.body).to.deep.equal(expected);
      expect((await t.api().get(cm['url'])).body).to.deep.equal(expected);
      const [row] = await t.db()('contactmomenten');
      expect(row).to.include({ klant_uuid: null, initiatiefnemer: '', medewerker_identificatie: null });
    });

    it('accepts its own representation back unchanged, and a new interactiedatum', async () => {
      const cm = await create({
        ...BASE,
        onderwerpLinks: LINKS,
        initiatiefnemer: 'gemeente',
        medewerkerIdentificatie: MEDEWERKER,
      });
      const same = await t.api().put(cm['url'], cm);
      expect(same.status).to.equal(200);
      expect(same.body).to.deep.equal(cm);
      const moved = await t.api().put(cm['url'], { ...cm, interactiedatum: '2023-12-31T23:00:00-01:00' });
      expect(moved.body).to.deep.equal({ ...cm, interactiedatum: '2024-01-01T00:00:00Z' });
    });

    it('validates the replacement like a create and keeps the stored contactmoment', async () => {
      const cm = await create(BASE);
      const { bronorganisatie: _b, ...withoutRsin } = BASE;
      const missing = await t.api().put(cm['url'], withoutRsin);
      expect(codes(missing.body)).to.deep.equal([{ name: 'bronorganisatie', code: 'required' }]);
      const noMedewerker = await t.api().put(cm['url'], { bronorganisatie: '123456782' });
      expect(codes(noMedewerker.body)).to.deep.equal([{ name: 'nonFieldErrors', code: 'invalid-medewerker' }]);
      const badKlant = await t
        .api()
        .put(cm['url'], { ...BASE, klant: `${t.api().baseUrl}/api/v1/klanten/${randomUUID()}` });
      expect(codes(badKlant.body)).to.deep.equal([{ name: 'klant', code: 'does_not_exist' }]);
      expect((await t.api().get(cm['url'])).body).to.deep.equal(cm);
    });

    it('answers 404 for an unknown contactmoment', async () => {
      expect((await t.api().put(MISSING, BASE)).status).to.equal(404);
    });
  });

  describe('contactmoment_partial_update', () => {
    it('changes only the given fields and keeps everything else', async () => {
      const klant = await createKlant();
      const cm = await create({
        ...BASE,
        klant,
        onderwerpLinks: LINKS,
        initiatiefnemer: 'klant',
        medewerkerIdentificatie: MEDEWERKER,
      });
      const res = await t.api().patch(cm['url'], { tekst: 'Teruggebeld', onderwerpLinks: [LINKS[1]] });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ...cm, tekst: 'Teruggebeld', onderwerpLinks: [LINKS[1]] });
      expect((await t.api().get(cm['url'])).body).to.deep.equal(res.body);
    });

    it('unlinks the klant with null and clears a medewerkerIdentificatie while a medewerker remains', async () => {
      const cm = await create({ ...BASE, klant: await createKlant(), medewerkerIdentificatie: MEDEWERKER });
      const res = await t.api().patch(cm['url'], { klant: null, medewerkerIdentificatie: null });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ...cm, klant: null, medewerkerIdentificatie: null });
    });

    it('refuses to remove the last medewerker, and validates the fields it is given', async () => {
      const cm = await create(BASE);
      const res = await t.api().patch(cm['url'], { medewerker: '' });
      expect(codes(res.body)).to.deep.equal([{ name: 'nonFieldErrors', code: 'invalid-medewerker' }]);
      const bad = await t.api().patch(cm['url'], { bronorganisatie: '111111111', initiatiefnemer: 'x' });
      expect(codes(bad.body)).to.deep.equal([{ name: 'initiatiefnemer', code: 'invalid_choice' }]);
      const rsin = await t.api().patch(cm['url'], { bronorganisatie: '111111111' });
      expect(codes(rsin.body)).to.deep.equal([{ name: 'bronorganisatie', code: 'invalid' }]);
      expect((await t.api().get(cm['url'])).body).to.deep.equal(cm);
    });

    it('answers 404 for an unknown contactmoment', async () => {
      expect((await t.api().patch(MISSING, { tekst: 'x' })).status).to.equal(404);
    });
  });

  describe('contactmoment_delete', () => {
    it('deletes the contactmoment with its relations and leaves its klant and verzoek', async () => {
      const klant = await createKlant();
      const cm = await create({ ...BASE, klant });
      const kept = await create(BASE);
      const verzoek = await t.api().post('/api/v1/verzoeken', { bronorganisatie: '123456782', status: 'ontvangen' });
      const vcm = await t
        .api()
        .post('/api/v1/verzoekcontactmomenten', { verzoek: verzoek.body.url, contactmoment: cm['url'] });
      expect(vcm.status).to.equal(201);
      await t
        .db()('objectcontactmomenten')
        .insert({
          uuid: randomUUID(),
          contactmoment_uuid: uuidOf(cm['url']),
          object: 'https://zaken.example/api/v1/zaken/1',
          object_type: 'zaak',
          created_at: Date.now(),
        });

      const res = await t.api().delete(cm['url']);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect((await t.api().get(cm['url'])).status).to.equal(404);
      expect((await t.db()('contactmomenten')).map((r) => r.uuid)).to.deep.equal([uuidOf(kept['url'])]);
      expect(await t.db()('verzoekcontactmomenten')).to.have.length(0);
      expect(await t.db()('objectcontactmomenten')).to.have.length(0);
      expect((await t.api().get(klant)).status).to.equal(200);
      expect((await t.api().get(verzoek.body.url)).status).to.equal(200);
    });

    it('answers 404 for an unknown contactmoment and for a second delete', async () => {
      expect((await t.api().delete(MISSING)).status).to.equal(404);
      const cm = await create(BASE);
      expect((await t.api().delete(cm['url'])).status).to.equal(204);
      expect((await t.api().delete(cm['url'])).status).to.equal(404);
    });
  });

  describe('scopes', () => {
    it('lets klanten.lezen list, read and HEAD, but not create, update or delete', async () => {
      const cm = await create(BASE);
      const reader = { client: CLIENTS.reader };
      expect((await t.api().get(CONTACTMOMENTEN, reader)).body).to.deep.equal([cm]);
      expect((await t.api().get(cm['url'], reader)).body).to.deep.equal(cm);
      expect((await t.api().head(cm['url'], reader)).status).to.equal(200);
      const refused = [
        await t.api().post(CONTACTMOMENTEN, BASE, reader),
        await t.api().put(cm['url'], { ...BASE, tekst: 'x' }, reader),
        await t.api().patch(cm['url'], { tekst: 'x' }, reader),
        await t.api().delete(cm['url'], reader),
      ];
      for (const res of refused) expect(res.body).to.include({ status: 403, code: 'permission_denied' });
      expect((await t.api().get(CONTACTMOMENTEN)).body).to.deep.equal([cm]);
    });

    it('lets a client with the four scopes do every operation', async () => {
      const writer = { client: CLIENTS.writer };
      const created = await t.api().post(CONTACTMOMENTEN, BASE, writer);
      expect(created.status).to.equal(201);
      expect((await t.api().get(CONTACTMOMENTEN, writer)).status).to.equal(200);
      expect((await t.api().get(created.body.url, writer)).status).to.equal(200);
      expect((await t.api().put(created.body.url, { ...BASE, tekst: 'a' }, writer)).body.tekst).to.equal('a');
      expect((await t.api().patch(created.body.url, { tekst: 'b' }, writer)).body.tekst).to.equal('b');
      expect((await t.api().delete(created.body.url, writer)).status).to.equal(204);
      expect(await t.db()('contactmomenten')).to.have.length(0);
    });

    it('refuses every operation to a client without scopes and to a request without token', async () => {
      const cm = await create(BASE);
      for (const o of [{ client: CLIENTS.none }, { client: null }]) {
        const answers = [
          await t.api().get(CONTACTMOMENTEN, o),
          await t.api().get(cm['url'], o),
          await t.api().head(cm['url'], o),
          await t.api().post(CONTACTMOMENTEN, BASE, o),
          await t.api().put(cm['url'], BASE, o),
          await t.api().patch(cm['url'], { tekst: 'x' }, o),
          await t.api().delete(cm['url'], o),
        ];
        expect(answers.map((r) => r.status)).to.deep.equal([403, 403, 403, 403, 403, 403, 403]);
      }
      expect((await t.api().get(cm['url'])).body).to.deep.equal(cm);
    });
  });
});
