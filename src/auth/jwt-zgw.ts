import { SignJWT, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { forbidden } from '../errors.js';

/** Who is calling, as far as the token says. */
export interface Caller {
  clientId: string;
  userId: string;
  userRepresentation: string;
}

export interface JwtSettings {
  expirySeconds: number;
  leewaySeconds: number;
}

const encoder = new TextEncoder();

/**
 * Verifies a JWT-ZGW bearer token (HS256, secret per client_id) the way the ZGW components do,
 * with Open Zaak's expiry rule (iat + expiry + leeway). Every failure is a 403 with its own code;
 * nothing a caller sends can make this throw anything but a Problem.
 */
export async function verifyZgwToken(
  authorization: string | undefined,
  secretFor: (clientId: string) => Promise<string | undefined>,
  settings: JwtSettings,
  nowSeconds = Date.now() / 1000,
): Promise<Caller> {
  return (await verifyZgwTokenDetailed(authorization, secretFor, settings, nowSeconds)).caller;
}

/** A token that passed verification: who it names, the secret that checked it, and until when it holds. */
export interface VerifiedToken {
  caller: Caller;
  secret: string;
  /** The first moment (epoch seconds) at which the token no longer passes: iat or exp expiry, with leeway. */
  validUntilSeconds: number;
}

/** verifyZgwToken, with what a cache of verified tokens needs to know. */
export async function verifyZgwTokenDetailed(
  authorization: string | undefined,
  secretFor: (clientId: string) => Promise<string | undefined>,
  settings: JwtSettings,
  nowSeconds = Date.now() / 1000,
): Promise<VerifiedToken> {
  // The prefix check is case-sensitive, as in vng-api-common: anything else counts as no token.
  if (!authorization?.startsWith('Bearer ')) throw forbidden();
  const token = authorization.slice('Bearer '.length).trim();

  let payload: Record<string, unknown>;
  let header: Record<string, unknown>;
  try {
    payload = decodeJwt(token);
    header = decodeProtectedHeader(token);
  } catch {
    throw forbidden('jwt-decode-error', 'The token could not be decoded.');
  }
  // Older zds-clients also put client_identifier in the JOSE header.
  const clientId = payload['client_id'] ?? header['client_identifier'];
  if (typeof clientId !== 'string' || clientId === '') {
    throw forbidden('missing-client-identifier', 'The token has no client_id claim.');
  }
  const secret = await secretFor(clientId);
  if (!secret) throw forbidden('invalid-client-identifier', 'The client_id of the token is not known here.');

  try {
    await jwtVerify(token, encoder.encode(secret), {
      algorithms: ['HS256'],
      clockTolerance: settings.leewaySeconds,
      currentDate: new Date(nowSeconds * 1000),
    });
  } catch (err) {
    throw tokenProblem(err);
  }
  const iat = payload['iat'];
  if (typeof iat !== 'number') throw forbidden('jwt-missing-iat-claim', 'The token has no iat claim.');
  if (nowSeconds - iat >= settings.expirySeconds + settings.leewaySeconds) {
    throw forbidden('jwt-expired', 'The token has expired; sign a new one.');
  }
  const exp = payload['exp'];
  return {
    caller: {
      clientId,
      userId: typeof payload['user_id'] === 'string' ? payload['user_id'] : '',
      userRepresentation: typeof payload['user_representation'] === 'string' ? payload['user_representation'] : '',
    },
    secret,
    validUntilSeconds: Math.min(
      iat + settings.expirySeconds + settings.leewaySeconds,
      typeof exp === 'number' ? exp + settings.leewaySeconds : Infinity,
    ),
  };
}

function tokenProblem(err: unknown) {
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return forbidden('invalid-jwt-signature', 'The token signature does not match the secret of its client_id.');
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return forbidden('invalid-jwt-signature', 'Tokens must be signed with HS256.');
  }
  if (err instanceof errors.JWTExpired) return forbidden('jwt-expired', 'The token has expired (exp).');
  if (err instanceof errors.JWTClaimValidationFailed) {
    return forbidden('jwt-decode-error', `The token has an invalid claim: ${err.message}`);
  }
  return forbidden('jwt-decode-error', 'The token could not be decoded.');
}

export interface OutgoingCredentials {
  clientId: string;
  secret: string;
  userId?: string;
  userRepresentation?: string;
}

/** Signs a JWT-ZGW token as zds-client does: HS256, iss = client_id, iat now, no exp. */
export async function signZgwToken(
  c: OutgoingCredentials,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<string> {
  return new SignJWT({
    iss: c.clientId,
    client_id: c.clientId,
    user_id: c.userId ?? '',
    user_representation: c.userRepresentation ?? '',
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(nowSeconds)
    .sign(encoder.encode(c.secret));
}
