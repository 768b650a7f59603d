import { LRUCache } from 'lru-cache';
import { signZgwToken } from '../auth/jwt-zgw.js';
import type { Db } from '../db/knex.js';
import * as services from '../db/services.js';
import { exchange, type Answer } from './exchange.js';
import { ServiceRegistry, type Service } from './services.js';

/** What came back from a remote API, or why nothing did. */
export type FetchOutcome =
  | { ok: true; status: number; body: string; json: unknown }
  | { ok: false; reason: string; status?: number; body?: string };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
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
    let service = await this.serviceFor(url);
    const deadline = Date.now() + this.timeoutMs;
    let target = new URL(url);
    let verb: string = method;
    let body = json === undefined ? undefined : JSON.stringify(json);
    let answer: Answer;
    try {
      for (let redirects = 0; ; redirects++) {
        answer = await exchange(
          verb,
          target,
          {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
            // Each hop carries the token of the service it goes to (or none), never the first one's.
            ...(await this.authHeader(service)),
          },
          body,
          deadline,
        );
        if (!REDIRECTS.has(answer.status) || answer.location === undefined) break;
        if (redirects === MAX_REDIRECTS) return { ok: false, reason: `it redirected more than ${MAX_REDIRECTS} times` };
        target = new URL(answer.location, target);
        const next = await this.services.match(target.href);
        if (!next) return { ok: false, reason: `it redirected outside the registered services` };
        service = next;
        if (answer.status === 303 && verb !== 'HEAD') {
          verb = 'GET';
          body = undefined;
        }
      }
    } catch (err) {
      const e = err as Error & { code?: string };
      return { ok: false, reason: `${e.code ?? e.name}: ${e.message}` };
    }
    let parsed: unknown;
    try {
      parsed = answer.body === '' ? undefined : JSON.parse(answer.body);
    } catch {
      parsed = undefined;
    }
    if (answer.status >= 200 && answer.status < 300) {
      return { ok: true, status: answer.status, body: answer.body, json: parsed };
    }
    return { ok: false, status: answer.status, body: answer.body, reason: `it answered HTTP ${answer.status}` };
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
