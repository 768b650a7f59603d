import type { Db } from '../db/knex.js';
import * as outbox from '../db/outbox.js';
import type { OutboxRow } from '../db/outbox.js';
import * as links from '../db/remote-links.js';
import type { FetchOutcome, RemoteHttp } from '../remote/http.js';
import { UnregisteredUrlError, listItems } from '../remote/http.js';
import type { Destination, Outcome } from './destination.js';

export const DRC = 'drc';

interface VioEvent {
  uuid: string;
  verzoek: string; // uuid of the verzoek
  informatieobject: string;
}

const isTransientStatus = (status: number | undefined) =>
  status === undefined || status >= 500 || status === 408 || status === 429;

function failure(what: string, res: Extract<FetchOutcome, { ok: false }>): Outcome {
  return {
    ok: false,
    permanent: !isTransientStatus(res.status),
    error: `${what}: ${res.reason}${res.body ? ` — ${res.body.slice(0, 500)}` : ''}`,
    ...(res.body ? { result: res.body.slice(0, 2000) } : {}),
  };
}

/**
 * Mirrors verzoekinformatieobjecten into the Documenten API as objectinformatieobjecten
 * (objectType "verzoek"). Every delivery is idempotent: a create first looks for the exact pair,
 * so a retry after a crash between the POST and recording its URL never creates a second one;
 * a delete of something already gone is done.
 */
export class DrcDestination implements Destination {
  readonly name = DRC;

  constructor(
    private readonly db: Db,
    private readonly http: RemoteHttp,
    private readonly verzoekUrl: (uuid: string) => string,
  ) {}

  /** Events about the same verzoek–document pair (also under different uuids) stay in order. */
  orderingKey(row: OutboxRow): string {
    const e = JSON.parse(row.payload) as VioEvent;
    return `${DRC} ${e.verzoek} ${e.informatieobject}`;
  }

  async deliver(row: OutboxRow): Promise<Outcome> {
    const e = JSON.parse(row.payload) as VioEvent;
    let root: string;
    try {
      root = (await this.http.serviceFor(e.informatieobject)).apiRoot.replace(/\/?$/, '/');
    } catch (err) {
      if (err instanceof UnregisteredUrlError) {
        return {
          ok: false,
          permanent: true,
          error: `no service registered for ${e.informatieobject}: register its Documenten API with kic service add`,
        };
      }
      throw err;
    }
    const collection = `${root}objectinformatieobjecten`;
    if (row.event === 'verzoekinformatieobject.created') return this.create(e, collection, row.attempts);
    if (row.event === 'verzoekinformatieobject.deleted') {
      const outcome = await this.remove(e, collection);
      // A create of this relation that the DRC refused needs nobody now that the relation is gone.
      if (outcome.ok) await outbox.supersedeFailed(this.db, DRC, e.uuid, row.id, Date.now());
      return outcome;
    }
    return { ok: false, permanent: true, error: `unknown event ${row.event}` };
  }

  private async linkExisting(e: VioEvent, collection: string, object: string): Promise<Outcome | undefined> {
    const existing = await this.lookup(collection, object, e.informatieobject);
    if ('outcome' in existing) return existing.outcome;
    if (!existing.url) return undefined;
    await links.save(this.db, DRC, e.uuid, existing.url);
    return { ok: true, result: existing.url };
  }

  private async create(e: VioEvent, collection: string, attempts: number): Promise<Outcome> {
    const known = await links.findWithSource(this.db, DRC, e.uuid, 'verzoekinformatieobjecten');
    if (known.remoteUrl) return { ok: true };
    // Deleted before we got to it: the delete event that follows has nothing to undo either.
    if (!known.sourceExists) return { ok: true, result: 'superseded' };
    const object = this.verzoekUrl(e.verzoek);
    // A retry may follow a POST whose answer was lost: look for the pair first. A first attempt
    // POSTs at once (one round trip less); should the pair exist already, the DRC's unique check
    // refuses it and the lookup below links the existing one.
    if (attempts > 1) {
      const linked = await this.linkExisting(e, collection, object);
      if (linked) return linked;
    }
    const res = await this.http.request(
      'POST',
      collection,
      {},
      { informatieobject: e.informatieobject, object, objectType: 'verzoek' },
    );
    if (!res.ok && res.status === 400 && refusedAsDuplicate(res.body)) {
      const linked = await this.linkExisting(e, collection, object);
      if (linked) return linked;
    }
    if (!res.ok) return failure(`POST ${collection}`, res);
    const url = (res.json as { url?: unknown } | undefined)?.url;
    if (typeof url !== 'string')
      return { ok: false, permanent: false, error: `POST ${collection} answered without a url` };
    return { ok: true, result: url, link: url };
  }

  private async remove(e: VioEvent, collection: string): Promise<Outcome> {
    let url = await links.find(this.db, DRC, e.uuid);
    // The pair exists here again under another uuid (deleted and made again before we got to
    // it): the mirror must stay, and now belongs to the new relation.
    const relinked = (await this.db('verzoekinformatieobjecten')
      .where({ verzoek_uuid: e.verzoek, informatieobject: e.informatieobject })
      .first('uuid')) as { uuid: string } | undefined;
    if (relinked) {
      if (url) {
        await links.save(this.db, DRC, relinked.uuid, url);
        await links.remove(this.db, DRC, e.uuid);
      }
      return { ok: true, result: 'pair exists again' };
    }
    if (!url) {
      // Never mirrored by us (or the link was lost): find it by the exact pair.
      const found = await this.lookup(collection, this.verzoekUrl(e.verzoek), e.informatieobject);
      if ('outcome' in found) return found.outcome;
      if (!found.url) return { ok: true, result: 'nothing to delete' };
      url = found.url;
    }
    const res = await this.http.request('DELETE', url);
    if (!res.ok && res.status !== 404) return failure(`DELETE ${url}`, res);
    await links.remove(this.db, DRC, e.uuid);
    return { ok: true, result: url };
  }

  private async lookup(
    collection: string,
    object: string,
    informatieobject: string,
  ): Promise<{ url?: string } | { outcome: Outcome }> {
    const query = new URLSearchParams({ object, informatieobject }).toString();
    const res = await this.http.get(`${collection}?${query}`);
    if (!res.ok) return { outcome: failure(`GET ${collection}`, res) };
    const items = listItems<{ url?: string; object?: string; informatieobject?: string }>(res.json) ?? [];
    const match = items.find(
      (i) => i.object === object && i.informatieobject === informatieobject && typeof i.url === 'string',
    );
    return match?.url ? { url: match.url } : {};
  }
}

/** True when a DRC's 400 says the object–informatieobject pair exists already (drc-003). */
function refusedAsDuplicate(body: string | undefined): boolean {
  try {
    const problem = JSON.parse(body ?? '') as { invalidParams?: { code?: string }[] };
    return (problem.invalidParams ?? []).some((p) => p.code === 'unique');
  } catch {
    return false;
  }
}
