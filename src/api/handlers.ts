import type { Context } from 'openapi-backend';
import type { Caller } from '../auth/jwt-zgw.js';
import * as resource from '../domain/resource.js';
import type { DomainContext, Json, ResourceDef, Row } from '../domain/resource.js';
import { notFound } from '../errors.js';
import { ifNoneMatchHits, reply, withEtag, type Reply } from './reply.js';

export type OperationHandler = (c: Context) => Promise<Reply>;

/** Hooks the API layer offers around writes (notifications, outbox wake-ups, …). */
export interface WriteHooks {
  afterWrite?(resource: string, action: 'create' | 'update' | 'partial_update' | 'destroy', uuid: string): void;
}

const uuidOf = (c: Context): string => String(c.request.params['uuid']).toLowerCase();

function bodyOf(c: Context): Json {
  const { url: _readOnly, ...rest } = (c.request.requestBody ?? {}) as Json;
  return rest;
}

export function queryOf(c: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.request.query ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

const header = (c: Context, name: string): string => {
  const v = c.request.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

/** The domain context of one request: who writes, from the token's claims and the audit headers. */
export function requestContext(ctx: DomainContext, c: Context): DomainContext {
  const caller = c.security?.['JWT-Claims'] as Caller | undefined;
  return {
    ...ctx,
    actor: {
      clientId: caller?.clientId ?? '',
      userId: caller?.userId ?? '',
      userRepresentation: caller?.userRepresentation ?? '',
      toelichting: header(c, 'x-audit-toelichting'),
      logrecordId: header(c, 'x-nlx-logrecord-id'),
    },
  };
}

async function* representations(rows: AsyncIterable<Row>, def: ResourceDef, ctx: DomainContext) {
  for await (const row of rows) yield def.toApi(row, ctx.urls);
}

/**
 * The operations of one resource, keyed by the standard's operationIds. Resources without
 * update operations in the spec simply never get those handlers called.
 */
export function resourceHandlers(
  def: ResourceDef,
  ctx: DomainContext,
  hooks: WriteHooks = {},
): Record<string, OperationHandler> {
  const s = def.singular;
  const location = (row: Row) => ctx.urls.of(def.name, row.uuid);

  const write = async (c: Context, partial: boolean): Promise<Reply> => {
    const row = await resource.update(requestContext(ctx, c), def, uuidOf(c), bodyOf(c), partial);
    hooks.afterWrite?.(def.name, partial ? 'partial_update' : 'update', row.uuid);
    return reply(200, def.toApi(row, ctx.urls));
  };

  return {
    [`${s}_list`]: async (c) => ({
      status: 200,
      items: representations(resource.list(ctx, def, queryOf(c)), def, ctx),
    }),

    [`${s}_read`]: async (c) => conditionalReply(c, def.toApi(await resource.get(ctx, def, uuidOf(c)), ctx.urls)),

    [`${s}_create`]: async (c) => {
      const row = await resource.create(requestContext(ctx, c), def, bodyOf(c));
      hooks.afterWrite?.(def.name, 'create', row.uuid);
      return reply(201, def.toApi(row, ctx.urls), { Location: location(row) });
    },

    [`${s}_update`]: (c) => write(c, false),
    [`${s}_partial_update`]: (c) => write(c, true),

    [`${s}_delete`]: async (c) => {
      const uuid = uuidOf(c);
      await resource.remove(requestContext(ctx, c), def, uuid);
      hooks.afterWrite?.(def.name, 'destroy', uuid);
      return { status: 204 };
    },
  };
}

/** A detail read with its ETag: 304 when If-None-Match names it (HEAD gets the same headers). */
export function conditionalReply(c: Context, representation: unknown): Reply {
  const { json, etag } = withEtag(representation);
  if (ifNoneMatchHits(c.request.headers['if-none-match'] as string | undefined, etag)) {
    return { status: 304, headers: { ETag: etag } };
  }
  return { status: 200, body: json, headers: { ETag: etag } };
}

export const notFoundHandler = (): Promise<Reply> => Promise.reject(notFound());
