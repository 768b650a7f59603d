/** The eight resources of the Klantinteracties API, by their URL segment (also their table name). */
export const RESOURCES = [
  'klanten',
  'contactmomenten',
  'verzoeken',
  'objectcontactmomenten',
  'objectverzoeken',
  'verzoekcontactmomenten',
  'verzoekinformatieobjecten',
  'verzoekproducten',
] as const;
export type ResourceName = (typeof RESOURCES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

export type ParsedUrl = { resource: ResourceName; uuid: string } | { resource: undefined; uuid: undefined };

/**
 * Resource URLs of this component, always built from the one configured public base URL
 * (never from a request's Host header), so that the URLs we hand out and the URLs other
 * components send back match byte for byte.
 */
export class Urls {
  readonly apiRoot: string;
  private readonly origin: string;
  private readonly apiPath: string;

  /** `apiPath`: where the API is mounted (the Klanten API lives under /klanten/api/v1). */
  constructor(
    readonly publicUrl: string,
    apiPath = '/api/v1',
  ) {
    this.apiRoot = `${publicUrl}${apiPath}`;
    const u = new URL(this.apiRoot);
    this.origin = u.origin;
    this.apiPath = u.pathname;
  }

  of(resource: ResourceName, uuid: string): string {
    return `${this.apiRoot}/${resource}/${uuid}`;
  }

  /**
   * Resolves one of our resource URLs by its path, ignoring the host as vng-api-common does
   * for hyperlinked fields. Anything that is not `…/api/v1/<resource>/<uuid>` resolves to nothing.
   */
  parse(url: string): ParsedUrl {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return { resource: undefined, uuid: undefined };
    }
    const prefix = `${this.apiPath}/`;
    if (!u.pathname.startsWith(prefix) || u.search) return { resource: undefined, uuid: undefined };
    const [resource, uuid, ...rest] = u.pathname.slice(prefix.length).split('/');
    if (rest.length || !resource || !uuid || !isUuid(uuid) || !(RESOURCES as readonly string[]).includes(resource)) {
      return { resource: undefined, uuid: undefined };
    }
    return { resource: resource as ResourceName, uuid: uuid.toLowerCase() };
  }

  /** True when the URL is on this component's public origin (list filters on local URLs need it). */
  isOwnOrigin(url: string): boolean {
    try {
      return new URL(url).origin === this.origin;
    } catch {
      return false;
    }
  }
}
