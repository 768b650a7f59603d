import { expect } from 'chai';
import { nextDelayMs } from '../../src/sync/backoff.js';

const low = () => 0;
const high = () => 1;

describe('nextDelayMs (outbox retry backoff)', () => {
  it('waits between half and all of the base delay after the first failure', () => {
    expect(nextDelayMs(1, 1_000, 60_000, low)).to.equal(500);
    expect(nextDelayMs(1, 1_000, 60_000, high)).to.equal(1_000);
  });

  it('treats attempt 0 (and below) as the first failure, never as a zero or negative delay', () => {
    expect(nextDelayMs(0, 1_000, 60_000, low)).to.equal(500);
    expect(nextDelayMs(-3, 1_000, 60_000, high)).to.equal(1_000);
  });

  it('doubles the ceiling with every further failure', () => {
    expect([1, 2, 3, 4, 5].map((a) => nextDelayMs(a, 1_000, 1_000_000, high))).to.deep.equal([
      1_000, 2_000, 4_000, 8_000, 16_000,
    ]);
    expect([1, 2, 3, 4, 5].map((a) => nextDelayMs(a, 1_000, 1_000_000, low))).to.deep.equal([
      500, 1_000, 2_000, 4_000, 8_000,
    ]);
  });

  it('stops growing at the cap, also after very many attempts (no overflow to Infinity or NaN)', () => {
    for (const attempts of [7, 8, 50, 1_000, Number.MAX_SAFE_INTEGER]) {
      expect(nextDelayMs(attempts, 1_000, 60_000, high), `attempt ${attempts}`).to.equal(60_000);
      expect(nextDelayMs(attempts, 1_000, 60_000, low), `attempt ${attempts}`).to.equal(30_000);
    }
  });

  it('keeps jitter within [ceiling/2, ceiling] and actually spreads the retries', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const d = nextDelayMs(4, 1_000, 60_000);
      expect(d).to.be.within(4_000, 8_000);
      seen.add(d);
    }
    expect(seen.size).to.be.greaterThan(100);
  });

  it('defaults to a 1 s base and a 15 minute cap', () => {
    expect(nextDelayMs(1, undefined, undefined, high)).to.equal(1_000);
    expect(nextDelayMs(100, undefined, undefined, high)).to.equal(15 * 60_000);
  });
});
