import { expect } from 'chai';
import { SignJWT } from 'jose';
import { signZgwToken, verifyZgwToken } from '../../src/auth/jwt-zgw.js';
import { Problem } from '../../src/errors.js';

const SETTINGS = { expirySeconds: 3600, leewaySeconds: 5 };
const secrets: Record<string, string> = { client: 'geheim' };
const secretFor = async (id: string) => secrets[id];
const NOW = 1_800_000_000;

async function sign(
  payload: Record<string, unknown>,
  secret = 'geheim',
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header })
    .sign(new TextEncoder().encode(secret));
}

async function failure(authorization: string | undefined): Promise<{ status: number; code: string }> {
  try {
    await verifyZgwToken(authorization, secretFor, SETTINGS, NOW);
  } catch (err) {
    expect(err).to.be.instanceOf(Problem);
    return { status: (err as Problem).status, code: (err as Problem).code };
  }
  throw new Error('the token was accepted');
}

describe('verifyZgwToken', () => {
  it('accepts a token signed with the client secret and returns the caller', async () => {
    const token = await sign({ client_id: 'client', iat: NOW - 10, user_id: 'u1', user_representation: 'Ursula' });
    expect(await verifyZgwToken(`Bearer ${token}`, secretFor, SETTINGS, NOW)).to.deep.equal({
      clientId: 'client',
      userId: 'u1',
      userRepresentation: 'Ursula',
    });
  });

  it('accepts the legacy client_identifier in the JOSE header', async () => {
    const token = await sign({ iat: NOW }, 'geheim', { client_identifier: 'client' });
    expect((await verifyZgwToken(`Bearer ${token}`, secretFor, SETTINGS, NOW)).clientId).to.equal('client');
  });

  it('answers 403 permission_denied without a Bearer token', async () => {
    expect(await failure(undefined)).to.deep.equal({ status: 403, code: 'permission_denied' });
    expect(await failure('bearer abc')).to.deep.equal({ status: 403, code: 'permission_denied' });
  });

  it('answers 403 jwt-decode-error for garbage', async () => {
    expect(await failure('Bearer not.a.jwt')).to.deep.equal({ status: 403, code: 'jwt-decode-error' });
  });

  it('answers 403 missing-client-identifier without client_id', async () => {
    expect(await failure(`Bearer ${await sign({ iat: NOW })}`)).to.deep.equal({
      status: 403,
      code: 'missing-client-identifier',
    });
  });

  it('answers 403 invalid-client-identifier for an unknown client', async () => {
    const token = await sign({ client_id: 'stranger', iat: NOW }, 'x');
    expect(await failure(`Bearer ${token}`)).to.deep.equal({ status: 403, code: 'invalid-client-identifier' });
  });

  it('answers 403 invalid-jwt-signature for a wrong secret or another algorithm', async () => {
    expect(await failure(`Bearer ${await sign({ client_id: 'client', iat: NOW }, 'wrong')}`)).to.deep.equal({
      status: 403,
      code: 'invalid-jwt-signature',
    });
    const hs512 = await new SignJWT({ client_id: 'client', iat: NOW })
      .setProtectedHeader({ alg: 'HS512' })
      .sign(new TextEncoder().encode('geheim'));
    expect(await failure(`Bearer ${hs512}`)).to.deep.equal({ status: 403, code: 'invalid-jwt-signature' });
  });

  it('answers 403 jwt-missing-iat-claim and jwt-expired by iat, with leeway', async () => {
    expect(await failure(`Bearer ${await sign({ client_id: 'client' })}`)).to.deep.equal({
      status: 403,
      code: 'jwt-missing-iat-claim',
    });
    expect(await failure(`Bearer ${await sign({ client_id: 'client', iat: NOW - 3605 })}`)).to.deep.equal({
      status: 403,
      code: 'jwt-expired',
    });
    const justInside = await sign({ client_id: 'client', iat: NOW - 3604 });
    expect((await verifyZgwToken(`Bearer ${justInside}`, secretFor, SETTINGS, NOW)).clientId).to.equal('client');
  });

  it('answers 403 instead of a 500 for an exp in the past or a non-numeric iat', async () => {
    expect(await failure(`Bearer ${await sign({ client_id: 'client', iat: NOW, exp: NOW - 60 })}`)).to.deep.equal({
      status: 403,
      code: 'jwt-expired',
    });
    expect((await failure(`Bearer ${await sign({ client_id: 'client', iat: 'yesterday' })}`)).status).to.equal(403);
  });

  it('verifies the tokens it signs for outgoing calls', async () => {
    const token = await signZgwToken({ clientId: 'client', secret: 'geheim', userId: 'kic' }, NOW);
    expect(await verifyZgwToken(`Bearer ${token}`, secretFor, SETTINGS, NOW)).to.deep.include({
      clientId: 'client',
      userId: 'kic',
    });
  });
});
