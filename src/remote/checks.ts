import type { InvalidParam } from '../errors.js';
import type { RelationLookup, RemoteChecks, RemoteKind } from '../domain/remote.js';
import { UnregisteredUrlError, listItems, type RemoteHttp } from './http.js';

// Properties that vng-api-common's ResourceValidator finds `required` in the pinned DRC / ZRC
// schemas; a fetched document without them is not the resource it claims to be.
const REQUIRED: Record<RemoteKind, string[]> = {
  EnkelvoudigInformatieObject: [
    'url',
    'bronorganisatie',
    'creatiedatum',
    'titel',
    'auteur',
    'taal',
    'informatieobjecttype',
  ],
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

  /**
   * GETs `url` from its registered service and requires HTTP 200 after redirects (vng-api-common's
   * URLValidator): the fetched answer, or the `bad-url` problem for field `name`.
   */
  private async fetch200(
    url: string,
    name: string,
    headers: Record<string, string> = {},
  ): Promise<{ json: unknown } | { problem: InvalidParam }> {
    let res;
    try {
      res = await this.http.get(url, headers);
    } catch (err) {
      if (err instanceof UnregisteredUrlError) {
        return {
          problem: {
            name,
            code: 'bad-url',
            reason: `De URL ${url} hoort niet bij een geregistreerde service en wordt niet opgehaald.`,
          },
        };
      }
      throw err;
    }
    if (res.ok && res.status === 200) return { json: res.json };
    return {
      problem: {
        name,
        code: 'bad-url',
        reason: `De URL ${url} kon niet opgehaald worden: ${res.ok ? `HTTP ${res.status}` : res.reason}.`,
      },
    };
  }

  async checkUrl(url: string, name: string): Promise<InvalidParam | undefined> {
    const fetched = await this.fetch200(url, name);
    return 'problem' in fetched ? fetched.problem : undefined;
  }

  async checkResource(url: string, name: string, kind: RemoteKind): Promise<InvalidParam | undefined> {
    const fetched = await this.fetch200(url, name, HEADERS[kind]);
    if ('problem' in fetched) return fetched.problem;
    const doc = fetched.json;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      return { name, code: 'invalid-resource', reason: `De URL ${url} geeft geen JSON-object terug.` };
    }
    // All of these are non-nullable strings in the pinned schemas: null or another JSON type fails
    // vng-api-common's obj_has_shape just like a missing property.
    const missing = REQUIRED[kind].filter((p) => typeof (doc as Record<string, unknown>)[p] !== 'string');
    if (missing.length) {
      return {
        name,
        code: 'invalid-resource',
        reason: `Het object op ${url} is geen geldige ${kind} (mist of ongeldig: ${missing.join(', ')}).`,
      };
    }
    return undefined;
  }

  async countRelations(objectUrl: string, collection: string, query: Record<string, string>): Promise<RelationLookup> {
    let res;
    let url: string;
    try {
      const service = await this.http.serviceFor(objectUrl);
      const root = apiRootOf(objectUrl) ?? service.apiRoot.replace(/\/+$/, '');
      url = `${root}/${collection}?${new URLSearchParams(query).toString()}`;
      res = await this.http.get(url); // the collection may fall outside a narrowly registered root
    } catch (err) {
      if (err instanceof UnregisteredUrlError) return { ok: false, reason: err.message };
      throw err;
    }
    if (!res.ok) return { ok: false, reason: res.reason, ...(res.status === undefined ? {} : { status: res.status }) };
    const items = listItems<unknown>(res.json);
    if (!items) return { ok: false, reason: `${url} did not answer a list` };
    return { ok: true, count: items.length };
  }
}

const UUID_SEGMENT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The API root of a resource URL as zds-client finds it: everything before `<resource>/<uuid>`
 * (`https://zrc/api/v1/zaken/<uuid>` → `https://zrc/api/v1`). The registered service may have a
 * broader root (one entry for a whole gateway); the related collection lives next to the object.
 * Undefined when the URL has no uuid segment.
 */
function apiRootOf(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const segments = u.pathname.split('/');
  const at = segments.findLastIndex((s) => UUID_SEGMENT.test(s));
  if (at < 2) return undefined;
  return `${u.origin}${segments.slice(0, at - 1).join('/')}`;
}
