import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type nunjucks from 'nunjucks';
import * as audit from '../db/audit.js';
import type { Role } from '../db/admin-users.js';
import type { Db } from '../db/knex.js';
import type { DomainContext } from '../domain/resource.js';
import { Problem } from '../errors.js';
import type { Logger } from '../logger.js';
import type { RemoteHttp } from '../remote/http.js';
import { FormBuilder } from './forms.js';
import { assetDir, createViews } from './render.js';
import { ADMIN_RESOURCES } from './resources.js';
import { current, hasRole, LOGIN_COOKIE, readCookie, sameToken, SessionManager, type AdminSession } from './session.js';
import { dataPages } from './data-pages.js';
import { managePages } from './manage-pages.js';
import { syncPages } from './sync-pages.js';

export interface AdminDeps {
  db: Db;
  ctx: DomainContext;
  /** The spec document (forms are generated from its schemas). */
  definition: Record<string, unknown>;
  publicUrl: string;
  log: Logger;
  http: RemoteHttp;
  idleMinutes: number;
}

/** What the page modules share: rendering, guards and the audit log. */
export interface AdminKit {
  deps: AdminDeps;
  forms: FormBuilder;
  render(res: Response, view: string, data: Record<string, unknown>, status?: number): void;
  need(role: Role): RequestHandler;
  me(res: Response): AdminSession;
  /** Appends to the audit log as the session's user; `db` a transaction the entry belongs to. */
  audit(
    res: Response,
    e: { action: string; target?: string; before?: unknown; after?: unknown },
    db?: Db,
  ): Promise<void>;
  /** Wraps an async handler so its errors reach the error page. */
  h(fn: (req: Request, res: Response) => Promise<void>): RequestHandler;
  /** A router for a page module whose routes each name the role they need. */
  routes(): { router: express.Router; get: Route; post: Route };
}

type Route = (path: string, role: Role, fn: (req: Request, res: Response) => Promise<unknown>) => void;

/** Dutch texts for the short codes a redirect carries (?ok=…): no free text in URLs. */
const NOTICES: Record<string, string> = {
  opgeslagen: 'Opgeslagen.',
  verwijderd: 'Verwijderd.',
  werkkopie: 'Je wijziging is opgeslagen als werkkopie en wacht op goedkeuring door een tweede persoon.',
  goedgekeurd: 'De werkkopie is goedgekeurd; de klant heeft de nieuwe gegevens.',
  afgekeurd: 'De werkkopie is verwijderd; de klant is ongewijzigd.',
  gekoppeld: 'Het document is gekoppeld.',
  ontkoppeld: 'Het document is ontkoppeld.',
  opnieuw: 'De aflevering staat klaar voor een nieuwe poging.',
};

/** The admin interface under /admin: server-rendered HTML, sessions in the database. */
export function adminRouter(deps: AdminDeps): express.Router {
  const views: nunjucks.Environment = createViews();
  const sessions = new SessionManager(deps.db, {
    idleMs: deps.idleMinutes * 60_000,
    secure: deps.publicUrl.startsWith('https:'),
    userRule: { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
    addressRule: { maxFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  });
  const router = express.Router();

  router.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
        },
      },
      strictTransportSecurity: deps.publicUrl.startsWith('https:'),
      referrerPolicy: { policy: 'same-origin' },
    }),
  );
  router.use('/static', express.static(assetDir('static'), { index: false, maxAge: '1h' }));
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store'); // pages show personal data: never from a cache
    next();
  });
  router.use(express.urlencoded({ extended: false, limit: '200kb', parameterLimit: 500 }));

  const kit: AdminKit = {
    deps,
    forms: new FormBuilder(deps.definition),
    render(res, view, data, status = 200) {
      const me = current(res);
      const html = views.render(view, {
        me,
        csrf: me?.csrfToken,
        isAdmin: me ? hasRole(me.role, 'admin') : false,
        nav: ADMIN_RESOURCES.map((r) => ({ name: r.def.name, title: r.title })),
        notice: NOTICES[String(res.req.query['ok'] ?? '')],
        ...data,
      });
      res.status(status).type('html').send(html);
    },
    need: (role) => (req, res, next) => {
      const me = current(res);
      if (!me) return void res.redirect(303, `/admin/inloggen?next=${encodeURIComponent(req.originalUrl)}`);
      if (!hasRole(me.role, role)) {
        return void kit.render(
          res,
          'error.njk',
          { title: 'Geen toegang', heading: 'Geen toegang', detail: `Hiervoor is de rol ${role} nodig.` },
          403,
        );
      }
      next();
    },
    me: (res) => current(res)!,
    audit: (res, e, db = deps.db) => audit.append(db, { username: current(res)?.username ?? '-', ...e }),
    h: (fn) => (req, res, next) => void fn(req, res).catch(next),
    routes() {
      const router = express.Router();
      const route =
        (method: 'get' | 'post'): Route =>
        (path, role, fn) =>
          void router[method](path, kit.need(role), (req, res, next) => void fn(req, res).catch(next));
      return { router, get: route('get'), post: route('post') };
    },
  };

  router.use((req, res, next) => void sessions.load(req, res, next).catch(next));

  // --- login and logout ---
  router.get('/inloggen', (req, res) => {
    if (current(res)) return void res.redirect(303, safeNext(req.query['next']));
    kit.render(res, 'login.njk', {
      title: 'Inloggen',
      loginToken: sessions.loginToken(req, res),
      next: safeNext(req.query['next']),
      expired: res.locals['expired'] === true,
    });
  });
  router.post(
    '/inloggen',
    kit.h(async (req, res) => {
      const body = req.body as Record<string, string | undefined>;
      const cookieToken = readCookie(req, LOGIN_COOKIE);
      if (!cookieToken || !sameToken(body['_csrf'], cookieToken)) {
        return kit.render(res, 'error.njk', csrfRefusal(), 403);
      }
      const username = String(body['username'] ?? '').trim();
      const result = await sessions.login(
        username,
        String(body['password'] ?? ''),
        req.ip ?? req.socket.remoteAddress ?? '',
      );
      if (!result.ok) {
        await audit.append(deps.db, {
          username: username || '-',
          action: result.locked ? 'login.locked' : 'login.failed',
          target: req.ip ?? '',
        });
        return kit.render(
          res,
          'login.njk',
          {
            title: 'Inloggen',
            loginToken: sessions.loginToken(req, res),
            next: safeNext(body['next']),
            username,
            error: result.locked
              ? 'Te veel mislukte pogingen: inloggen is tijdelijk geblokkeerd. Probeer het over een kwartier opnieuw.'
              : 'Gebruikersnaam of wachtwoord onjuist.',
          },
          result.locked ? 429 : 401,
        );
      }
      sessions.setSessionCookie(res, result.token);
      await audit.append(deps.db, { username: result.user.username, action: 'login', target: req.ip ?? '' });
      res.redirect(303, safeNext(body['next']));
    }),
  );

  // Everything below needs a session, and every POST its CSRF token.
  router.use((req, res, next) => {
    const me = current(res);
    if (!me) {
      if (req.method === 'GET' || req.method === 'HEAD') {
        return void res.redirect(303, `/admin/inloggen?next=${encodeURIComponent(req.originalUrl)}`);
      }
      return void kit.render(
        res,
        'error.njk',
        { title: 'Niet ingelogd', heading: 'Niet ingelogd', detail: 'Log eerst in.', back: '/admin/inloggen' },
        401,
      );
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const token = (req.body as Record<string, unknown> | undefined)?.['_csrf'];
      if (!sameToken(token, me.csrfToken)) return void kit.render(res, 'error.njk', csrfRefusal(), 403);
    }
    next();
  });

  router.post(
    '/uitloggen',
    kit.h(async (_req, res) => {
      await kit.audit(res, { action: 'logout' });
      await sessions.logout(res);
      res.redirect(303, '/admin/inloggen');
    }),
  );
  router.get('/', (_req, res) => res.redirect(303, '/admin/klanten'));

  router.use(syncPages(kit));
  router.use(managePages(kit));
  router.use(dataPages(kit));

  router.use((_req, res) =>
    kit.render(
      res,
      'error.njk',
      { title: 'Niet gevonden', heading: 'Niet gevonden', detail: 'Deze pagina bestaat niet.' },
      404,
    ),
  );
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return void res.destroy();
    if (err instanceof Problem && err.status < 500) {
      return kit.render(
        res,
        'error.njk',
        { title: err.title, heading: err.title, detail: err.detail, back: req.get('referer') },
        err.status,
      );
    }
    deps.log.error({ err, url: req.originalUrl }, 'admin request failed');
    kit.render(
      res,
      'error.njk',
      {
        title: 'Fout',
        heading: 'Er ging iets mis',
        detail: 'Probeer het opnieuw; blijft het misgaan, meld het dan bij de beheerder.',
      },
      500,
    );
  });
  return router;
}

function csrfRefusal() {
  return {
    title: 'Geweigerd',
    heading: 'Formulier geweigerd',
    detail: 'Het formulier had geen geldig beveiligingstoken (CSRF). Laad de pagina opnieuw en probeer het nog eens.',
  };
}

/** Only a local admin path as the place to go after login (no open redirect). */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/admin(\/[^/\\]|$|\?)/.test(value) && !value.includes('//')
    ? value
    : '/admin/klanten';
}
