import { expect } from 'chai';
import * as outbox from '../../../src/db/outbox.js';
import * as links from '../../../src/db/remote-links.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../helpers/databases.js';

// The worker settles what its lanes delivered in batches: done rows with the remote URL they
// produced, failed ones, and rows handed back unattempted. Each row is settled only while the
// worker's ticket still holds it; a link is kept whoever holds the row now.
for (const dialect of DIALECTS) {
  describe(`outbox: claiming and settling [${dialect}]`, () => {
    let database: TestDatabase;
    beforeEach(async () => {
      database = await freshDatabase(dialect);
    });
    afterEach(async () => {
      await database.drop();
    });

    const queue = async (n: number) => {
      for (let i = 0; i < n; i++)
        await outbox.enqueue(database.db, {
          destination: 'drc',
          event: 'verzoekinformatieobject.created',
          aggregateId: `relation-${i}`,
          payload: { i },
          now: 1000,
        });
    };
    const claim = (ticket: string, limit: number) =>
      outbox.claimBatch(database.db, { ticket, now: 2000, leaseMs: 60_000, limit });
    const stateOf = async (aggregateId: string) =>
      (await database.db('outbox').where({ aggregate_id: aggregateId }).first()) as outbox.OutboxRow;

    it('claims due rows oldest first, one per aggregate at a time, and none that another ticket leases', async () => {
      const add = (aggregateId: string, availableAt = 1000) =>
        outbox.enqueue(database.db, {
          destination: 'drc',
          event: 'verzoekinformatieobject.created',
          aggregateId,
          payload: {},
          now: availableAt,
        });
      await add('a'); // 1
      await add('b'); // 2
      await add('a'); // 3: behind 1
      await add('c', 99_999); // 4: not due yet
      await add('d'); // 5
      const ids = async () => (await database.db('outbox').orderBy('id').select('id')).map((r: { id: number }) => r.id);
      const [id1, id2, id3, , id5] = await ids();

      const first = await claim('one', 2);
      expect(first.map((r) => r.id)).to.deep.equal([id1, id2]);
      expect(first.map((r) => r.attempts)).to.deep.equal([1, 1]);
      // Row 3 waits for row 1 (same aggregate); row 4 is not due; rows 1 and 2 are leased.
      expect((await claim('two', 10)).map((r) => r.id)).to.deep.equal([id5]);
      expect(await claim('three', 10)).to.deep.equal([]);

      await outbox.settle(database.db, [{ id: id1!, ticket: 'one', outcome: 'done', now: 2500, result: null }]);
      expect(
        (await claim('four', 10)).map((r) => r.id),
        'row 1 is done: row 3 is next',
      ).to.deep.equal([id3]);
      // A lease that ran out (its worker died) gives the row to the next claim.
      const later = await outbox.claimBatch(database.db, {
        ticket: 'five',
        now: 2000 + 60_001,
        leaseMs: 60_000,
        limit: 10,
      });
      expect(later.map((r) => r.id)).to.include.members([id2, id3, id5]);
      expect(later.find((r) => r.id === id2)).to.include({ locked_by: 'five', attempts: 2 });
    });

    it('never gives one row to two claims running at the same time', async () => {
      await queue(60);
      const claims = await Promise.all(['w1', 'w2', 'w3'].map((t) => claim(t, 25)));
      const all = claims.flat().map((r) => r.id);
      expect(new Set(all).size, 'no row twice').to.equal(all.length);
      expect(all).to.have.length(60);
    });

    it('settles each row as it ended, in one call, and reports which rows the ticket still held', async () => {
      await queue(5);
      const [a, b, c, d, e] = await claim('mine', 5);
      // Row e was taken over by another worker meanwhile (our lease ran out).
      await database.db('outbox').where({ id: e!.id }).update({ locked_by: 'theirs' });
      const link = (row: outbox.OutboxRow, url: string) => ({
        destination: 'drc',
        aggregateId: row.aggregate_id,
        remoteUrl: url,
      });

      const settled = await outbox.settle(database.db, [
        {
          id: a!.id,
          ticket: 'mine',
          outcome: 'done',
          now: 3000,
          result: 'https://drc/oio/a',
          link: link(a!, 'https://drc/oio/a'),
        },
        {
          id: b!.id,
          ticket: 'mine',
          outcome: 'failed',
          error: 'DRC down',
          permanent: false,
          retryAt: 9000,
          result: null,
        },
        { id: c!.id, ticket: 'mine', outcome: 'done', now: 3001, result: null },
        { id: d!.id, ticket: 'mine', outcome: 'released' },
        {
          id: e!.id,
          ticket: 'mine',
          outcome: 'done',
          now: 3002,
          result: 'https://drc/oio/e',
          link: link(e!, 'https://drc/oio/e'),
        },
      ]);

      expect(settled).to.deep.equal([true, true, true, true, false]);
      const [sa, sb, sc, sd, se] = await Promise.all([a, b, c, d, e].map((r) => stateOf(r!.aggregate_id)));
      expect(sa).to.include({ state: 'done', result: 'https://drc/oio/a', locked_by: null });
      expect(Number(sa!.done_at)).to.equal(3000);
      expect(sb).to.include({ state: 'pending', last_error: 'DRC down', locked_by: null, attempts: 1 });
      expect(Number(sb!.available_at)).to.equal(9000);
      expect(sc).to.include({ state: 'done', result: null });
      expect(sd).to.include({ state: 'pending', locked_by: null, attempts: 0 });
      expect(se, 'another worker holds it: not ours to settle').to.include({ state: 'pending', locked_by: 'theirs' });
      expect(await links.find(database.db, 'drc', a!.aggregate_id)).to.equal('https://drc/oio/a');
      expect(
        await links.find(database.db, 'drc', e!.aggregate_id),
        'the remote object exists whoever settles the row: its link is kept',
      ).to.equal('https://drc/oio/e');
      expect(await links.find(database.db, 'drc', c!.aggregate_id)).to.equal(undefined);
    });

    it('replaces a link that exists already, also when one batch names the same link twice', async () => {
      await queue(2);
      const [a, b] = await claim('mine', 2);
      await links.save(database.db, 'drc', 'relation-0', 'https://drc/oio/old');
      const link = { destination: 'drc', aggregateId: 'relation-0' };
      const settled = await outbox.settle(database.db, [
        {
          id: a!.id,
          ticket: 'mine',
          outcome: 'done',
          now: 3000,
          result: null,
          link: { ...link, remoteUrl: 'https://drc/oio/1' },
        },
        {
          id: b!.id,
          ticket: 'mine',
          outcome: 'done',
          now: 3000,
          result: null,
          link: { ...link, remoteUrl: 'https://drc/oio/2' },
        },
      ]);
      expect(settled).to.deep.equal([true, true]);
      expect(await links.find(database.db, 'drc', 'relation-0')).to.equal('https://drc/oio/2');
      expect(await database.db('remote_links').count({ n: '*' }).first()).to.satisfy(
        (r: { n: number | string }) => Number(r.n) === 1,
      );
    });
  });
}
