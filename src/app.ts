import express from 'express';
import { LRUCache } from 'lru-cache';
import { Authenticator } from './auth/authenticator.js';
import { NO_GRANT, type Grant } from './auth/scopes.js';
import * as applicaties from './db/applicaties.js';
import type { Db } from './db/knex.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { adminRouter } from './admin/router.js';
import { createBackend } from './api/backend.js';
import { resourceHandlers, type WriteHooks } from './api/handlers.js';
import { KLANTEN_API_PATH, KLANTEN_API_VERSION, klantenApiHandlers } from './api/klanten-api.js';
import { apiRouter } from './api/router.js';
import { SpecShapes } from './api/shapes.js';
import { KIC_API_VERSION, loadSpec } from './api/spec.js';
import type { DomainContext } from './domain/resource.js';
import type { SyncPort } from './domain/sync.js';
import { RESOURCE_DEFS } from './domain/registry.js';
import { Urls } from './domain/urls.js';
import { notFound, type Problem } from './errors.js';
import { autorisatiesApiGrants } from './remote/autorisaties.js';
import { HttpRemoteChecks } from './remote/checks.js';
import { registeredServicesHttp } from './remote/http.js';

export interface AppDeps {
  config: Config;
  db: Db;
  log: Logger;
  hooks?: WriteHooks;
  /** The outbox worker to wake and wait for after writes that mirror (none: no waiting). */
  sync?: SyncPort;
}

/** The HTTP application without a listening socket: main.ts and the tests listen on it. */
export async function createApp(deps: AppDeps): Promise<express.Express> {
  const { config, db, log } = deps;
  const urls = new Urls(config.publicUrl);
  const http = registeredServicesHttp(db, config.outgoingTimeoutMs);
  const spec = loadSpec('klantinteracties.yaml');
  const ctx: DomainContext = {
    db,
    urls,
    remote: new HttpRemoteChecks(http),
    shapes: new SpecShapes(spec.definition),
    defaultBronorganisatie: config.defaultBronorganisatie,
    ...(deps.sync ? { sync: deps.sync } : {}),
  };

  // Client applications are read at most every few seconds per client: a busy client costs no
  // database read per request, while `kic applicatie add|remove` still takes effect promptly.
  const applicatieCache = new LRUCache<string, { a: applicaties.Applicatie | undefined }>({
    max: 1000,
    ttl: 5_000,
    fetchMethod: async (clientId) => ({ a: await applicaties.findByClientId(db, clientId) }),
  });
  const applicatie = async (clientId: string) => (await applicatieCache.fetch(clientId))?.a;
  const localGrant = async (clientId: string): Promise<Grant> => {
    const a = await applicatie(clientId);
    return a ? { heeftAlleAutorisaties: a.heeftAlleAutorisaties, scopes: new Set(a.scopes) } : NO_GRANT;
  };
  const auth = new Authenticator(
    {
      secretFor: async (clientId) => (await applicatie(clientId))?.secret,
      grantFor: config.ac
        ? autorisatiesApiGrants(http, { ...config.ac, component: config.component, log })
        : localGrant,
    },
    config.jwt,
  );

  const handlers = Object.assign({}, ...RESOURCE_DEFS.map((def) => resourceHandlers(def, ctx, deps.hooks)));
  const backend = await createBackend({
    definition: spec.definition,
    apiRoot: '/api/v1',
    auth,
    handlers,
    lenientQueryOperations: new Set(['klant_list', 'contactmoment_list', 'verzoek_list']),
  });

  // The Klanten API 1.0 over the same klant store: its own spec, URLs and handlers, the same auth.
  const klantenSpec = loadSpec('klanten.yaml');
  const klantenCtx: DomainContext = {
    ...ctx,
    urls: new Urls(config.publicUrl, KLANTEN_API_PATH),
    shapes: new SpecShapes(klantenSpec.definition),
  };
  const klantenBackend = await createBackend({
    definition: klantenSpec.definition,
    apiRoot: KLANTEN_API_PATH,
    auth,
    handlers: klantenApiHandlers(klantenCtx, deps.hooks),
    // As the reference's viewsets (no CheckQueryParamsMixin): unknown parameters are ignored.
    lenientQueryOperations: new Set(['klant_list', 'audittrail_list']),
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // The client's address (the admin's per-address login limit) from that many proxies' X-Forwarded-For.
  app.set('trust proxy', config.trustProxy);
  app.use('/api/v1', apiRouter({ backend, spec, apiVersion: KIC_API_VERSION, publicUrl: config.publicUrl, log }));
  app.use(
    KLANTEN_API_PATH,
    apiRouter({
      backend: klantenBackend,
      spec: klantenSpec,
      apiVersion: KLANTEN_API_VERSION,
      publicUrl: config.publicUrl,
      log,
    }),
  );
  // The admin interface for people (HTML, sessions); the same domain layer as the API.
  app.use(
    '/admin',
    adminRouter({
      db,
      ctx,
      definition: spec.definition,
      publicUrl: config.publicUrl,
      log,
      http,
      idleMinutes: config.admin.idleMinutes,
    }),
  );
  app.use((req, res) => {
    const problem: Problem = notFound(
      `Nothing at ${req.path}; the APIs live under /api/v1 and ${KLANTEN_API_PATH}, the admin under /admin.`,
    );
    res.status(404).type('application/problem+json').send(problem.toJson(config.publicUrl));
  });
  return app;
}
