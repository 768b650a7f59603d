import { LRUCache } from 'lru-cache';
import { Problem, forbidden } from '../errors.js';
import { NO_GRANT, mergeGrants, type Grant } from '../auth/scopes.js';
import type { Logger } from '../logger.js';
import { listItems, type RemoteHttp } from './http.js';

interface AcAutorisatie {
  component?: string;
  scopes?: string[];
}
interface AcApplicatie {
  heeftAlleAutorisaties?: boolean;
  autorisaties?: AcAutorisatie[];
}

/**
 * Grants from the Autorisaties API: `GET {ac}/applicaties?clientIds=…` with our own credentials
 * (the service registered for the AC root), the union of scopes for our component code, cached
 * for `cacheSeconds` (the reference never refreshes its cache; a TTL keeps revocations working).
 */
export function autorisatiesApiGrants(
  http: RemoteHttp,
  o: { apiRoot: string; component: string; cacheSeconds: number; log: Logger },
): (clientId: string) => Promise<Grant> {
  const cache = new LRUCache<string, Grant>({ max: 1000, ttl: o.cacheSeconds * 1000 });
  // Requests of one client that arrive together share a single question to the AC.
  const pending = new Map<string, Promise<Grant>>();
  const lookup = async (clientId: string): Promise<Grant> => {
    const url = `${o.apiRoot}/applicaties?clientIds=${encodeURIComponent(clientId)}`;
    const res = await http.get(url).catch((err: Error) => ({ ok: false as const, reason: err.message }));
    if (!res.ok) {
      const code = (() => {
        try {
          return (JSON.parse(('body' in res && res.body) || '{}') as { code?: string }).code;
        } catch {
          return undefined;
        }
      })();
      if ('status' in res && res.status === 403 && code === 'not_authenticated') {
        throw forbidden('not_authenticated_for_ac', 'The Autorisaties API does not accept our credentials.');
      }
      if ('status' in res && res.status !== undefined && res.status >= 400 && res.status < 500) {
        o.log.warn({ status: res.status, clientId }, 'Autorisaties API refused the lookup; no grants');
        return NO_GRANT; // not cached, as the reference: the next request asks again
      }
      o.log.error({ reason: res.reason }, 'Autorisaties API unreachable');
      throw new Problem(
        500,
        'ac-unreachable',
        'Er is een serverfout opgetreden.',
        'The Autorisaties API could not be reached; try again later.',
      );
    }
    const applicaties = listItems<AcApplicatie>(res.json) ?? [];
    if (applicaties.length === 0) return NO_GRANT;
    const grant = mergeGrants(
      applicaties.map((a) => ({
        heeftAlleAutorisaties: a.heeftAlleAutorisaties === true,
        scopes: new Set(
          (a.autorisaties ?? []).filter((x) => x.component === o.component).flatMap((x) => x.scopes ?? []),
        ),
      })),
    );
    cache.set(clientId, grant);
    return grant;
  };
  return (clientId) => {
    const hit = cache.get(clientId);
    if (hit) return Promise.resolve(hit);
    let asking = pending.get(clientId);
    if (!asking) {
      asking = lookup(clientId).finally(() => pending.delete(clientId));
      pending.set(clientId, asking);
    }
    return asking;
  };
}
