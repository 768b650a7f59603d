import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Knex } from 'knex';
import { parseDatabaseUrl } from '../../../src/config.js';
import { createDb } from '../../../src/db/knex.js';
import * as outbox from '../../../src/db/outbox.js';
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

/** A verzoekinformatieobject row as an import inserts it with SQL (the trigger queues its create). */
const relationRow = (verzoek: string, document: number) => ({
  uuid: randomUUID(),
  verzoek_uuid: uuidOf(verzoek),
  informatieobject: drc.document(document),
  created_at: Date.now(),
});

/** A second knex instance on the same database, as psql/sqlite3/an import would be. */
function otherConnection(url: string): Knex {
  return createDb(parseDatabaseUrl(url), { poolMax: 1 });
}

describeApi(
  'kic-001: verzoekinformatieobjecten mirrored into the DRC',
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

    const outboxOf = async (aggregate: string) => t.db()('outbox').where({ aggregate_id: aggregate }).orderBy('id');

    describe('verzoekinformatieobject_create and _delete', () => {
      it('creates the objectinformatieobject (checked back by the DRC) before answering 201, and removes it after a 204', async () => {
        const created = await t
          .api()
          .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: drc.document(1) });
        expect(created.status).to.equal(201);
        expect(drc.mirrorsOf(verzoek).map((o) => [o.informatieobject, o.objectType])).to.deep.equal([
          [drc.document(1), 'verzoek'],
        ]);
        // The DRC read the verzoek and found the relation in kic before it accepted.
        expect(drc.callbacks.map((c) => [new URL(c.url).pathname, c.status])).to.deep.equal([
          [new URL(verzoek).pathname, 200],
          ['/api/v1/verzoekinformatieobjecten', 200],
        ]);
        const uuid = uuidOf(created.body.url);
        const [row] = await outboxOf(uuid);
        expect(row).to.include({ state: 'done', attempts: 1, result: drc.mirrorsOf(verzoek)[0]!.url });
        expect(await t.db()('remote_links').where({ aggregate_id: uuid }).first()).to.include({
          remote_url: drc.mirrorsOf(verzoek)[0]!.url,
        });

        drc.callbacks.length = 0;
        expect((await t.api().delete(created.body.url)).status).to.equal(204);
        await until('the mirror is deleted', () => drc.mirrorsOf(verzoek).length === 0);
        // The DRC asked again and found the relation gone before it deleted.
        expect(drc.callbacks.map((c) => new URL(c.url).pathname)).to.deep.equal(['/api/v1/verzoekinformatieobjecten']);
        expect(drc.created).to.have.length(1);
        await until('the delete is settled', async () => (await outboxOf(uuid)).every((r) => r.state === 'done'));
        expect(await t.db()('remote_links')).to.deep.equal([]);
      });

      it('mirrors several documents of one verzoek, each exactly once, and removes only the deleted one', async () => {
        const urls: string[] = [];
        for (const n of [1, 2, 3]) {
          const res = await t
            .api()
            .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: drc.document(n) });
          expect(res.status).to.equal(201);
          urls.push(res.body.url);
        }
        expect(
          drc
            .mirrorsOf(verzoek)
            .map((o) => o.informatieobject)
            .sort(),
        ).to.deep.equal([1, 2, 3].map((n) => drc.document(n)).sort());
        expect((await t.api().delete(urls[1]!)).status).to.equal(204);
        await until('the second mirror is deleted', () => drc.mirrorsOf(verzoek).length === 2);
        expect(
          drc
            .mirrorsOf(verzoek)
            .map((o) => o.informatieobject)
            .sort(),
        ).to.deep.equal([drc.document(1), drc.document(3)].sort());
        expect(drc.duplicates()).to.deep.equal([]);
      });

      it("answers 400 ValidatieFout with the DRC's reason and keeps no relation, here or in the DRC, when the DRC refuses objectType verzoek", async () => {
        drc.objectTypes = ['besluit', 'zaak'];
        const res = await t
          .api()
          .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: drc.document(2) });
        expect(res.status).to.equal(400);
        expect(res.body).to.include({ code: 'invalid', status: 400 });
        expect(res.body.invalidParams).to.have.length(1);
        expect(res.body.invalidParams[0]).to.include({ name: 'nonFieldErrors', code: 'invalid' });
        expect(res.body.invalidParams[0].reason)
          .to.include('objectType')
          .and.include('"verzoek" is een ongeldige keuze.');
        expect(await t.db()('verzoekinformatieobjecten')).to.have.length(0);
        expect(drc.oios.size).to.equal(0);
        expect(
          (await t.api().get(`/api/v1/verzoekinformatieobjecten?verzoek=${encodeURIComponent(verzoek)}`)).body,
        ).to.deep.equal([]);
        // The refusal was the client's answer: nothing is left for a person in `kic sync status`.
        await until(
          'the outbox is settled',
          async () => (await t.db()('outbox').whereNot({ state: 'done' })).length === 0,
        );
        expect(drc.oios.size).to.equal(0);
      });
    });

    describe('while the DRC is down or slow', () => {
      it('answers 201 when the objectinformatieobjecten endpoint is down, keeps retrying, and mirrors every relation exactly once when it returns', async () => {
        drc.oioDown = true; // documents stay readable: the create's own document check passes
        const uuids: string[] = [];
        for (const n of [1, 2]) {
          const res = await t
            .api()
            .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: drc.document(n) });
          expect(res.status).to.equal(201);
          uuids.push(uuidOf(res.body.url));
          const [row] = await outboxOf(uuidOf(res.body.url));
          expect(row.state).to.equal('pending');
          expect(row.attempts).to.be.at.least(1);
          expect(row.last_error).to.include('503');
        }
        expect(await t.db()('verzoekinformatieobjecten')).to.have.length(2);
        await until('the worker has retried', async () => (await outboxOf(uuids[0]!))[0].attempts >= 3);
        expect(drc.oios.size).to.equal(0);

        drc.oioDown = false;
        await until('both are mirrored', () => drc.mirrorsOf(verzoek).length === 2);
        await until(
          'the outbox is settled',
          async () => (await t.db()('outbox').whereNot({ state: 'done' })).length === 0,
        );
        expect(drc.created.sort()).to.deep.equal([1, 2].map((n) => `${verzoek} ${drc.document(n)}`).sort());
        for (const uuid of uuids) expect((await outboxOf(uuid))[0].last_error).to.equal(null);
      });

      it('answers 201 without waiting for a delivery that takes longer than KIC_SYNC_WAIT_MS, which then completes', async () => {
        const release = drc.hold();
        const res = await t
          .api()
          .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: drc.document(1) });
        expect(res.status).to.equal(201);
        const uuid = uuidOf(res.body.url);
        // Answered while the first attempt was still in flight: claimed, not settled.
        const [inFlight] = await outboxOf(uuid);
        expect(inFlight).to.include({ state: 'pending', attempts: 1, last_error: null });
        expect(inFlight.locked_by).to.be.a('string');
        expect(drc.oios.size).to.equal(0);

        release();
        await until('the mirror appears', () => drc.mirrorsOf(verzoek).length === 1);
        await until('the row is done', async () => (await outboxOf(uuid))[0].state === 'done');
        expect(drc.created).to.have.length(1);
      });
    });

    describe('relations changed outside the API', () => {
      it('mirrors a relation inserted with SQL from a separate connection, without any API call, and removes it when deleted there', async () => {
        const other = otherConnection(t.database().url);
        try {
          const row = relationRow(verzoek, 4);
          await other('verzoekinformatieobjecten').insert(row);
          await until('the SQL-made relation is mirrored', () => drc.mirrorsOf(verzoek).length === 1);
          expect(drc.mirrorsOf(verzoek)[0]!.informatieobject).to.equal(drc.document(4));

          await other('verzoekinformatieobjecten').where({ uuid: row.uuid }).delete();
          await until('its mirror is removed', () => drc.mirrorsOf(verzoek).length === 0);
          expect(drc.created).to.have.length(1);
        } finally {
          await other.destroy();
        }
      });

      it('moves the mirror when a relation is changed with an SQL UPDATE (the old one deleted, the new one created)', async () => {
        const res = await t
          .api()
          .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: drc.document(1) });
        const uuid = uuidOf(res.body.url);
        const other = otherConnection(t.database().url);
        try {
          await other('verzoekinformatieobjecten')
            .where({ uuid })
            .update({ informatieobject: drc.document(2) });
          await other('verzoekinformatieobjecten').where({ uuid }).update({ created_at: 1 }); // not a change of the relation
        } finally {
          await other.destroy();
        }
        await until(
          'the mirror follows the change',
          () =>
            drc
              .mirrorsOf(verzoek)
              .map((o) => o.informatieobject)
              .join() === drc.document(2),
        );
        await until(
          'the outbox is settled',
          async () => (await t.db()('outbox').whereNot({ state: 'done' })).length === 0,
        );
        expect((await outboxOf(uuid)).map((r) => r.event)).to.deep.equal([
          'verzoekinformatieobject.created',
          'verzoekinformatieobject.deleted',
          'verzoekinformatieobject.created',
        ]);
        expect(drc.created).to.deep.equal([`${verzoek} ${drc.document(1)}`, `${verzoek} ${drc.document(2)}`]);
      });

      it('removes the mirrors of every relation of a verzoek that is deleted (the cascade fires the trigger)', async () => {
        const second = (await t.api().post('/api/v1/verzoeken', VERZOEK)).body.url;
        for (const [v, n] of [
          [verzoek, 1],
          [verzoek, 2],
          [second, 3],
        ] as const) {
          expect(
            (await t.api().post('/api/v1/verzoekinformatieobjecten', { verzoek: v, informatieobject: drc.document(n) }))
              .status,
          ).to.equal(201);
        }
        expect(drc.oios.size).to.equal(3);

        expect((await t.api().delete(verzoek)).status).to.equal(204);
        await until('the deleted verzoek has no mirrors', () => drc.mirrorsOf(verzoek).length === 0);
        expect(drc.mirrorsOf(second).map((o) => o.informatieobject)).to.deep.equal([drc.document(3)]);
        const deletes = await t.db()('outbox').where({ event: 'verzoekinformatieobject.deleted' });
        expect(deletes).to.have.length(2);
        await until(
          'the deletes are settled',
          async () => (await t.db()('outbox').whereNot({ state: 'done' })).length === 0,
        );
      });
    });
  },
  { KIC_SYNC_WAIT_MS: '1000' },
  { sync: true },
);

// With a poll interval far beyond the test's deadline, only the commit itself can wake the worker:
// on PostgreSQL the trigger's pg_notify('kic_outbox'), on SQLite the write to the WAL file (the
// worker set up as `kic worker` sets it up).
describeApi(
  "kic-001: the outbox worker is woken by another process's commit",
  (t) => {
    beforeEach(async () => {
      drc.reset();
      await drc.register(t.db());
    });
    const newVerzoek = async (): Promise<string> => (await t.api().post('/api/v1/verzoeken', VERZOEK)).body.url;

    it('mirrors a relation committed by another connection at once, long before the next poll, and its delete too', async () => {
      const verzoek = await newVerzoek();
      const other = otherConnection(t.database().url);
      try {
        const row = relationRow(verzoek, 7);
        await other('verzoekinformatieobjecten').insert(row);
        await until('the relation is mirrored', () => drc.mirrorsOf(verzoek).length === 1);
        await other('verzoekinformatieobjecten').where({ uuid: row.uuid }).delete();
        await until('the mirror is removed', () => drc.mirrorsOf(verzoek).length === 0);
      } finally {
        await other.destroy();
      }
    });

    it('delivers a refused relation at once when an operator retries it from another process (kic sync retry)', async () => {
      const verzoek = await newVerzoek();
      const other = otherConnection(t.database().url);
      try {
        drc.objectTypes = ['zaak', 'besluit']; // a DRC 1.0: refuses objectType verzoek
        const row = relationRow(verzoek, 8);
        await other('verzoekinformatieobjecten').insert(row);
        const state = async () =>
          ((await other('outbox').where({ aggregate_id: row.uuid }).first('state')) as { state: string }).state;
        await until('the refusal is recorded', async () => (await state()) === 'failed');
        drc.objectTypes = ['zaak', 'besluit', 'verzoek']; // upgraded
        expect(await outbox.retryNow(other, Date.now())).to.equal(1);
        await until('the retried relation is mirrored', () => drc.mirrorsOf(verzoek).length === 1);
        // The row is settled a moment after the DRC's answer (settlements share a commit).
        await until('the retried row is done', async () => (await state()) === 'done');
      } finally {
        await other.destroy();
      }
    });

    it('probes a DRC that is down a few times a second, not at every commit, and delivers everything when it is back', async function () {
      this.timeout(20_000);
      const verzoek = await newVerzoek();
      const other = otherConnection(t.database().url);
      try {
        drc.down = true;
        const insert = (n: number) => other('verzoekinformatieobjecten').insert(relationRow(verzoek, n));
        await insert(11);
        await until('the first attempt has failed and paused the DRC', () => t.started().sync!.worker.isPaused('drc'));
        // 19 more commits, each waking the worker, in the second after the DRC went down. Each
        // failed attempt's own settle is a commit too, and a probe would take the next due row.
        const started = Date.now();
        for (let n = 12; n <= 30; n++) await insert(n);
        await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() - started)));
        // The first attempt, then probes 100, 300 and 700 ms after it: not one per wake-up.
        expect(drc.oioCalls('POST'), 'attempts while down').to.be.within(2, 5);
        drc.down = false;
        await until('all 20 are mirrored once the DRC is back', () => drc.mirrorsOf(verzoek).length === 20, 10_000);
      } finally {
        drc.down = false;
        await other.destroy();
      }
    });

    // SQLite has no connection to lose: its watch is on the file.
    if (t.dialect === 'pg')
      it('listens again after its LISTEN connection was cut, and delivers what was queued meanwhile', async function () {
        this.timeout(20_000);
        const verzoek = await newVerzoek();
        const other = otherConnection(t.database().url);
        const listeners = async () =>
          (
            (await other.raw(
              `select pid from pg_stat_activity where datname = current_database() and query like 'LISTEN %' and pid <> pg_backend_pid()`,
            )) as { rows: { pid: number }[] }
          ).rows.map((r) => r.pid);
        try {
          const [cut] = await listeners();
          expect(cut, 'kic listens').to.be.a('number');
          await other.raw('select pg_terminate_backend(?)', [cut!]);
          await other('verzoekinformatieobjecten').insert(relationRow(verzoek, 9));
          await until(
            'the relation queued while kic did not listen is mirrored',
            () => drc.mirrorsOf(verzoek).length === 1,
            10_000,
          );
          const again = await listeners();
          expect(again).to.have.length(1);
          expect(again[0]).to.not.equal(cut);
        } finally {
          await other.destroy();
        }
      });
  },
  { KIC_SYNC_POLL_MS: '600000' },
  { sync: { retryMs: 2_000, wakeOnCommits: true } },
);
