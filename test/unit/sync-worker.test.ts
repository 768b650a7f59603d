import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import type { Knex } from 'knex';
import { HttpResponse, delay, http } from 'msw';
import { setupServer } from 'msw/node';
import * as outbox from '../../src/db/outbox.js';
import { createLogger } from '../../src/logger.js';
import { RemoteHttp } from '../../src/remote/http.js';
import { ServiceRegistry, type Service } from '../../src/remote/services.js';
import { DrcDestination } from '../../src/sync/drc.js';
import { OutboxWorker } from '../../src/sync/worker.js';
import { freshDatabase, type TestDatabase } from '../helpers/databases.js';

const DRC_ROOT = 'https://drc.example/api/v1/';
const OIOS = `${DRC_ROOT}objectinformatieobjecten`;
const DRC: Service = {
  apiRoot: DRC_ROOT,
  label: 'DRC',
  clientId: 'kic-at-drc',
  secret: 'drc-secret',
  userId: '',
  userRepresentation: '',
};
const verzoekUrl = (uuid: string) => `https://kic.example/api/v1/verzoeken/${uuid}`;
const document = (n: number) => `${DRC_ROOT}enkelvoudiginformatieobjecten/${n}`;

interface Oio {
  url: string;
  object: string;
  informatieobject: string;
  objectType: string;
}

const server = setupServer();

// msw patches Node's HTTP modules while it listens: everything runs inside this one describe.
describe('OutboxWorker + DrcDestination (claim, deliver, settle, back off) on an SQLite file', () => {
  let database: TestDatabase;
  let db: Knex;
  /** The DRC's objectinformatieobjecten, by URL. */
  let oios: Map<string, Oio>;
  /** Every request msw saw, as "METHOD url". */
  let calls: string[];
  let posted: { body: unknown; authorization: string | null }[];

  before(() => server.listen({ onUnhandledRequest: 'error' }));
  after(() => server.close());
  beforeEach(async () => {
    database = await freshDatabase('sqlite');
    db = database.db;
    oios = new Map();
    calls = [];
    posted = [];
    server.events.on('request:start', ({ request }) => void calls.push(`${request.method} ${request.url}`));
    // A well-behaved DRC; tests override single endpoints with server.use().
    server.use(
      http.get(OIOS, ({ request }) => {
        const q = new URL(request.url).searchParams;
        return HttpResponse.json(
          [...oios.values()].filter(
            (o) =>
              (!q.get('object') || o.object === q.get('object')) &&
              (!q.get('informatieobject') || o.informatieobject === q.get('informatieobject')),
          ),
        );
      }),
      http.post(OIOS, async ({ request }) => {
        const body = (await request.json()) as Omit<Oio, 'url'>;
        posted.push({ body, authorization: request.headers.get('authorization') });
        const oio = { url: `${OIOS}/${randomUUID()}`, ...body };
        oios.set(oio.url, oio);
        return HttpResponse.json(oio, { status: 201 });
      }),
      http.delete(`${OIOS}/:id`, ({ request }) =>
        oios.delete(request.url)
          ? new HttpResponse(null, { status: 204 })
          : HttpResponse.json({ code: 'not_found' }, { status: 404 }),
      ),
    );
  });
  afterEach(async () => {
    server.resetHandlers();
    server.events.removeAllListeners();
    await database.drop();
  });

  function worker(
    o: {
      backoff?: (attempts: number) => number;
      leaseMs?: number;
      timeoutMs?: number;
      batchSize?: number;
      concurrency?: number;
      probeDelay?: (k: number) => number;
    } = {},
  ): OutboxWorker {
    const remote = new RemoteHttp(new ServiceRegistry(async () => [DRC]), o.timeoutMs ?? 2_000);
    return new OutboxWorker({
      db,
      log: createLogger('silent'),
      destinations: [new DrcDestination(db, remote, verzoekUrl)],
      pollMs: 60_000,
      backoff: o.backoff ?? ((attempts) => attempts * 10_000),
      ...(o.leaseMs ? { leaseMs: o.leaseMs } : {}),
      ...(o.batchSize ? { batchSize: o.batchSize } : {}),
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      // Unless a test looks at the probes' timing: every round may probe a paused destination.
      probeDelay: o.probeDelay ?? (() => 0),
    });
  }

  let counter = 0;
  /** A verzoek with one verzoekinformatieobject, inserted with SQL (the trigger queues the create). */
  async function relation(
    doc = 1,
  ): Promise<{ uuid: string; verzoek: string; object: string; informatieobject: string }> {
    const verzoek = randomUUID();
    const now = Date.now();
    await db('verzoeken').insert({
      uuid: verzoek,
      identificatie: `VERZOEK-${++counter}`,
      bronorganisatie: '123456782',
      interactiedatum: '2020-01-01T00:00:00Z',
      status: 'ontvangen',
      created_at: now,
      updated_at: now,
    });
    const uuid = randomUUID();
    await db('verzoekinformatieobjecten').insert({
      uuid,
      verzoek_uuid: verzoek,
      informatieobject: document(doc),
      created_at: now,
    });
    return { uuid, verzoek, object: verzoekUrl(verzoek), informatieobject: document(doc) };
  }

  const rowsOf = async (aggregate: string) =>
    (await db('outbox').where({ aggregate_id: aggregate }).orderBy('id')) as outbox.OutboxRow[];
  const linkOf = async (aggregate: string) =>
    (await db('remote_links').where({ destination: 'drc', aggregate_id: aggregate }).first()) as
      { remote_url: string } | undefined;

  describe('create', () => {
    it('POSTs the objectinformatieobject once with a JWT for the DRC and records its URL', async () => {
      const r = await relation();
      expect(await worker().runOnce()).to.equal(1);

      expect(posted).to.have.length(1);
      expect(posted[0]!.body).to.deep.equal({
        informatieobject: r.informatieobject,
        object: r.object,
        objectType: 'verzoek',
      });
      expect(decodeJwt(posted[0]!.authorization!.replace(/^Bearer /, ''))).to.include({ client_id: 'kic-at-drc' });
      const [oio] = [...oios.values()];
      expect((await linkOf(r.uuid))?.remote_url).to.equal(oio!.url);
      const [row] = await rowsOf(r.uuid);
      expect(row).to.include({ state: 'done', attempts: 1, result: oio!.url, last_error: null, locked_by: null });
      // A first attempt cannot have POSTed before: it creates at once (a retry looks for the pair first).
      expect(calls).to.deep.equal([`POST ${OIOS}`]);
      expect(await worker().runOnce(), 'nothing left to claim').to.equal(0);
    });

    it('after a POST whose answer was lost, the retry finds the pair by GET and does not POST again', async () => {
      const r = await relation();
      server.use(
        http.post(
          OIOS,
          async ({ request }) => {
            const body = (await request.json()) as Omit<Oio, 'url'>;
            posted.push({ body, authorization: request.headers.get('authorization') });
            oios.set(`${OIOS}/lost`, { url: `${OIOS}/lost`, ...body }); // the DRC made it ...
            return HttpResponse.error(); // ... but the connection broke before we heard
          },
          { once: true },
        ),
      );
      const w = worker({ backoff: () => 0 });
      await w.runOnce();
      const [failed] = await rowsOf(r.uuid);
      expect(failed).to.include({ state: 'pending', attempts: 1 });
      expect(failed!.last_error).to.include(`POST ${OIOS}`);
      expect(await linkOf(r.uuid)).to.equal(undefined);

      expect(await w.runOnce()).to.equal(1);
      expect(posted, 'POSTs').to.have.length(1);
      expect(oios.size).to.equal(1);
      expect((await linkOf(r.uuid))?.remote_url).to.equal(`${OIOS}/lost`);
      expect((await rowsOf(r.uuid))[0]).to.include({ state: 'done', attempts: 2, result: `${OIOS}/lost` });
    });

    it('takes over a row claimed by a worker that died between its POST and recording the URL, once the lease has run out', async () => {
      const r = await relation();
      // The dead worker claimed the row and its POST reached the DRC; then it was killed.
      const claimed = await outbox.claimBatch(db, { ticket: 'dead-worker', now: Date.now(), leaseMs: 300, limit: 10 });
      expect(claimed.map((c) => c.aggregate_id)).to.deep.equal([r.uuid]);
      oios.set(`${OIOS}/made-before-the-crash`, {
        url: `${OIOS}/made-before-the-crash`,
        object: r.object,
        informatieobject: r.informatieobject,
        objectType: 'verzoek',
      });

      const w = worker();
      expect(await w.runOnce(), 'a live lease is respected').to.equal(0);
      expect(calls).to.deep.equal([]);

      const until = Number(claimed[0]!.locked_until);
      while (Date.now() <= until) await sleep(20); // the lease runs out
      expect(await w.runOnce()).to.equal(1);
      expect(posted, 'POSTs').to.have.length(0);
      expect(oios.size).to.equal(1);
      expect((await linkOf(r.uuid))?.remote_url).to.equal(`${OIOS}/made-before-the-crash`);
      expect((await rowsOf(r.uuid))[0]).to.include({ state: 'done', attempts: 2, locked_by: null });
      // The dead worker's late settlement (if it ever came back) changes nothing.
      expect(
        await outbox.markFailed(db, claimed[0]!.id, 'dead-worker', { error: 'late', permanent: true, retryAt: 0 }),
      ).to.equal(false);
      expect((await rowsOf(r.uuid))[0]).to.include({ state: 'done' });
    });

    it('on a 5xx keeps the row pending, counts the attempt and pushes available_at out by the backoff, growing per attempt', async () => {
      const r = await relation();
      server.use(http.post(OIOS, () => HttpResponse.json({ detail: 'database unavailable' }, { status: 503 })));
      const w = worker({ backoff: (attempts) => attempts * 10_000 });

      let before = Date.now();
      await w.runOnce();
      let [row] = await rowsOf(r.uuid);
      expect(row).to.include({ state: 'pending', attempts: 1, locked_by: null, locked_until: null });
      expect(row!.last_error).to.include('503').and.include('database unavailable');
      expect(Number(row!.available_at)).to.be.within(before + 10_000, Date.now() + 10_000);
      expect(await w.runOnce(), 'not due before available_at').to.equal(0);

      await outbox.retryNow(db, Date.now(), row!.id);
      before = Date.now();
      await w.runOnce();
      [row] = await rowsOf(r.uuid);
      expect(row).to.include({ state: 'pending', attempts: 2 });
      expect(Number(row!.available_at)).to.be.within(before + 20_000, Date.now() + 20_000);
      expect(await linkOf(r.uuid)).to.equal(undefined);
      expect(oios.size).to.equal(0);
    });

    it('on a timeout keeps the row pending with the timeout as last_error', async () => {
      const r = await relation();
      server.use(
        http.post(OIOS, async () => {
          await delay('infinite');
          return new HttpResponse(null, { status: 201 });
        }),
      );
      await worker({ timeoutMs: 200 }).runOnce();
      const [row] = await rowsOf(r.uuid);
      expect(row).to.include({ state: 'pending', attempts: 1, locked_by: null });
      expect(row!.last_error).to.match(/timed? ?out|ETIMEDOUT/i);
      expect(Number(row!.available_at)).to.be.greaterThan(Date.now());
    });

    it("on a 4xx marks the row failed with the DRC's answer, and never claims it again by itself", async () => {
      const r = await relation();
      const refusal = {
        status: 400,
        invalidParams: [{ name: 'objectType', code: 'invalid_choice', reason: '"verzoek" is een ongeldige keuze.' }],
      };
      server.use(http.post(OIOS, () => HttpResponse.json(refusal, { status: 400 })));
      const w = worker({ backoff: () => 0 });
      await w.runOnce();
      const [row] = await rowsOf(r.uuid);
      expect(row).to.include({ state: 'failed', attempts: 1, locked_by: null });
      expect(row!.last_error).to.include('HTTP 400').and.include('ongeldige keuze');
      expect(JSON.parse(row!.result!)).to.deep.equal(refusal);
      expect(await w.runOnce()).to.equal(0);
      expect(await outbox.summary(db)).to.include({ pending: 0, failed: 1 });
    });

    it('fails permanently, without any request, for a document whose DRC is not a registered service', async () => {
      const verzoek = (await relation()).verzoek;
      const uuid = randomUUID();
      await db('verzoekinformatieobjecten').insert({
        uuid,
        verzoek_uuid: verzoek,
        informatieobject: 'https://unknown.example/documenten/1',
        created_at: Date.now(),
      });
      calls = [];
      await worker().runOnce();
      const [row] = await rowsOf(uuid);
      expect(row).to.include({ state: 'failed' });
      expect(row!.last_error).to.include('no service registered');
      expect(calls.filter((c) => c.includes('unknown.example'))).to.deep.equal([]);
    });
  });

  describe('delete', () => {
    it('DELETEs the stored URL, without looking the pair up, and forgets the link', async () => {
      const r = await relation();
      const w = worker();
      await w.runOnce();
      const url = (await linkOf(r.uuid))!.remote_url;
      calls = [];

      await db('verzoekinformatieobjecten').where({ uuid: r.uuid }).delete();
      expect(await w.runOnce()).to.equal(1);
      expect(calls).to.deep.equal([`DELETE ${url}`]);
      expect(oios.size).to.equal(0);
      expect(await linkOf(r.uuid)).to.equal(undefined);
      const rows = await rowsOf(r.uuid);
      expect(rows.map((x) => [x.event, x.state])).to.deep.equal([
        ['verzoekinformatieobject.created', 'done'],
        ['verzoekinformatieobject.deleted', 'done'],
      ]);
    });

    it('without a stored link looks the mirror up by object and informatieobject and DELETEs what it finds', async () => {
      const r = await relation();
      // Mirrored before links were kept (or the link was lost): the create is settled, the DRC has it.
      await db('outbox').where({ aggregate_id: r.uuid }).update({ state: 'done' });
      const url = `${OIOS}/older`;
      oios.set(url, { url, object: r.object, informatieobject: r.informatieobject, objectType: 'verzoek' });

      await db('verzoekinformatieobjecten').where({ uuid: r.uuid }).delete();
      await worker().runOnce();
      expect(calls).to.deep.equal([
        `GET ${OIOS}?object=${encodeURIComponent(r.object)}&informatieobject=${encodeURIComponent(r.informatieobject)}`,
        `DELETE ${url}`,
      ]);
      expect(oios.size).to.equal(0);
      expect((await rowsOf(r.uuid))[1]).to.include({ event: 'verzoekinformatieobject.deleted', state: 'done' });
    });

    it('settles a delete whose mirror is already gone (404) as done', async () => {
      const r = await relation();
      const w = worker();
      await w.runOnce();
      oios.clear(); // someone removed it in the DRC
      await db('verzoekinformatieobjecten').where({ uuid: r.uuid }).delete();
      await w.runOnce();
      expect((await rowsOf(r.uuid))[1]).to.include({ state: 'done' });
      expect(await linkOf(r.uuid)).to.equal(undefined);
    });

    it('applies a create and a delete of one relation in order: the delete is not claimed while the create is pending', async () => {
      const r = await relation();
      server.use(http.post(OIOS, () => HttpResponse.json({}, { status: 502 }), { once: true }));
      const w = worker();
      await w.runOnce(); // the create fails and waits for its retry
      await db('verzoekinformatieobjecten').where({ uuid: r.uuid }).delete();
      calls = [];

      expect(await w.runOnce(), 'the delete waits behind the pending create').to.equal(0);
      const [create, remove] = await rowsOf(r.uuid);
      expect(remove).to.include({ event: 'verzoekinformatieobject.deleted', state: 'pending', attempts: 0 });
      const peek = await outbox.claimBatch(db, {
        ticket: 'probe',
        now: Date.now() + 60 * 60_000,
        leaseMs: 1,
        limit: 10,
      });
      expect(
        peek.map((p) => p.id),
        'only the create is claimable, even when both are due',
      ).to.deep.equal([create!.id]);
      await db('outbox').where({ id: create!.id }).update({ locked_by: null, locked_until: null, attempts: 1 });

      await outbox.retryNow(db, Date.now(), create!.id);
      expect(await w.runOnce()).to.equal(1); // the create: the relation is gone, nothing to create
      expect((await rowsOf(r.uuid)).map((x) => x.state)).to.deep.equal(['done', 'pending']);
      expect(await w.runOnce()).to.equal(1); // then the delete: nothing to delete
      expect((await rowsOf(r.uuid)).map((x) => x.state)).to.deep.equal(['done', 'done']);
      expect(posted).to.have.length(0);
      expect(oios.size).to.equal(0);
    });

    it('when the pair was made again under a new uuid, the old delete keeps the mirror for the new relation', async () => {
      const r = await relation();
      const w = worker();
      await w.runOnce();
      const url = (await linkOf(r.uuid))!.remote_url;
      await db('verzoekinformatieobjecten').where({ uuid: r.uuid }).delete();
      const again = randomUUID();
      await db('verzoekinformatieobjecten').insert({
        uuid: again,
        verzoek_uuid: r.verzoek,
        informatieobject: r.informatieobject,
        created_at: Date.now(),
      });

      await w.runOnce();
      await w.runOnce();
      expect([...oios.keys()]).to.deep.equal([url]);
      expect(posted).to.have.length(1);
      expect(calls.filter((c) => c.startsWith('DELETE'))).to.deep.equal([]);
      expect((await linkOf(again))?.remote_url).to.equal(url);
      expect(await outbox.summary(db)).to.include({ pending: 0, failed: 0 });
    });
  });

  describe('leases', () => {
    it('renews the lease of each row when it starts on it, so a long batch is not taken over by another worker', async () => {
      const leaseMs = 400;
      const first = await relation(1);
      const second = await relation(2);
      let startedAt = 0;
      let stolen: outbox.OutboxRow[] | undefined;
      server.use(
        http.post(OIOS, async ({ request }) => {
          const doc = ((await request.clone().json()) as Oio).informatieobject;
          if (doc === first.informatieobject) {
            startedAt = Date.now();
            await delay(leaseMs * 0.6); // the first delivery takes most of the lease
          } else if (stolen === undefined) {
            // The second delivery is under way after the claim's lease ran out: another worker looks.
            while (Date.now() <= startedAt + leaseMs + 20) await sleep(10);
            stolen = await outbox.claimBatch(db, { ticket: 'other-worker', now: Date.now(), leaseMs, limit: 10 });
          }
          return undefined; // fall through to the double's own POST handler
        }),
      );
      // One lane: the second row waits for the first, as in a batch larger than the lanes.
      expect(await worker({ leaseMs, concurrency: 1 }).runOnce()).to.equal(2);
      expect(stolen?.map((s) => s.aggregate_id)).to.deep.equal([]);
      expect(posted.map((p) => (p.body as Oio).informatieobject)).to.deep.equal([
        first.informatieobject,
        second.informatieobject,
      ]);
      expect((await rowsOf(second.uuid))[0]).to.include({ state: 'done', attempts: 1 });
    });
  });

  describe('a backlog', () => {
    it('is claimed batch after batch within one round, each row delivered once, the lanes kept busy', async () => {
      const relations: Awaited<ReturnType<typeof relation>>[] = [];
      for (let n = 1; n <= 7; n++) relations.push(await relation(n));
      // Deliveries overlap: the next claim must come while the lanes are still busy, not after
      // the slowest delivery of a batch. One slow delivery stands for that slowest one.
      let claimedDuringSlowOne = 0;
      server.use(
        http.post(OIOS, async ({ request }) => {
          const doc = ((await request.clone().json()) as Oio).informatieobject;
          if (doc === relations[0]!.informatieobject) {
            await delay(300);
            const claimed = await db('outbox').where('attempts', '>', 0).count({ n: '*' });
            claimedDuringSlowOne = Number(claimed[0]!['n']);
          }
          return undefined; // fall through to the double's own POST handler
        }),
      );
      expect(await worker({ batchSize: 2, concurrency: 2 }).runOnce(), 'all four claims in one round').to.equal(7);
      expect(claimedDuringSlowOne, 'the other lane went on claiming while the slow one ran').to.equal(7);
      expect(posted.map((p) => (p.body as Oio).informatieobject).sort()).to.deep.equal(
        relations.map((r) => r.informatieobject).sort(),
      );
      for (const r of relations) expect((await rowsOf(r.uuid))[0]).to.include({ state: 'done', attempts: 1 });
    });
  });

  describe('a DRC that fails', () => {
    const postsWhileDown = () => calls.filter((c) => c === `POST ${OIOS}`).length;

    it('is paused: the rest of the batch is handed back unattempted, and each later round sends one probe', async () => {
      const relations = [];
      for (let n = 1; n <= 5; n++) relations.push(await relation(n));
      server.use(http.post(OIOS, () => HttpResponse.json({ detail: 'down' }, { status: 503 })));
      const w = worker({ concurrency: 1, backoff: () => 0 });

      expect(await w.runOnce(), 'claimed the whole batch').to.equal(5);
      expect(postsWhileDown(), 'only the first row was tried').to.equal(1);
      expect(w.isPaused('drc')).to.equal(true);
      const states = await Promise.all(relations.map(async (r) => (await rowsOf(r.uuid))[0]!));
      expect(states[0]).to.include({ state: 'pending', attempts: 1, locked_by: null });
      for (const row of states.slice(1)) {
        expect(row, 'handed back as if never claimed').to.include({
          state: 'pending',
          attempts: 0,
          locked_by: null,
          last_error: null,
        });
      }

      calls = [];
      expect(await w.runOnce(), 'one probe').to.equal(1);
      expect(postsWhileDown()).to.equal(1);
      expect(oios.size).to.equal(0);
    });

    it('probes a paused destination by the clock, however often the worker is woken meanwhile', async () => {
      for (let n = 1; n <= 3; n++) await relation(n);
      server.use(http.post(OIOS, () => HttpResponse.json({ detail: 'down' }, { status: 503 })));
      const delays: number[] = [];
      const w = worker({
        concurrency: 1,
        backoff: () => 0,
        probeDelay: (k) => {
          delays.push(k);
          return k === 0 ? 0 : 60_000;
        },
      });
      expect(await w.runOnce(), 'the first row fails, the others are handed back').to.equal(3);
      expect(w.isPaused('drc')).to.equal(true);

      calls = [];
      expect(await w.runOnce(), 'the first probe is due at once (k = 0)').to.equal(1);
      // Woken again and again (every commit wakes a worker on SQLite, its own settles included):
      // the next probe waits for its time.
      for (let i = 0; i < 5; i++) expect(await w.runOnce(), `round ${i + 2}`).to.equal(0);
      expect(postsWhileDown(), 'one probe in six rounds').to.equal(1);
      expect(delays).to.deep.equal([0, 1]);
    });

    it('resumes at full speed on the first success, with every waiting row due at once', async () => {
      const relations = [];
      for (let n = 1; n <= 4; n++) relations.push(await relation(n));
      server.use(http.post(OIOS, () => HttpResponse.json({}, { status: 502 }), { once: true }));
      const w = worker({ concurrency: 1, backoff: () => 60_000 });
      await w.runOnce();
      expect(w.isPaused('drc')).to.equal(true);

      // The first row waits for its own retry; the probe is the next due row, and it succeeds.
      expect(await w.runOnce(), 'the probe').to.equal(1);
      expect(w.isPaused('drc')).to.equal(false);
      expect(await w.runOnce(), 'the rest, without waiting for a backoff').to.equal(2);
      expect(oios.size).to.equal(3);
      expect((await rowsOf(relations[0]!.uuid))[0]).to.include({ state: 'pending', attempts: 1 });
    });

    it("still tries at once the row an API client waits for (it is the round's probe)", async () => {
      const waiting = await relation(1);
      await relation(2);
      const tried: string[] = [];
      server.use(
        http.post(OIOS, async ({ request }) => {
          tried.push(((await request.json()) as Oio).informatieobject);
          return HttpResponse.json({}, { status: 503 });
        }),
      );
      const w = worker({ concurrency: 1, backoff: () => 60_000 });
      await w.runOnce(); // the first row fails, the second is handed back
      const asked = await relation(3);
      const [row] = await rowsOf(asked.uuid);

      tried.length = 0;
      w.nudge(row!.id);
      expect(await w.runOnce()).to.equal(1);
      expect(tried, 'the row asked for, not the oldest due one').to.deep.equal([asked.informatieobject]);
      expect((await rowsOf(asked.uuid))[0]).to.include({ state: 'pending', attempts: 1 });
      expect((await rowsOf(waiting.uuid))[0], 'waits for its own retry').to.include({ attempts: 1 });
    });
  });
});
