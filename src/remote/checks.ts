import type { InvalidParam } from '../errors.js';
import type { RelationLookup, RemoteChecks, RemoteKind } from '../domain/remote.js';
import { UnregisteredUrlError, type RemoteHttp } from './http.js';

// Properties that vng-api-common's ResourceValidator finds `required` in the pinned DRC / ZRC
// schemas; a fetched document without them is not the resource it claims to be.
const REQUIRED: Record<RemoteKind, string[]> = {
  EnkelvoudigInformatieObject: ['url', 'bronorganisatie', 'creatiedatum', 'titel', 'auteur', 'taal', 'informatieobjecttype'],
  Zaak: ['url', 'bronorganisatie', 'zaaktype', 'verantwoordelijkeOrganisatie', 'startdatum'],
};

// The ZRC refuses to show a Zaak without a coordinate reference system header.
const HEADERS: Record<RemoteKind, Record<string, string>> = {
  EnkelvoudigInformatieObject: {},
  Zaak: { 'accept-crs': 'EPSG:4326' },
};

/** RemoteChecks over HTTP, limited to registered services. */
export class HttpRemoteChecks implements RemoteChecks {
  constructor(private readonly http: RemoteHttp) {}

  async checkResource(url: string, name: string, kind: RemoteKind): Promise<InvalidParam | undefined> {
    let res;
    try {
      res = await this.http.get(url, HEADERS[kind]);
    } catch (err) {
      if (err instanceof UnregisteredUrlError) {
        return { name, code: 'bad-url', reason: `De URL ${url} hoort niet bij een geregistreerde service en wordt niet opgehaald.` };
      }
      throw err;
    }
    if (!res.ok || res.status !== 200) {
      return { name, code: 'bad-url', reason: `De URL ${url} kon niet opgehaald worden: ${res.ok ? `HTTP ${res.status}` : res.reason}.` };
    }
    const doc = res.json;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      return { name, code: 'invalid-resource', reason: `De URL ${url} geeft geen JSON-object terug.` };
    }
    const missing = REQUIRED[kind].filter((p) => (doc as Record<string, unknown>)[p] === undefined);
    if (missing.length) {
      return { name, code: 'invalid-resource', reason: `Het object op ${url} is geen geldige ${kind} (mist: ${missing.join(', ')}).` };
    }
    return undefined;
  }

  async countRelations(objectUrl: string, collection: string, query: Record<string, string>): Promise<RelationLookup> {
    let service;
    try {
      service = await this.http.serviceFor(objectUrl);
    } catch (err) {
      if (err instanceof UnregisteredUrlError) return { ok: false, reason: err.message };
      throw err;
    }
    const root = service.apiRoot.replace(/\/+$/, '');
    const url = `${root}/${collection}?${new URLSearchParams(query).toString()}`;
    const res = await this.http.get(url);
    if (!res.ok) return { ok: false, reason: res.reason, ...(res.status === undefined ? {} : { status: res.status }) };
    const body = res.json as unknown[] | { results?: unknown[] } | undefined;
    const items = Array.isArray(body) ? body : Array.isArray(body?.results) ? body.results : undefined;
    if (!items) return { ok: false, reason: `${url} did not answer a list` };
    return { ok: true, count: items.length };
  }
}
