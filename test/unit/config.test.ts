import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';

describe('KIC_DEFAULT_BRONORGANISATIE', () => {
  it('defaults to a valid RSIN and takes another valid one', () => {
    expect(loadConfig({}).defaultBronorganisatie).to.equal('517439943');
    expect(loadConfig({ KIC_DEFAULT_BRONORGANISATIE: '123456782' }).defaultBronorganisatie).to.equal('123456782');
  });

  it('refuses a value that is not an RSIN at start-up', () => {
    for (const value of ['123456789', '12345', 'abcdefghi']) {
      expect(() => loadConfig({ KIC_DEFAULT_BRONORGANISATIE: value }), value).to.throw(/KIC_DEFAULT_BRONORGANISATIE/);
    }
  });
});

describe('KIC_SYNC_CONCURRENCY', () => {
  it('defaults to 16 deliveries at once and takes another count', () => {
    expect(loadConfig({}).sync.concurrency).to.equal(16);
    expect(loadConfig({ KIC_SYNC_CONCURRENCY: '64' }).sync.concurrency).to.equal(64);
  });

  it('refuses a value that is not a whole number from 1 to 256 at start-up', () => {
    for (const value of ['0', '-4', '2.5', 'many', '257', '']) {
      expect(() => loadConfig({ KIC_SYNC_CONCURRENCY: value }), JSON.stringify(value)).to.throw(/KIC_SYNC_CONCURRENCY/);
    }
  });
});
