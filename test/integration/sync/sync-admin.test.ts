import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import * as outbox from '../../../src/db/outbox.js';
import * as services from '../../../src/db/services.js';
import { RemoteHttp } from '../../../src/remote/http.js';
import { ServiceRegistry } from '../../../src/remote/services.js';
import { reconcile } from '../../../src/sync/reconcile.js';
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

const uuidOf = (url: string) => url.split('/').pop()!;
const VERZOEK = { bronorganisatie: '123456782', status: 'ontvangen' };

// What `kic sync status|retry|reconcile` do, through the functions they call.
describeApi(
  'kic-001: kic sync status, retry and reconcile',
  (t) => {
    let verzoek: string;
    beforeEach(async () => {
      // A delivery of the previous test may still be in flight: let it settle, then start clean.
      await t.started().sync!.stop();
      await t.db()('outbox').delete();
      await t.db()('remote_links').delete();
      drc.reset();
      await t.started().sync!.start();
      await drc.register(t.db());
      verzoek = (await t.api().post('/api/v1/verzoeken', VERZOEK)).body.url;
    });

    const settled = () =>
      until('the outbox is settled', async () => (await t.db()('outbox').whereIn('state', ['pending'])).length === 0);
    const link = async (n: number) => {
      const res = await t
        .api()
        .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: drc.document(n) });
      expect(res.status).to.equal(201);
      return res.body.url as string;
    };
    /** A relation made outside the API (no client waits for it, so a refusal stays in the outbox). */
    const insertRelation = async (n: number) => {
      const uuid = randomUUID();
      await t
        .db()('verzoekinformatieobjecten')
        .insert({ uuid, verzoek_uuid: uuidOf(verzoek), informatieobject: drc.document(n), created_at: Date.now() });
      return uuid;
    };
    const remoteHttp = () => new RemoteHttp(new ServiceRegistry(() => services.list(t.db()), 0), 5_000);
    const verzoekUrl = (uuid: string) => t.api().url(`/api/v1/verzoeken/${uuid}`);

    describe('status (summary, listOpen)', () => {
      it('is empty when everything is delivered', async () => {
        await link(1);
        expect(await outbox.summary(t.db())).to.deep.equal({ pending: 0, failed: 0, oldestOpenCreatedAt: null });
        expect(await outbox.listOpen(t.db())).to.deep.equal([]);
      });

      it('counts waiting deliveries with their last error and the age of the oldest', async () => {
        drc.oioDown = true;
        const before = Date.now();
        const first = uuidOf(await link(1));
        await link(2);
        const s = await outbox.summary(t.db());
        expect(s).to.include({ pending: 2, failed: 0 });
        expect(s.oldestOpenCreatedAt).to.be.within(before - 1_000, Date.now());
        const open = await outbox.listOpen(t.db());
        expect(open.map((r) => [r.aggregate_id, r.state])[0]).to.deep.equal([first, 'pending']);
        for (const r of open) expect(r.last_error).to.include('503');
      });

      it('keeps a refused delivery listed as failed until a retry after the cause is fixed delivers it', async () => {
        drc.objectTypes = ['besluit', 'zaak'];
        const uuid = await insertRelation(5);
        await until('the refusal is recorded', async () => (await outbox.summary(t.db())).failed === 1);
        const [failed] = await outbox.listOpen(t.db());
        expect(failed).to.include({ aggregate_id: uuid, state: 'failed' });
        expect(failed!.last_error).to.include('HTTP 400').and.include('ongeldige keuze');
        expect(await t.db()('verzoekinformatieobjecten').where({ uuid })).to.have.length(1); // kept: a person decides

        drc.objectTypes = ['besluit', 'zaak', 'verzoek']; // the DRC was upgraded
        expect(await outbox.retryNow(t.db(), Date.now(), failed!.id)).to.equal(1);
        t.started().sync!.worker.nudge();
        await until('it is mirrored', () => drc.mirrorsOf(verzoek).length === 1);
        await settled();
        expect(await outbox.summary(t.db())).to.include({ pending: 0, failed: 0 });
        expect((await outbox.find(t.db(), failed!.id))!.attempts).to.equal(2);
      });
    });

    describe('retry (retryNow)', () => {
      it('makes every waiting and failed delivery due now, and only the one asked for with an id', async () => {
        drc.oioDown = true;
        await link(1);
        await link(2);
        const [a, b] = await outbox.listOpen(t.db());
        await until('both wait for a later retry', async () => {
          const rows = await outbox.listOpen(t.db());
          return rows.every((r) => r.locked_by === null && Number(r.available_at) > Date.now());
        });
        await t.started().sync!.stop(); // hold the worker so the rows stay as retryNow leaves them
        try {
          const now = Date.now();
          expect(await outbox.retryNow(t.db(), now, b!.id)).to.equal(1);
          expect(Number((await outbox.find(t.db(), b!.id))!.available_at)).to.equal(now);
          expect(Number((await outbox.find(t.db(), a!.id))!.available_at)).to.be.greaterThan(now);
          expect(await outbox.retryNow(t.db(), now)).to.equal(2);
          expect(await outbox.retryNow(t.db(), now, 999_999)).to.equal(0);
        } finally {
          await t.started().sync!.start();
        }
      });

      it('leaves a delivery that is in flight alone, so it is never delivered twice at once', async () => {
        const release = drc.hold();
        const url = await link(1); // answered after KIC_SYNC_WAIT_MS with the delivery still in flight
        const [row] = await outbox.listOpen(t.db());
        expect(row!.locked_by).to.be.a('string');
        expect(await outbox.retryNow(t.db(), Date.now())).to.equal(0);
        expect((await outbox.find(t.db(), row!.id))!.locked_by).to.equal(row!.locked_by);

        release();
        await until('it is mirrored', () => drc.mirrorsOf(verzoek).length === 1);
        await settled();
        expect(drc.created).to.deep.equal([`${verzoek} ${drc.document(1)}`]);
        expect((await outbox.find(t.db(), row!.id))!.attempts).to.equal(1);
        expect(uuidOf(url)).to.equal(row!.aggregate_id);
      });
    });

    describe('reconcile', () => {
      it('queues nothing when the DRC matches', async () => {
        await link(1);
        await link(2);
        const report = await reconcile(t.db(), remoteHttp(), { verzoekUrl });
        expect(report).to.deep.equal({ verzoeken: 1, queuedCreates: 0, queuedDeletes: 0, errors: [] });
      });

      it('queues a create for a mirror the DRC lost, and the worker makes it again', async () => {
        await link(1);
        await link(2);
        const lost = drc.mirrorsOf(verzoek).find((o) => o.informatieobject === drc.document(2))!;
        drc.oios.delete(lost.uuid);

        const report = await reconcile(t.db(), remoteHttp(), { verzoekUrl });
        expect(report).to.include({ verzoeken: 1, queuedCreates: 1, queuedDeletes: 0 });
        t.started().sync!.worker.nudge();
        await until('the lost mirror is back', () => drc.mirrorsOf(verzoek).length === 2);
        await settled();
        expect(
          drc
            .mirrorsOf(verzoek)
            .map((o) => o.informatieobject)
            .sort(),
        ).to.deep.equal([drc.document(1), drc.document(2)].sort());
        expect(await outbox.summary(t.db())).to.include({ pending: 0, failed: 0 });
      });

      it('queues a delete for a stray objectinformatieobject kic has no relation for, and the worker removes it', async () => {
        await link(1);
        const stray = drc.stray(verzoek, drc.document(9));

        const report = await reconcile(t.db(), remoteHttp(), { verzoekUrl });
        expect(report).to.include({ verzoeken: 1, queuedCreates: 0, queuedDeletes: 1 });
        t.started().sync!.worker.nudge();
        await until('the stray mirror is gone', () => !drc.oios.has(stray.uuid));
        await settled();
        expect(drc.mirrorsOf(verzoek).map((o) => o.informatieobject)).to.deep.equal([drc.document(1)]);
        expect(await outbox.summary(t.db())).to.include({ pending: 0, failed: 0 });
      });

      it('compares only the verzoek asked for, also one without any relation left', async () => {
        await link(1);
        const other = (await t.api().post('/api/v1/verzoeken', VERZOEK)).body.url;
        drc.stray(other, drc.document(8)); // e.g. a delete that was lost
        drc.stray(verzoek, drc.document(9));
        const report = await reconcile(t.db(), remoteHttp(), { verzoekUrl, verzoek: uuidOf(other) });
        expect(report).to.deep.equal({ verzoeken: 1, queuedCreates: 0, queuedDeletes: 1, errors: [] });
        const queued = await t.db()('outbox').where({ event: 'verzoekinformatieobject.deleted' });
        expect(queued.map((q) => JSON.parse(q.payload))).to.deep.equal([
          { uuid: queued[0].aggregate_id, verzoek: uuidOf(other), informatieobject: drc.document(8) },
        ]);
        await until('the stray of the other verzoek is removed', () => drc.mirrorsOf(other).length === 0);
        expect(
          drc
            .mirrorsOf(verzoek)
            .map((o) => o.informatieobject)
            .sort(),
        ).to.deep.equal([drc.document(1), drc.document(9)].sort());
      });

      it('reports a DRC it cannot ask, and queues nothing for it', async () => {
        await link(1);
        drc.oioDown = true;
        const report = await reconcile(t.db(), remoteHttp(), { verzoekUrl });
        expect(report.queuedCreates + report.queuedDeletes).to.equal(0);
        expect(report.errors).to.deep.equal([`${drc.apiRoot}: it answered HTTP 503`]);
      });
    });
  },
  { KIC_SYNC_WAIT_MS: '1000' },
  { sync: true },
);
