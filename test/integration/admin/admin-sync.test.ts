import { expect } from 'chai';
import { AdminClient, addUsers, emptyAdmin, uuidOf } from '../../helpers/admin.js';
import { describeApi } from '../../helpers/app.js';
import { DrcTestDouble } from '../../helpers/drc-double.js';
import { until } from '../../helpers/until.js';

const drc = new DrcTestDouble();
before(async () => {
  await drc.start();
});
after(async () => {
  await drc.stop();
});

describeApi(
  'admin: documents of a verzoek and the sync page',
  (t) => {
    let verzoek: string;
    let editor: AdminClient;
    const settled = () =>
      until(
        'the outbox is settled',
        async () => (await t.db()('outbox').where({ state: 'pending' }).whereNull('last_error')).length === 0,
      );

    beforeEach(async () => {
      await t.started().sync!.stop();
      await t.db()('outbox').delete();
      await t.db()('remote_links').delete();
      drc.reset();
      drc.oioDown = false;
      drc.objectTypes = ['besluit', 'zaak', 'verzoek'];
      await t.started().sync!.start();
      await drc.register(t.db());
      await emptyAdmin(t.db());
      await addUsers(t.db(), { vera: 'viewer', eddy: 'editor' });
      verzoek = (await t.api().post('/api/v1/verzoeken', { bronorganisatie: '123456782', status: 'ontvangen' })).body
        .url;
      editor = new AdminClient(t.api().baseUrl);
      await editor.login('eddy');
    });

    const page = () => editor.get(`/admin/verzoeken/${uuidOf(verzoek)}`);
    const link = (n: number) =>
      editor.post(`/admin/verzoeken/${uuidOf(verzoek)}/documenten`, { informatieobject: drc.document(n) });

    it('links a document through the domain: the DRC gets the mirror and the page shows it delivered', async () => {
      expect((await link(1)).status).to.equal(303);
      const mirrors = drc.mirrorsOf(verzoek);
      expect(mirrors.map((m) => m.informatieobject)).to.deep.equal([drc.document(1)]);
      const html = (await page()).html;
      expect(html).to.include('state-delivered').and.include(mirrors[0]!.url);
      const relations = (await t.api().get(`/api/v1/verzoekinformatieobjecten?verzoek=${encodeURIComponent(verzoek)}`))
        .body;
      expect(relations.map((r: { informatieobject: string }) => r.informatieobject)).to.deep.equal([drc.document(1)]);
      expect(
        await t
          .db()('admin_audit')
          .where({ action: 'verzoekinformatieobject.create', username: 'eddy' })
          .orderBy('id', 'desc')
          .first(),
      ).to.be.an('object');

      // Unlinking removes the relation, and the outbox removes the mirror.
      const vio = uuidOf(relations[0].url);
      expect((await editor.post(`/admin/verzoeken/${uuidOf(verzoek)}/documenten/${vio}/ontkoppelen`)).status).to.equal(
        303,
      );
      expect((await t.api().get(`/api/v1/verzoekinformatieobjecten/${vio}`)).status).to.equal(404);
      await until('the mirror is gone', () => drc.mirrorsOf(verzoek).length === 0);
    });

    it('shows the API rule next to the field when the DRC refuses the relation, and keeps nothing', async () => {
      drc.objectTypes = ['besluit', 'zaak']; // a DRC 1.0 knows no verzoek
      const res = await link(2);
      expect(res.status).to.equal(400);
      expect(res.html).to.match(/class="problem" id="informatieobject-err">[^<]*Could not create remote relation/);
      expect(res.html).to.include(`value="${drc.document(2)}"`);
      expect((await t.db()('verzoekinformatieobjecten')).length).to.equal(0);
      const outside = await editor.post(`/admin/verzoeken/${uuidOf(verzoek)}/documenten`, {
        informatieobject: 'https://elsewhere.example/api/v1/enkelvoudiginformatieobjecten/1',
      });
      expect(outside.status).to.equal(400); // a document outside every registered service
    });

    it('shows a failing delivery with its error and next attempt, and a retry of that row delivers it', async () => {
      drc.oioDown = true;
      expect((await link(3)).status).to.equal(303);
      const detail = (await page()).html;
      expect(detail).to.include('state-failing').and.include('503').and.include('Volgende poging');
      const sync = await editor.get('/admin/sync');
      expect(sync.html).to.include(drc.document(3)).and.include('503');
      const id = /action="\/admin\/sync\/(\d+)\/opnieuw"/.exec(sync.html)![1]!;

      const viewer = new AdminClient(t.api().baseUrl);
      await viewer.login('vera');
      expect((await viewer.post(`/admin/sync/${id}/opnieuw`)).status).to.equal(403);

      drc.oioDown = false;
      expect((await editor.post(`/admin/sync/${id}/opnieuw`)).status).to.equal(303);
      await until('the DRC has the mirror', () => drc.mirrorsOf(verzoek).length === 1);
      await settled();
      expect((await page()).html).to.include('state-delivered');
      expect((await editor.get('/admin/sync')).html).to.include('Niets open');
    });

    it('retries every open delivery at once', async () => {
      drc.oioDown = true;
      await link(4);
      await link(5);
      drc.oioDown = false;
      expect((await editor.post('/admin/sync/alles-opnieuw')).status).to.equal(303);
      await until('both mirrors exist', () => drc.mirrorsOf(verzoek).length === 2);
    });

    it('reconciles one verzoek: a mirror missing in the DRC is queued again and delivered', async () => {
      await link(6);
      drc.oios.clear(); // lost in the DRC (a restore, a manual delete)
      await editor.get('/admin/sync');
      const res = await editor.post('/admin/sync/reconcile', { verzoek });
      expect(res.status).to.equal(200);
      expect(res.html).to.match(/Vergeleken met de DRC: 1 aan te maken en 0 te verwijderen/);
      await until('the mirror is back', () => drc.mirrorsOf(verzoek).length === 1);
      const unknown = await editor.post('/admin/sync/reconcile', { verzoek: 'nonsense' });
      expect(unknown.html).to.include('Geef de uuid of URL van een bestaand verzoek.');
    });
  },
  {},
  { sync: { retryMs: 600_000 } },
);
