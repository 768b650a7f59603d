import type { Got, Response } from 'got';
import { LRUCache } from 'lru-cache';
import { signZgwToken } from '../auth/jwt-zgw.js';
import type { Db } from '../db/knex.js';
import * as services from '../db/services.js';
import { ServiceRegistry, type Service } from './services.js';

/** What came back from a remote API, or why nothing did. */
export type FetchOutcome =
  | { ok: true; status: number; body: string; json: unknown }
  | { ok: false; reason: string; status?: number; body?: string };

// got (and its dependencies) cost ~14 MB of RSS; only outgoing calls need it, which many
// deployments (no DRC, no Autorisaties API) never make.
let gotModule: Promise<Got> | undefined;
const loadGot = () => (gotModule ??= import('got').then((m) => m.got));

const TOKEN_REUSE_S = 30;

/** The URL is not under any registered service: we never fetch it. */
export class UnregisteredUrlError extends Error {
  constructor(readonly url: string) {
    super(`${url} is not under the API root of any registered service`);
  }
}

/**
 * Outgoing HTTP, only to registered services: each call carries a recent JWT-ZGW for that
 * service, has a timeout, is not retried behind the caller's back, and follows redirects only
 * within registered services.
 */
export class RemoteHttp {
  private readonly tokens = new LRUCache<string, { iat: number; value: string }>({ max: 100 });

  constructor(
    private readonly services: ServiceRegistry,
    private readonly timeoutMs: number,
  ) {}

  async serviceFor(url: string): Promise<Service> {
    const service = await this.services.match(url);
    if (!service) throw new UnregisteredUrlError(url);
    return service;
  }

  /** GET a URL under a registered service. Never throws for remote failures: see FetchOutcome. */
  async get(url: string, headers: Record<string, string> = {}): Promise<FetchOutcome> {
    return this.request('GET', url, headers);
  }

  async request(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    headers: Record<string, string> = {},
    json?: unknown,
  ): Promise<FetchOutcome> {
    const service = await this.serviceFor(url);
    let response: Response<string>;
    try {
      const got = await loadGot();
      response = await got(url, {
        method,
        headers: { accept: 'application/json', ...headers, ...(await this.authHeader(service)) },
        ...(json === undefined ? {} : { json }),
        timeout: { request: this.timeoutMs },
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: true,
        maxRedirects: 5,
        hooks: {
          beforeRedirect: [
            async (options) => {
              const target = options.url?.toString() ?? '';
              const next = await this.services.match(target);
              if (!next) throw new UnregisteredUrlError(target);
              // got only drops the token on a change of origin: another service on the same host must
              // not receive the first service's token, but its own (or none).
              delete options.headers['authorization'];
              Object.assign(options.headers, await this.authHeader(next));
            },
          ],
        },
      });
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e instanceof UnregisteredUrlError || (e as { cause?: unknown }).cause instanceof UnregisteredUrlError) {
        return { ok: false, reason: `it redirected outside the registered services` };
      }
      return { ok: false, reason: `${e.code ?? e.name}: ${e.message}` };
    }
    const body = response.body;
    let parsed: unknown;
    try {
      parsed = body === '' ? undefined : JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return { ok: true, status: response.statusCode, body, json: parsed };
    }
    return { ok: false, status: response.statusCode, body, reason: `it answered HTTP ${response.statusCode}` };
  }

  /**
   * A token for the service, signed anew at most every TOKEN_REUSE_S seconds: signing (an async
   * WebCrypto job) was a tenth of a mirror delivery. The iat of a reused token is at most that
   * old, far inside any receiver's expiry; a changed secret or identity signs a new one.
   */
  private async authHeader(service: Service): Promise<Record<string, string>> {
    if (!service.clientId || !service.secret) return {};
    const key = JSON.stringify([service.clientId, service.secret, service.userId, service.userRepresentation]);
    const now = Math.floor(Date.now() / 1000);
    let token = this.tokens.get(key);
    if (!token || now - token.iat >= TOKEN_REUSE_S) {
      token = {
        iat: now,
        value: await signZgwToken(
          {
            clientId: service.clientId,
            secret: service.secret,
            userId: service.userId,
            userRepresentation: service.userRepresentation,
          },
          now,
        ),
      };
      this.tokens.set(key, token);
    }
    return { authorization: `Bearer ${token.value}` };
  }
}

/** Outgoing HTTP to the services registered in this database. */
export function registeredServicesHttp(db: Db, timeoutMs: number): RemoteHttp {
  return new RemoteHttp(new ServiceRegistry(() => services.list(db)), timeoutMs);
}

/**
 * The items of a ZGW list answer: a plain array (KIC, DRC, ZRC lists) or a paginated
 * `{ results: [...] }` (AC); undefined when it is neither.
 */
export function listItems<T>(json: unknown): T[] | undefined {
  if (Array.isArray(json)) return json as T[];
  const results = (json as { results?: unknown } | null | undefined)?.results;
  return Array.isArray(results) ? (results as T[]) : undefined;
}
