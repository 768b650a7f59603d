import { expect } from 'chai';
import { SignJWT } from 'jose';
import { Authenticator } from '../../src/auth/authenticator.js';
import { Problem } from '../../src/errors.js';

const SETTINGS = { expirySeconds: 60, leewaySeconds: 5 };
const T = 1_800_000_000;

const sign = (payload: Record<string, unknown>, secret: string) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret));

describe('Authenticator (remembers verified tokens)', () => {
  let secret: string;
  let now: number;
  let auth: Authenticator;
  beforeEach(() => {
    secret = 'geheim';
    now = (T + 10) * 1000;
    auth = new Authenticator(
      {
        secretFor: async (id) => (id === 'client' ? secret : undefined),
        grantFor: async () => ({ heeftAlleAutorisaties: true, scopes: new Set() }),
      },
      SETTINGS,
      () => now,
    );
  });

  async function refusal(authorization: string): Promise<string> {
    try {
      await auth.authorise(authorization, []);
    } catch (err) {
      expect(err).to.be.instanceOf(Problem);
      return (err as Problem).code;
    }
    throw new Error('the token was accepted');
  }

  it('accepts a token again and again', async () => {
    const token = `Bearer ${await sign({ client_id: 'client', iat: T, user_id: 'u1' }, secret)}`;
    for (let i = 0; i < 3; i++)
      expect(await auth.authorise(token, [])).to.include({ clientId: 'client', userId: 'u1' });
  });

  it('refuses a remembered token once the client has a new secret', async () => {
    const token = `Bearer ${await sign({ client_id: 'client', iat: T }, secret)}`;
    await auth.authorise(token, []);
    secret = 'nieuw-geheim';
    expect(await refusal(token)).to.equal('invalid-jwt-signature');
  });

  it('refuses a remembered token once it has expired (iat + expiry + leeway, or exp + leeway)', async () => {
    const byIat = `Bearer ${await sign({ client_id: 'client', iat: T }, secret)}`;
    const byExp = `Bearer ${await sign({ client_id: 'client', iat: T, exp: T + 20 }, secret)}`;
    await auth.authorise(byIat, []);
    await auth.authorise(byExp, []);
    now = (T + 24) * 1000;
    await auth.authorise(byExp, []);
    now = (T + 25) * 1000;
    expect(await refusal(byExp)).to.equal('jwt-expired');
    await auth.authorise(byIat, []);
    now = (T + 65) * 1000;
    expect(await refusal(byIat)).to.equal('jwt-expired');
  });

  it('never takes a different token for a remembered one', async () => {
    const token = await sign({ client_id: 'client', iat: T }, secret);
    await auth.authorise(`Bearer ${token}`, []);
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BA' : 'AA');
    expect(await refusal(`Bearer ${tampered}`)).to.equal('invalid-jwt-signature');
  });
});
