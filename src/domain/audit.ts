import { randomUUID } from 'node:crypto';
import * as applicaties from '../db/applicaties.js';
import * as audittrails from '../db/audittrails.js';
import type { AuditRow } from '../db/audittrails.js';
import { nowStoredDateTime, toApiDateTime } from './datetime.js';
import type { DomainContext, Json, Row } from './resource.js';
import { parseJson } from './validation.js';
import type { Urls } from './urls.js';

/** Who asks for a write and why: from the JWT-ZGW claims and the audit headers of the request. */
export interface Actor {
  clientId: string;
  userId: string;
  userRepresentation: string;
  /** X-Audit-Toelichting */
  toelichting: string;
  /** X-NLX-Logrecord-ID */
  logrecordId: string;
  /** A display name of the application, when the caller knows one. */
  applicatieWeergave?: string;
}

export type WriteAction = 'create' | 'update' | 'partial_update' | 'destroy';

/** A committed write of one row: no `before` on create, no `after` on destroy. */
export interface WriteChange {
  action: WriteAction;
  before?: Row;
  after?: Row;
}

const RESULTAAT: Record<WriteAction, number> = { create: 201, update: 200, partial_update: 200, destroy: 204 };
const ACTIE_WEERGAVE: Record<WriteAction, string> = {
  create: 'Object aangemaakt',
  update: 'Object bijgewerkt',
  partial_update: 'Object deels bijgewerkt',
  destroy: 'Object verwijderd',
};

/** As the Klanten API's unique representation of a klant. */
const weergave = (row: Row): string => `${String(row['bronorganisatie'])} - ${String(row['klantnummer'])}`;

/**
 * The audit trail recorder of a klant view: stores who (the actor), what (the representation
 * before and after, in the view that made the change) and when. Whatever writes a klant through
 * the generic engine (either API, the admin) records through this, inside the write's transaction.
 */
export function klantAuditRecorder(represent: (row: Row, ctx: DomainContext) => Json) {
  return async (ctx: DomainContext, change: WriteChange): Promise<void> => {
    const row = (change.after ?? change.before)!;
    const actor = ctx.actor;
    // As vng-api-common: the applicatie's label (our applicaties table holds every client with its label).
    const applicatieWeergave =
      actor?.applicatieWeergave ??
      (actor?.clientId ? ((await applicaties.findByClientId(ctx.db, actor.clientId))?.label ?? '') : '');
    await audittrails.insert(ctx.db, {
      uuid: randomUUID(),
      klant_uuid: row.uuid,
      bron: 'kc',
      applicatie_id: actor?.clientId ?? '',
      applicatie_weergave: applicatieWeergave,
      gebruikers_id: actor?.userId ?? '',
      gebruikers_weergave: actor?.userRepresentation ?? '',
      actie: change.action,
      actie_weergave: ACTIE_WEERGAVE[change.action],
      resultaat: RESULTAAT[change.action],
      resource: 'klant',
      resource_weergave: weergave(row),
      toelichting: actor?.toelichting ?? '',
      logrecord_id: actor?.logrecordId ?? '',
      oud: change.before ? JSON.stringify(represent(change.before, ctx)) : null,
      nieuw: change.after ? JSON.stringify(represent(change.after, ctx)) : null,
      aanmaakdatum: nowStoredDateTime(),
    });
  };
}

/** An entry as the Klanten API shows it; the URLs point at the klant in the Klanten API (`urls`). */
export function auditToApi(row: AuditRow, urls: Urls): Json {
  const klantUrl = urls.of('klanten', row.klant_uuid);
  return {
    uuid: row.uuid,
    bron: row.bron,
    applicatieId: row.applicatie_id,
    applicatieWeergave: row.applicatie_weergave,
    gebruikersId: row.gebruikers_id,
    gebruikersWeergave: row.gebruikers_weergave,
    actie: row.actie,
    actieWeergave: row.actie_weergave,
    resultaat: row.resultaat,
    hoofdObject: klantUrl,
    resource: row.resource,
    resourceUrl: klantUrl,
    toelichting: row.toelichting,
    resourceWeergave: row.resource_weergave,
    aanmaakdatum: toApiDateTime(row.aanmaakdatum),
    // The spec admits no null here: a create has no `oud`, a destroy no `nieuw`.
    wijzigingen: {
      ...(row.oud ? { oud: parseJson<Json>(row.oud, {}) } : {}),
      ...(row.nieuw ? { nieuw: parseJson<Json>(row.nieuw, {}) } : {}),
    },
  };
}

/** The trail of a klant, oldest first (also of a deleted one: it outlives the klant). */
export async function trailOf(ctx: DomainContext, klantUuid: string): Promise<AuditRow[]> {
  return audittrails.listForKlant(ctx.db, klantUuid);
}

export async function entryOf(ctx: DomainContext, klantUuid: string, uuid: string): Promise<AuditRow | undefined> {
  return audittrails.findForKlant(ctx.db, klantUuid, uuid);
}
