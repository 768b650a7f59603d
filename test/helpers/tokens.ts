import { SignJWT } from 'jose';

export interface TestClient {
  clientId: string;
  secret: string;
  scopes: string[];
  all?: boolean;
}

export const CLIENTS = {
  all: { clientId: 'test-all', secret: 'secret-all', scopes: [], all: true },
  reader: { clientId: 'test-reader', secret: 'secret-reader', scopes: ['klanten.lezen'] },
  writer: {
    clientId: 'test-writer',
    secret: 'secret-writer',
    scopes: ['klanten.lezen', 'klanten.aanmaken', 'klanten.bijwerken', 'klanten.verwijderen'],
  },
  none: { clientId: 'test-none', secret: 'secret-none', scopes: [] },
} satisfies Record<string, TestClient>;

/** Signs a token the way ZGW clients do; `claims` overrides or removes (undefined) claims. */
export async function tokenFor(
  client: Pick<TestClient, 'clientId' | 'secret'>,
  claims: Record<string, unknown> = {},
  alg = 'HS256',
): Promise<string> {
  const payload: Record<string, unknown> = {
    iss: client.clientId,
    client_id: client.clientId,
    user_id: 'tester',
    user_representation: 'Test User',
    iat: Math.floor(Date.now() / 1000),
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(client.secret));
}
