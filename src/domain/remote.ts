import type { InvalidParam } from '../errors.js';

/** Kinds of remote resources whose shape we check after fetching them. */
export type RemoteKind = 'EnkelvoudigInformatieObject' | 'Zaak';

/** The outcome of looking up relations in another component. */
export type RelationLookup = { ok: true; count: number } | { ok: false; reason: string; status?: number };

/**
 * What the domain needs from other components. Implemented over HTTP to registered services
 * only (src/remote); the domain never sees URLs fetched, tokens or timeouts.
 */
export interface RemoteChecks {
  /** Fetches `url` and checks it is a `kind`; returns the problem for field `name`, if any. */
  checkResource(url: string, name: string, kind: RemoteKind): Promise<InvalidParam | undefined>;
  /** Fetches `url` and checks it answers HTTP 200 (after redirects); returns the problem for field `name`, if any. */
  checkUrl(url: string, name: string): Promise<InvalidParam | undefined>;
  /** Counts `{apiRoot of objectUrl}/{collection}?{query}` in the component that holds `objectUrl`. */
  countRelations(objectUrl: string, collection: string, query: Record<string, string>): Promise<RelationLookup>;
}
