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
 * (403 permission_denied). The sources do their own caching.
 */
export class Authenticator {
  constructor(
    private readonly sources: AuthSources,
    private readonly jwt: JwtSettings,
  ) {}

  async authorise(authorization: string | undefined, requiredScopes: readonly string[]): Promise<Caller> {
    const caller = await verifyZgwToken(authorization, (id) => this.sources.secretFor(id), this.jwt);
    const grant = await this.sources.grantFor(caller.clientId);
    if (!allows(grant, requiredScopes)) throw forbidden();
    return caller;
  }
}
