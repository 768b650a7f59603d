import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { freshDatabase, type TestDatabase } from '../../helpers/databases.js';

// Another process writes to the same SQLite file (kic worker beside kic serve, the sqlite3 shell,
// an import). Here "another process" is a second connection that does not wait for locks, and
// it writes at the worst moment: after our transaction has read and before it writes. Our
// transactions must take the write lock up front, so that it is the other writer that waits
// (and here, not waiting, fails) and never our transaction half-way through.
describe('SQLite transactions beside another writer', () => {
  let database: TestDatabase;
  let other: Database.Database;
  beforeEach(async () => {
    database = await freshDatabase('sqlite');
    other = new Database(database.url.slice('sqlite:'.length));
    other.pragma('busy_timeout = 0');
  });
  afterEach(async () => {
    other.close();
    await database.drop();
  });

  const klant = () => ({ uuid: randomUUID(), voornaam: 'Anna', created_at: 0, updated_at: 0 });
  const otherWrite = (): string | undefined => {
    try {
      other
        .prepare('insert into klanten (uuid, voornaam, created_at, updated_at) values (?, ?, 0, 0)')
        .run(randomUUID(), 'other');
      return undefined;
    } catch (err) {
      return (err as { code?: string }).code;
    }
  };

  it('a knex transaction that reads, then writes, holds the write lock from its start', async () => {
    const mine = klant();
    let otherOutcome: string | undefined = 'not tried';
    await database.db.transaction(async (trx) => {
      await trx('klanten').count({ n: '*' });
      otherOutcome = otherWrite();
      await trx('klanten').insert(mine);
    });
    expect(otherOutcome, 'the other writer had to wait for our lock').to.equal('SQLITE_BUSY');
    expect(await database.db('klanten').where({ uuid: mine.uuid }).first('uuid')).to.deep.equal({ uuid: mine.uuid });
    expect(otherWrite(), 'after our commit the other writer gets its turn').to.equal(undefined);
  });
});
