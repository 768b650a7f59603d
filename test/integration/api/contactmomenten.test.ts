import { expect } from 'chai';
import { describeApi } from '../../helpers/app.js';

const BASE = {
  bronorganisatie: '123456782',
  kanaal: 'telefoon',
  tekst: 'Vraag over de afvalkalender',
  medewerker: 'https://medewerkers.example/api/v1/medewerkers/1',
};

describeApi('contactmomenten', (t) => {
  describe('contactmoment_create', () => {
    it('stores a contactmoment and answers 201 with Location and every property', async () => {
      const res = await t.api().post('/api/v1/contactmomenten', { ...BASE, interactiedatum: '2024-03-01T10:15:00+01:00' });
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
      expect(res.body.invalidParams).to.deep.include({ name: 'bronorganisatie', code: 'invalid', reason: res.body.invalidParams[0].reason });
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
});
