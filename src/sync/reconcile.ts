import { randomUUID } from 'node:crypto';
import type { Db } from '../db/knex.js';
import * as outbox from '../db/outbox.js';
import * as links from '../db/remote-links.js';
import { listItems, type RemoteHttp } from '../remote/http.js';
import { DRC } from './drc.js';

export interface ReconcileReport {
  verzoeken: number;
  queuedCreates: number;
  queuedDeletes: number;
  errors: string[];
}

interface Oio {
  url?: string;
  object?: string;
  informatieobject?: string;
}

/**
 * Compares our verzoekinformatieobjecten with the DRC's objectinformatieobjecten of each verzoek
 * (`?object=<verzoek URL>`) and queues the creates and deletes that make the DRC match us. The
 * DRCs asked are the registered services that hold the document of any of our relations or a
 * mirror we made, plus `extraRoots`. Nothing is queued for a DRC that does not answer.
 */
export async function reconcile(
  db: Db,
  http: RemoteHttp,
  o: { verzoekUrl: (uuid: string) => string; verzoek?: string; extraRoots?: string[] },
): Promise<ReconcileReport> {
  const report: ReconcileReport = { verzoeken: 0, queuedCreates: 0, queuedDeletes: 0, errors: [] };
  const vios = (await db('verzoekinformatieobjecten')
    .select('uuid', 'verzoek_uuid', 'informatieobject')
    .modify((q) => {
      if (o.verzoek) q.where({ verzoek_uuid: o.verzoek });
    })) as { uuid: string; verzoek_uuid: string; informatieobject: string }[];

  // The DRCs to ask: those holding the document of any relation (of any verzoek: a verzoek whose
  // relations are all gone may still have mirrors there), those we mirrored into, and extraRoots.
  const roots = new Set(o.extraRoots?.map((r) => r.replace(/\/?$/, '/')) ?? []);
  const rootOf = new Map<string, string>();
  const documents = (await db('verzoekinformatieobjecten').distinct('informatieobject')) as {
    informatieobject: string;
  }[];
  const mirrored = (await db('remote_links').where({ destination: DRC }).select('remote_url')) as {
    remote_url: string;
  }[];
  for (const url of [...documents.map((d) => d.informatieobject), ...mirrored.map((m) => m.remote_url)]) {
    const service = await http.serviceFor(url).catch(() => undefined);
    if (!service) continue;
    const root = service.apiRoot.replace(/\/?$/, '/');
    roots.add(root);
    rootOf.set(url, root);
  }
  const verzoeken = o.verzoek
    ? [o.verzoek]
    : ((await db('verzoeken').select('uuid').orderBy('id')) as { uuid: string }[]).map((r) => r.uuid);

  for (const verzoek of verzoeken) {
    report.verzoeken++;
    const object = o.verzoekUrl(verzoek);
    const ours = vios.filter((v) => v.verzoek_uuid === verzoek);
    const remote: Oio[] = [];
    const unanswered = new Set<string>();
    for (const root of roots) {
      const res = await http.get(`${root}objectinformatieobjecten?${new URLSearchParams({ object }).toString()}`);
      if (!res.ok) {
        report.errors.push(`${root}: ${res.reason}`);
        unanswered.add(root);
        continue;
      }
      remote.push(...(listItems<Oio>(res.json) ?? []).filter((r) => r.object === object));
    }
    const now = Date.now();
    for (const v of ours) {
      if (remote.some((r) => r.informatieobject === v.informatieobject)) continue;
      // A DRC that did not answer is not missing anything we know of.
      if (unanswered.has(rootOf.get(v.informatieobject) ?? '')) continue;
      // A link to a mirror that is gone would make the worker think the create is done already.
      await links.remove(db, DRC, v.uuid);
      await outbox.enqueue(db, {
        destination: DRC,
        event: 'verzoekinformatieobject.created',
        aggregateId: v.uuid,
        payload: { uuid: v.uuid, verzoek, informatieobject: v.informatieobject },
        now,
      });
      report.queuedCreates++;
    }
    for (const r of remote) {
      if (!r.informatieobject || ours.some((v) => v.informatieobject === r.informatieobject)) continue;
      const id = `reconcile-${randomUUID()}`; // no local row: the delete finds the mirror by its pair
      await outbox.enqueue(db, {
        destination: DRC,
        event: 'verzoekinformatieobject.deleted',
        aggregateId: id,
        payload: { uuid: id, verzoek, informatieobject: r.informatieobject },
        now,
      });
      report.queuedDeletes++;
    }
  }
  // Once for all it queued, not a NOTIFY per row.
  if (report.queuedCreates + report.queuedDeletes > 0) await outbox.wakeWorkers(db);
  return report;
}
