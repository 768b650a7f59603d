import { expect } from 'chai';
import { createDb, pgPrepared } from '../../../src/db/knex.js';
import { parseDatabaseUrl } from '../../../src/config.js';
import { PG_URL } from '../../helpers/databases.js';

// A second copy of the module (a dynamic import under another URL, as a lazily loaded router can
// get under a loader) shares the pool's connections: its statement names must not clash.
describe('pgPrepared [pg]', () => {
  it('gives two texts two names, also from two copies of the module on one connection', async () => {
    const copy = (await import(`../../../src/db/knex.js?copy=${Date.now()}`)) as { pgPrepared: typeof pgPrepared };
    expect(copy.pgPrepared).to.not.equal(pgPrepared);
    const db = createDb(parseDatabaseUrl(PG_URL), { poolMax: 1 });
    try {
      expect(await pgPrepared(db, 'select $1::int + 1 as n', [1])).to.deep.equal([{ n: 2 }]);
      expect(await copy.pgPrepared(db, 'select $1::int * 10 as n', [3])).to.deep.equal([{ n: 30 }]);
      expect(await copy.pgPrepared(db, 'select $1::int + 1 as n', [5])).to.deep.equal([{ n: 6 }]);
      expect(await pgPrepared(db, 'select $1::int * 10 as n', [7])).to.deep.equal([{ n: 70 }]);
    } finally {
      await db.destroy();
    }
  });
});
