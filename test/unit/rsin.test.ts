import { expect } from 'chai';
import { checkRsin } from '../../src/domain/rsin.js';

describe('checkRsin', () => {
  it('accepts RSINs that pass the 11-proof', () => {
    for (const ok of ['123456782', '002220647', '111222333']) expect(checkRsin(ok, 'x'), ok).to.equal(undefined);
  });
  it('names the problem: only-digits, invalid-length, invalid', () => {
    expect(checkRsin('12345678a', 'bronorganisatie')?.code).to.equal('only-digits');
    expect(checkRsin('12345678', 'bronorganisatie')?.code).to.equal('invalid-length');
    expect(checkRsin('123456789', 'bronorganisatie')).to.deep.include({ name: 'bronorganisatie', code: 'invalid' });
  });
});
