import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { describeApi } from '../../helpers/app.js';

const BASE = { bronorganisatie: '123456782', status: 'ontvangen', interactiedatum: '2024-03-01T10:15:00+01:00' };
/** Another RSIN that passes the 11-proof. */
const OTHER_BRON = '000000000';
// emailadres is given: a klant without one renders "" there, which breaks the spec's email format.
const KLANT = {
  subjectType: 'natuurlijk_persoon',
  subject: 'https://personen.example/api/v1/personen/1',
  emailadres: 'a@b.nl',
};
const CM = { bronorganisatie: '123456782', kanaal: 'telefoon', medewerker: 'https://medewerkers.example/m/1' };

type Param = { name: string; code: string; reason: string };
const codes = (body: { invalidParams: Param[] }) => body.invalidParams.map((p) => `${p.name}:${p.code}`);

describeApi('verzoeken', (t) => {
  const post = (body: Record<string, unknown>) => t.api().post('/api/v1/verzoeken', body);
  const createVerzoek = async (body: Record<string, unknown> = {}) => {
    const res = await post({ ...BASE, ...body });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as Record<string, any>;
  };
  const createKlant = async () => {
    const res = await t.api().post('/api/v1/klanten', KLANT);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.url as string;
  };
  const missing = (resource: string) => `${t.api().baseUrl}/api/v1/${resource}/${randomUUID()}`;

  describe('verzoek_create', () => {
    it('stores a verzoek and answers 201 with Location and every property', async () => {
      const res = await post({ ...BASE, tekst: 'Graag een nieuwe container', voorkeurskanaal: 'email' });
      expect(res.status).to.equal(201);
      expect(res.headers.get('location')).to.equal(res.body.url);
      expect(res.body.url).to.match(new RegExp(`^${t.api().baseUrl}/api/v1/verzoeken/[0-9a-f-]{36}$`));
      expect(Object.keys(res.body)).to.deep.equal([
        'url',
        'identificatie',
        'bronorganisatie',
        'externeIdentificatie',
        'klant',
        'interactiedatum',
        'voorkeurskanaal',
        'tekst',
        'status',
      ]);
      expect(res.body).to.deep.include({
        identificatie: 'VERZOEK-2024-0000000001',
        bronorganisatie: '123456782',
        externeIdentificatie: '',
        klant: null,
        interactiedatum: '2024-03-01T09:15:00Z',
        voorkeurskanaal: 'email',
        tekst: 'Graag een nieuwe container',
        status: 'ontvangen',
      });
      const rows = await t.db()('verzoeken');
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ identificatie: 'VERZOEK-2024-0000000001', status: 'ontvangen', klant_uuid: null });
    });

    it('requires bronorganisatie and status, and stores nothing', async () => {
      const res = await post({ tekst: 'x' });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('invalid');
      expect(codes(res.body)).to.have.members(['bronorganisatie:required', 'status:required']);
      expect(await t.db()('verzoeken')).to.have.length(0);
    });

    it('rejects a status outside the enum with invalid_choice', async () => {
      const res = await post({ ...BASE, status: 'klaar' });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.deep.equal(['status:invalid_choice']);
    });

    it('rejects a bronorganisatie that fails the 11-proof', async () => {
      const res = await post({ ...BASE, bronorganisatie: '123456789' });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.deep.equal(['bronorganisatie:invalid']);
      expect(await t.db()('verzoeken')).to.have.length(0);
    });

    it('defaults interactiedatum to the moment of creation', async () => {
      const before = Date.now();
      const body = await createVerzoek({ interactiedatum: undefined });
      const stamp = Date.parse(body['interactiedatum']);
      expect(stamp).to.be.within(before - 1000, Date.now() + 1000);
      expect(body['identificatie']).to.equal(`VERZOEK-${new Date(stamp).getUTCFullYear()}-0000000001`);
    });
  });

  describe('identificatie', () => {
    it('generates VERZOEK-<year of interactiedatum>-<10 digits>, counting up per year', async () => {
      expect((await createVerzoek())['identificatie']).to.equal('VERZOEK-2024-0000000001');
      expect((await createVerzoek())['identificatie']).to.equal('VERZOEK-2024-0000000002');
      expect((await createVerzoek({ interactiedatum: '2023-12-31T23:30:00Z' }))['identificatie']).to.equal(
        'VERZOEK-2023-0000000001',
      );
      // The year is taken in UTC: 00:30 on 1 January in Amsterdam is still 2023 in UTC.
      expect((await createVerzoek({ interactiedatum: '2024-01-01T00:30:00+01:00' }))['identificatie']).to.equal(
        'VERZOEK-2023-0000000002',
      );
      expect((await createVerzoek({ identificatie: '' }))['identificatie']).to.equal('VERZOEK-2024-0000000003');
    });

    it('keeps an identificatie the client supplies and continues the sequence after it', async () => {
      expect((await createVerzoek({ identificatie: 'ZAAKVERZOEK 12/a' }))['identificatie']).to.equal(
        'ZAAKVERZOEK 12/a',
      );
      expect((await createVerzoek({ identificatie: 'VERZOEK-2024-0000000041' }))['identificatie']).to.equal(
        'VERZOEK-2024-0000000041',
      );
      expect((await createVerzoek())['identificatie']).to.equal('VERZOEK-2024-0000000042');
      const stored = await t.db()('verzoeken').orderBy('id').pluck('identificatie');
      expect(stored).to.deep.equal(['ZAAKVERZOEK 12/a', 'VERZOEK-2024-0000000041', 'VERZOEK-2024-0000000042']);
    });

    it('still generates a fresh number when a client identificatie only resembles the pattern', async () => {
      await createVerzoek();
      for (const identificatie of [
        'VERZOEK-2024-0000000005x',
        'VERZOEK-2024-zzzzzzzzzz',
        'verzoek-2024-0000000090',
        'VERZOEK-2024-999',
      ]) {
        await createVerzoek({ identificatie });
      }
      const res = await post(BASE);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.identificatie).to.equal('VERZOEK-2024-0000000002');
    });

    it('refuses an identificatie that already exists within the bronorganisatie', async () => {
      await createVerzoek({ identificatie: 'V-1' });
      const res = await post({ ...BASE, identificatie: 'V-1' });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        {
          name: 'identificatie',
          code: 'identificatie-niet-uniek',
          reason: 'Deze identificatie bestaat al binnen de organisatie',
        },
      ]);
      expect(await t.db()('verzoeken')).to.have.length(1);
      // The same identificatie at another organisation is fine.
      expect((await createVerzoek({ identificatie: 'V-1', bronorganisatie: OTHER_BRON }))['identificatie']).to.equal(
        'V-1',
      );
    });

    it('numbers the sequence per bronorganisatie', async () => {
      await createVerzoek();
      expect((await createVerzoek({ bronorganisatie: OTHER_BRON }))['identificatie']).to.equal(
        'VERZOEK-2024-0000000001',
      );
    });

    it('rejects non-ASCII characters in identificatie and externeIdentificatie', async () => {
      const res = await post({ ...BASE, identificatie: 'verzoek-één', externeIdentificatie: 'ext-ß' });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        {
          name: 'identificatie',
          code: 'invalid',
          reason: 'Waarde "verzoek-één" mag geen diakrieten of non-ascii tekens bevatten',
        },
        {
          name: 'externeIdentificatie',
          code: 'invalid',
          reason: 'Waarde "ext-ß" mag geen diakrieten of non-ascii tekens bevatten',
        },
      ]);
      expect(await t.db()('verzoeken')).to.have.length(0);
    });

    it('rejects an identificatie longer than 40 characters', async () => {
      const res = await post({ ...BASE, identificatie: 'x'.repeat(41) });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.deep.equal(['identificatie:max_length']);
    });

    it('gives concurrent creates distinct identificaties, all of them 201', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => post(BASE)));
      expect(results.map((r) => r.status)).to.deep.equal(Array(10).fill(201));
      const ids = results.map((r) => r.body.identificatie as string).sort();
      expect(ids).to.deep.equal(
        Array.from({ length: 10 }, (_, i) => `VERZOEK-2024-${String(i + 1).padStart(10, '0')}`),
      );
      expect(await t.db()('verzoeken')).to.have.length(10);
    });
  });

  describe('klant link', () => {
    it('stores a link to an existing klant and renders its URL', async () => {
      const klant = await createKlant();
      const body = await createVerzoek({ klant });
      expect(body['klant']).to.equal(klant);
      const [row] = await t.db()('verzoeken');
      expect(row.klant_uuid).to.equal(klant.split('/').pop());
    });

    it('resolves a klant URL by its path, whatever the host', async () => {
      const klant = await createKlant();
      const elsewhere = klant.replace(t.api().baseUrl, 'https://kic.elders.example');
      expect((await createVerzoek({ klant: elsewhere }))['klant']).to.equal(klant);
    });

    it('rejects a klant that does not exist, a URL of another resource and a URL of no resource', async () => {
      const cm = await t.api().post('/api/v1/contactmomenten', CM);
      const cases: [unknown, string][] = [
        [missing('klanten'), 'klant:does_not_exist'],
        [cm.body.url, 'klant:incorrect_match'],
        [`${t.api().baseUrl}/api/v1/klanten`, 'klant:no_match'],
        ['geen url', 'klant:invalid'],
      ];
      for (const [klant, code] of cases) {
        const res = await post({ ...BASE, klant });
        expect(res.status, String(klant)).to.equal(400);
        expect(codes(res.body), String(klant)).to.deep.equal([code]);
      }
      expect(await t.db()('verzoeken')).to.have.length(0);
    });

    it('accepts null as an anonymous verzoek, and a PATCH can link and unlink the klant', async () => {
      const created = await createVerzoek({ klant: null });
      expect(created['klant']).to.equal(null);
      const klant = await createKlant();
      const linked = await t.api().patch(created['url'], { klant });
      expect(linked.status).to.equal(200);
      expect(linked.body.klant).to.equal(klant);
      const unlinked = await t.api().patch(created['url'], { klant: null });
      expect(unlinked.body.klant).to.equal(null);
      expect((await t.db()('verzoeken').first()).klant_uuid).to.equal(null);
    });

    it('goes away with its klant', async () => {
      const klant = await createKlant();
      const linked = await createVerzoek({ klant });
      const anonymous = await createVerzoek();
      expect((await t.api().delete(klant)).status).to.equal(204);
      expect((await t.api().get(linked['url'])).status).to.equal(404);
      expect((await t.api().get(anonymous['url'])).status).to.equal(200);
    });
  });

  describe('verzoek_read', () => {
    it('returns the representation with an ETag, and 404 for an unknown or malformed uuid', async () => {
      const created = await createVerzoek({ tekst: 'Lezen' });
      const read = await t.api().get(created['url']);
      expect(read.status).to.equal(200);
      expect(read.body).to.deep.equal(created);
      expect(read.headers.get('etag')).to.match(/^"[0-9a-f]{32}"$/);
      const notFound = await t.api().get(missing('verzoeken'));
      expect(notFound.status).to.equal(404);
      expect(notFound.body.code).to.equal('not_found');
      expect((await t.api().get('/api/v1/verzoeken/123')).status).to.equal(404);
    });
  });

  describe('verzoek_list', () => {
    it('lists every verzoek in creation order', async () => {
      expect((await t.api().get('/api/v1/verzoeken')).body).to.deep.equal([]);
      const a = await createVerzoek({ tekst: 'a' });
      const b = await createVerzoek({ tekst: 'b', bronorganisatie: OTHER_BRON });
      const c = await createVerzoek({ tekst: 'c' });
      const res = await t.api().get('/api/v1/verzoeken');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal([a, b, c]);
    });
  });

  describe('verzoek_update', () => {
    it('replaces the verzoek: omitted optional fields are cleared, identificatie and interactiedatum stay', async () => {
      const klant = await createKlant();
      const created = await createVerzoek({
        klant,
        externeIdentificatie: 'EXT-1',
        voorkeurskanaal: 'post',
        tekst: 'oud',
      });
      const res = await t.api().put(created['url'], { bronorganisatie: OTHER_BRON, status: 'in_behandeling' });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({
        url: created['url'],
        identificatie: 'VERZOEK-2024-0000000001',
        bronorganisatie: OTHER_BRON,
        externeIdentificatie: '',
        klant: null,
        interactiedatum: '2024-03-01T09:15:00Z',
        voorkeurskanaal: '',
        tekst: '',
        status: 'in_behandeling',
      });
      expect((await t.api().get(created['url'])).body).to.deep.equal(res.body);
    });

    it('still requires bronorganisatie and status', async () => {
      const created = await createVerzoek();
      const res = await t.api().put(created['url'], { tekst: 'x' });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.have.members(['bronorganisatie:required', 'status:required']);
      expect((await t.api().get(created['url'])).body).to.deep.equal(created);
    });

    it('refuses a different identificatie with wijzigen-niet-toegelaten, and keeps it for "" or the same value', async () => {
      const created = await createVerzoek();
      const res = await t.api().put(created['url'], { ...BASE, identificatie: 'ANDERS' });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        { name: 'identificatie', code: 'wijzigen-niet-toegelaten', reason: 'Dit veld mag niet gewijzigd worden.' },
      ]);
      const blank = await t.api().put(created['url'], { ...BASE, identificatie: '', tekst: 'leeg' });
      expect(blank.status).to.equal(200);
      expect(blank.body.identificatie).to.equal('VERZOEK-2024-0000000001');
      const same = await t
        .api()
        .put(created['url'], { ...BASE, identificatie: 'VERZOEK-2024-0000000001', tekst: 'zelfde' });
      expect(same.status).to.equal(200);
      expect(same.body.identificatie).to.equal('VERZOEK-2024-0000000001');
      expect(await t.db()('verzoeken').pluck('identificatie')).to.deep.equal(['VERZOEK-2024-0000000001']);
    });

    it('answers 404 for an unknown verzoek', async () => {
      expect((await t.api().put(missing('verzoeken'), BASE)).status).to.equal(404);
    });
  });

  describe('verzoek_partial_update', () => {
    it('changes only the given fields', async () => {
      const created = await createVerzoek({ tekst: 'oud', voorkeurskanaal: 'post' });
      const res = await t.api().patch(created['url'], { status: 'afgehandeld' });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ...created, status: 'afgehandeld' });
      expect((await t.db()('verzoeken').first()).status).to.equal('afgehandeld');
    });

    it('validates the fields it sends', async () => {
      const created = await createVerzoek();
      const res = await t.api().patch(created['url'], { status: 'weg', bronorganisatie: '12345678a' });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.include('status:invalid_choice');
      expect((await t.api().get(created['url'])).body).to.deep.equal(created);
    });

    it('refuses a different identificatie, and keeps it for ""', async () => {
      const created = await createVerzoek();
      const res = await t.api().patch(created['url'], { identificatie: 'ANDERS' });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.deep.equal(['identificatie:wijzigen-niet-toegelaten']);
      const blank = await t.api().patch(created['url'], { identificatie: '', tekst: 'nieuw' });
      expect(blank.status).to.equal(200);
      expect(blank.body).to.deep.equal({ ...created, tekst: 'nieuw' });
    });

    it('refuses a bronorganisatie change that would collide on identificatie (400, never 500)', async () => {
      const mine = await createVerzoek();
      await createVerzoek({ bronorganisatie: OTHER_BRON });
      expect(mine['identificatie']).to.equal('VERZOEK-2024-0000000001');
      const res = await t.api().patch(mine['url'], { bronorganisatie: OTHER_BRON });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        {
          name: 'identificatie',
          code: 'identificatie-niet-uniek',
          reason: 'Deze identificatie bestaat al binnen de organisatie',
        },
      ]);
      expect((await t.api().get(mine['url'])).body.bronorganisatie).to.equal('123456782');
      const put = await t.api().put(mine['url'], { bronorganisatie: OTHER_BRON, status: 'ontvangen' });
      expect(put.status).to.equal(400);
      expect(codes(put.body)).to.deep.equal(['identificatie:identificatie-niet-uniek']);
    });

    it('moves a verzoek to another bronorganisatie when its identificatie is free there', async () => {
      const mine = await createVerzoek({ identificatie: 'EIGEN-1' });
      const res = await t.api().patch(mine['url'], { bronorganisatie: OTHER_BRON });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ bronorganisatie: OTHER_BRON, identificatie: 'EIGEN-1' });
    });
  });

  describe('verzoek_delete', () => {
    it('deletes the verzoek and answers 404 afterwards', async () => {
      const created = await createVerzoek();
      const res = await t.api().delete(created['url']);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect((await t.api().get(created['url'])).status).to.equal(404);
      expect((await t.api().delete(created['url'])).status).to.equal(404);
      expect(await t.db()('verzoeken')).to.have.length(0);
    });

    it("removes the verzoek's relation rows with it, and only those", async () => {
      const cm = await t.api().post('/api/v1/contactmomenten', CM);
      expect(cm.status).to.equal(201);
      const doomed = await createVerzoek();
      const kept = await createVerzoek();
      const now = Date.now();
      for (const v of [doomed, kept]) {
        const verzoek = { verzoek_uuid: v['url'].split('/').pop(), created_at: now };
        await t
          .db()('objectverzoeken')
          .insert({
            ...verzoek,
            uuid: randomUUID(),
            object: 'https://zaken.example/api/v1/zaken/1',
            object_type: 'zaak',
          });
        await t
          .db()('verzoekinformatieobjecten')
          .insert({ ...verzoek, uuid: randomUUID(), informatieobject: 'https://drc.example/api/v1/eio/1' });
      }
      for (const v of [doomed, kept]) {
        expect(
          (await t.api().post('/api/v1/verzoekproducten', { verzoek: v['url'], productIdentificatie: { code: 'P1' } }))
            .status,
        ).to.equal(201);
        expect(
          (await t.api().post('/api/v1/verzoekcontactmomenten', { verzoek: v['url'], contactmoment: cm.body.url }))
            .status,
        ).to.equal(201);
      }
      expect((await t.api().delete(doomed['url'])).status).to.equal(204);
      const keptUuid = kept['url'].split('/').pop();
      for (const table of [
        'objectverzoeken',
        'verzoekproducten',
        'verzoekcontactmomenten',
        'verzoekinformatieobjecten',
      ]) {
        expect(await t.db()(table).pluck('verzoek_uuid'), table).to.deep.equal([keptUuid]);
      }
      expect((await t.api().get('/api/v1/verzoekcontactmomenten')).body).to.have.length(1);
      expect((await t.api().get(cm.body.url)).status).to.equal(200);
    });
  });
});
