import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { decodeJwt } from 'jose';
import * as services from '../../src/db/services.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** The client_id of the bearer token, if any. */
  clientId?: string;
}

export type Route = (
  req: RecordedRequest,
) =>
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | Promise<{ status: number; body?: unknown; headers?: Record<string, string> }>;

/**
 * A test double of another ZGW component (ZRC, DRC, AC) as a real HTTP server on 127.0.0.1.
 * Routes are "METHOD /path" (path without query); unmatched requests answer 404 and are
 * recorded like all others, so tests can assert exactly what was called.
 */
export class FakeRemote {
  readonly requests: RecordedRequest[] = [];
  private routes = new Map<string, Route>();
  private server: Server | undefined;
  baseUrl = '';

  /** The API root of this double, e.g. http://127.0.0.1:PORT/api/v1/ (with trailing slash). */
  get apiRoot(): string {
    return `${this.baseUrl}/api/v1/`;
  }

  on(methodAndPath: string, route: Route): this {
    this.routes.set(methodAndPath, route);
    return this;
  }

  reset(): void {
    this.routes.clear();
    this.requests.length = 0;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Registers this double as a service of the component, with credentials for our outgoing JWT. */
  async register(db: Knex, clientId = 'kic-outgoing', secret = 'outgoing-secret'): Promise<void> {
    await services.upsert(db, {
      apiRoot: this.apiRoot,
      label: 'test double',
      clientId,
      secret,
      userId: '',
      userRepresentation: '',
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.baseUrl);
    const auth = req.headers.authorization;
    let clientId: string | undefined;
    try {
      clientId = auth?.startsWith('Bearer ') ? (decodeJwt(auth.slice(7))['client_id'] as string) : undefined;
    } catch {
      clientId = undefined;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: raw ? safeJson(raw) : undefined,
      ...(clientId ? { clientId } : {}),
    };
    this.requests.push(recorded);
    const route = this.routes.get(`${recorded.method} ${url.pathname}`);
    const out = route ? await route(recorded) : { status: 404, body: { code: 'not_found' } };
    res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
    res.end(out.body === undefined ? '' : JSON.stringify(out.body));
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** A document as a DRC serves it: every property vng-api-common's shape check requires. */
export const eio = (url: string) => ({
  url,
  identificatie: 'DOC-1',
  bronorganisatie: '123456782',
  creatiedatum: '2024-01-01',
  titel: 'Aanvraagformulier',
  auteur: 'Burger',
  taal: 'nld',
  informatieobjecttype: 'https://ztc.example/api/v1/informatieobjecttypen/1',
});

/** A zaak as a ZRC serves it. */
export const zaak = (url: string) => ({
  url,
  identificatie: 'ZAAK-1',
  bronorganisatie: '123456782',
  zaaktype: 'https://ztc.example/api/v1/zaaktypen/1',
  verantwoordelijkeOrganisatie: '123456782',
  startdatum: '2024-01-01',
});
