import { LRUCache } from 'lru-cache';
import { forbidden } from '../errors.js';
import { verifyZgwToken, type Caller, type JwtSettings } from './jwt-zgw.js';
import { allows, type Grant } from './scopes.js';

export interface AuthSources {
  /** The shared secret of a client application, if it is registered here. */
  secretFor(clientId: string): Promise<string | undefined>;
  /** What the client may do in this component (local applicaties or the Autorisaties API). */
  grantFor(clientId: string): Promise<Grant>;
}

/**
 * Decides whether a request may run: token first (403 with the token's problem), then scopes
 * (403 permission_denied). Secrets are cached for a few seconds so a busy client does not cost
 * a database read per request, while `kic applicatie remove` still takes effect promptly.
 */
export class Authenticator {
  private readonly secrets: LRUCache<string, { secret: string | undefined }>;

  constructor(
    private readonly sources: AuthSources,
    private readonly jwt: JwtSettings,
    cacheMs = 5_000,
  ) {
    this.secrets = new LRUCache({ max: 1000, ttl: cacheMs });
  }

  async authorise(authorization: string | undefined, requiredScopes: readonly string[]): Promise<Caller> {
    const caller = await verifyZgwToken(authorization, (id) => this.secretFor(id), this.jwt);
    const grant = await this.sources.grantFor(caller.clientId);
    if (!allows(grant, requiredScopes)) throw forbidden();
    return caller;
  }

  private async secretFor(clientId: string): Promise<string | undefined> {
    const hit = this.secrets.get(clientId);
    if (hit) return hit.secret;
    const secret = await this.sources.secretFor(clientId);
    this.secrets.set(clientId, { secret });
    return secret;
  }
}
