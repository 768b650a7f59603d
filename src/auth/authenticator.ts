import { LRUCache } from 'lru-cache';
import { forbidden } from '../errors.js';
import { verifyZgwTokenDetailed, type Caller, type JwtSettings, type VerifiedToken } from './jwt-zgw.js';
import { allows, type Grant } from './scopes.js';

export interface AuthSources {
  /** The shared secret of a client application, if it is registered here. */
  secretFor(clientId: string): Promise<string | undefined>;
  /** What the client may do in this component (local applicaties or the Autorisaties API). */
  grantFor(clientId: string): Promise<Grant>;
}

/**
 * Decides whether a request may run: token first (403 with the token's problem), then scopes
 * (403 permission_denied). The sources do their own caching.
 */
export class Authenticator {
  // A client sends the same token for many requests: verifying its signature (an async WebCrypto
  // job in jose) each time was ~10 % of a request. A remembered token is still checked against
  // the client's current secret and its own expiry on every request; only successes are kept.
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: 1000 });

  constructor(
    private readonly sources: AuthSources,
    private readonly jwt: JwtSettings,
    /** The clock, in epoch milliseconds (tests set it). */
    private readonly now: () => number = Date.now,
  ) {}

  async authorise(authorization: string | undefined, requiredScopes: readonly string[]): Promise<Caller> {
    const caller = await this.verify(authorization);
    const grant = await this.sources.grantFor(caller.clientId);
    if (!allows(grant, requiredScopes)) throw forbidden();
    return caller;
  }

  private async verify(authorization: string | undefined): Promise<Caller> {
    const secretFor = (id: string) => this.sources.secretFor(id);
    const now = this.now() / 1000;
    const known = authorization === undefined ? undefined : this.verified.get(authorization);
    if (known && now < known.validUntilSeconds && (await secretFor(known.caller.clientId)) === known.secret) {
      return known.caller;
    }
    const fresh = await verifyZgwTokenDetailed(authorization, secretFor, this.jwt, now);
    this.verified.set(authorization!, fresh);
    return fresh.caller;
  }
}
