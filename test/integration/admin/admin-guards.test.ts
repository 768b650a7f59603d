import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { adminRouter, type AdminDeps } from '../../../src/admin/router.js';
import { hasRole } from '../../../src/admin/session.js';
import { ROLES, type Role } from '../../../src/db/admin-users.js';
import { AdminClient, addUsers, emptyAdmin, KLANT, type Page, uuidOf } from '../../helpers/admin.js';
import { describeApi } from '../../helpers/app.js';

// Every route of the admin router against every role and against forged forms: the router's own
// route list is the checklist, so a route added later without an entry here fails the first test.

/** `METHOD /pattern` of every route the admin router has (nested routers included). */
function routesOf(): string[] {
  const router = adminRouter({ db: {}, ctx: {}, definition: {}, publicUrl: 'http://x', idleMinutes: 30 } as AdminDeps);
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const l of stack) {
      if (l.route) for (const m of Object.keys(l.route.methods)) out.push(`${m.toUpperCase()} ${l.route.path}`);
      else if (l.handle?.stack) walk(l.handle.stack);
    }
  };
  walk((router as unknown as { stack: Layer[] }).stack);
  return out;
}

/** Ids of the rows a check works on, made fresh for each role. */
interface Fixture {
  klant: string;
  klantWithCopy: string;
  verzoek: string;
  contactmoment: string;
}

interface Check {
  route: string;
  /** The lowest role that may use it (null: no session needed). */
  role: Role | null;
  path(f: Fixture): string;
  form?: Record<string, string>;
  /** Part of the role matrix (default true). */
  matrix?: boolean;
}

const NOWHERE = '6f3a5b1e-2f55-4a5d-9d7c-0c1f3b7a9e11';

/**
 * One concrete request per route. State-changing ones aim at rows that do not exist or send empty
 * forms where that suffices: a role that may use the route then gets 400/404, never 403.
 */
const CHECKS: Check[] = [
  { route: 'GET /inloggen', role: null, path: () => '/admin/inloggen' },
  // Its double-submit token is tested with the CSRF refusals below (a session has no login form).
  { route: 'POST /inloggen', role: null, path: () => '/admin/inloggen', form: { username: 'vera' }, matrix: false },
  { route: 'GET /', role: 'viewer', path: () => '/admin/' },
  { route: 'GET /sync', role: 'viewer', path: () => '/admin/sync' },
  { route: 'POST /sync/alles-opnieuw', role: 'editor', path: () => '/admin/sync/alles-opnieuw' },
  { route: 'POST /sync/:id/opnieuw', role: 'editor', path: () => '/admin/sync/999999/opnieuw' },
  { route: 'POST /sync/reconcile', role: 'editor', path: () => '/admin/sync/reconcile', form: { verzoek: 'x' } },
  { route: 'GET /gebruikers', role: 'admin', path: () => '/admin/gebruikers' },
  { route: 'POST /gebruikers', role: 'admin', path: () => '/admin/gebruikers', form: { username: '' } },
  { route: 'POST /gebruikers/:username/rol', role: 'admin', path: () => '/admin/gebruikers/niemand/rol' },
  { route: 'POST /gebruikers/:username/wachtwoord', role: 'admin', path: () => '/admin/gebruikers/niemand/wachtwoord' },
  {
    route: 'POST /gebruikers/:username/verwijderen',
    role: 'admin',
    path: () => '/admin/gebruikers/niemand/verwijderen',
  },
  { route: 'GET /applicaties', role: 'admin', path: () => '/admin/applicaties' },
  { route: 'POST /applicaties', role: 'admin', path: () => '/admin/applicaties', form: { clientId: '' } },
  {
    route: 'POST /applicaties/:clientId/verwijderen',
    role: 'admin',
    path: () => '/admin/applicaties/niemand/verwijderen',
  },
  { route: 'GET /services', role: 'admin', path: () => '/admin/services' },
  { route: 'POST /services', role: 'admin', path: () => '/admin/services', form: { apiRoot: 'nonsense' } },
  { route: 'POST /services/verwijderen', role: 'admin', path: () => '/admin/services/verwijderen' },
  { route: 'GET /audit', role: 'admin', path: () => '/admin/audit' },
  { route: 'GET /werkkopieen', role: 'viewer', path: () => '/admin/werkkopieen' },
  ...['klanten', 'contactmomenten', 'verzoeken', 'verzoekproducten'].flatMap((name): Check[] => [
    { route: 'GET /:resource', role: 'viewer', path: () => `/admin/${name}` },
    { route: 'GET /:resource/nieuw', role: 'editor', path: () => `/admin/${name}/nieuw` },
    { route: 'POST /:resource/nieuw', role: 'editor', path: () => `/admin/${name}/nieuw` },
  ]),
  { route: 'GET /:resource/:uuid', role: 'viewer', path: (f) => `/admin/klanten/${f.klant}` },
  { route: 'GET /:resource/:uuid', role: 'viewer', path: (f) => `/admin/verzoeken/${f.verzoek}` },
  { route: 'GET /:resource/:uuid', role: 'viewer', path: (f) => `/admin/contactmomenten/${f.contactmoment}` },
  { route: 'POST /:resource/:uuid/bsn', role: 'viewer', path: (f) => `/admin/klanten/${f.klant}/bsn` },
  { route: 'GET /:resource/:uuid/bewerken', role: 'editor', path: (f) => `/admin/klanten/${f.klant}/bewerken` },
  { route: 'GET /:resource/:uuid/bewerken', role: 'editor', path: (f) => `/admin/verzoeken/${f.verzoek}/bewerken` },
  { route: 'POST /:resource/:uuid/bewerken', role: 'editor', path: (f) => `/admin/verzoeken/${f.verzoek}/bewerken` },
  { route: 'POST /:resource/:uuid/bewerken', role: 'editor', path: (f) => `/admin/klanten/${f.klant}/bewerken` },
  {
    route: 'GET /:resource/:uuid/verwijderen',
    role: 'editor',
    path: (f) => `/admin/verzoeken/${f.verzoek}/verwijderen`,
  },
  { route: 'GET /:resource/:uuid/verwijderen', role: 'approver', path: (f) => `/admin/klanten/${f.klant}/verwijderen` },
  { route: 'POST /:resource/:uuid/verwijderen', role: 'editor', path: () => `/admin/verzoeken/${NOWHERE}/verwijderen` },
  { route: 'POST /:resource/:uuid/verwijderen', role: 'approver', path: () => `/admin/klanten/${NOWHERE}/verwijderen` },
  { route: 'GET /klanten/:uuid/werkkopie', role: 'viewer', path: (f) => `/admin/klanten/${f.klantWithCopy}/werkkopie` },
  {
    route: 'POST /klanten/:uuid/werkkopie/goedkeuren',
    role: 'approver',
    path: () => `/admin/klanten/${NOWHERE}/werkkopie/goedkeuren`,
  },
  {
    route: 'POST /klanten/:uuid/werkkopie/afkeuren',
    role: 'editor',
    path: () => `/admin/klanten/${NOWHERE}/werkkopie/afkeuren`,
  },
  {
    route: 'POST /verzoeken/:uuid/documenten',
    role: 'editor',
    path: (f) => `/admin/verzoeken/${f.verzoek}/documenten`,
    form: { informatieobject: 'not a url' },
  },
  {
    route: 'POST /verzoeken/:uuid/documenten/:vio/ontkoppelen',
    role: 'editor',
    path: (f) => `/admin/verzoeken/${f.verzoek}/documenten/${NOWHERE}/ontkoppelen`,
  },
  // Last: it ends the session.
  { route: 'POST /uitloggen', role: 'viewer', path: () => '/admin/uitloggen' },
];

/** What an HTML page of the admin must hold to, whoever asks and whatever the status. */
function expectStrictPage(page: Page, what: string): void {
  const csp = page.headers.get('content-security-policy') ?? '';
  expect(csp, what).to.include("default-src 'none'").and.include("frame-ancestors 'none'");
  expect(csp, what).to.include("style-src 'self'").and.not.include('unsafe-inline');
  expect(csp, what).not.to.match(/script-src/); // no script at all: default-src 'none' refuses every one
  expect(page.headers.get('x-content-type-options'), what).to.equal('nosniff');
  expect(page.headers.get('x-frame-options'), what).to.be.a('string');
  expect(page.headers.get('referrer-policy'), what).to.equal('same-origin');
  expect(page.headers.get('cache-control'), what).to.equal('no-store');
  if (page.html) expect(page.html, what).not.to.match(/<script|<style|\sstyle=|\son[a-z]+=|javascript:/i);
}

describeApi('admin: every route against every role and forged forms', (t) => {
  let base: string;
  const as = async (username: string) => {
    const c = new AdminClient(base);
    expect((await c.login(username)).status, `login of ${username}`).to.equal(303);
    return c;
  };
  const newKlant = async () => uuidOf((await t.api().post('/api/v1/klanten', KLANT)).body.url);

  const fixture = async (): Promise<Fixture> => {
    const klant = await newKlant();
    const klantWithCopy = await newKlant();
    const saved = await (await as('wim')).proposeKlantEdit(klantWithCopy, { voornaam: 'Wim wil dit' });
    expect(saved.status).to.equal(303);
    const verzoek = await t.api().post('/api/v1/verzoeken', { bronorganisatie: '123456782', status: 'ontvangen' });
    const cm = await t.api().post('/api/v1/contactmomenten', {
      bronorganisatie: '123456782',
      medewerker: 'https://medewerkers.example/api/v1/medewerkers/1',
    });
    return { klant, klantWithCopy, verzoek: uuidOf(verzoek.body.url), contactmoment: uuidOf(cm.body.url) };
  };

  /** What a refused request must leave as it was. */
  const state = async () => ({
    audit: (await t.db()('admin_audit').max({ id: 'id' }).first())?.['id'] ?? 0,
    users: await t.db()('admin_users').orderBy('id').select('username', 'role', 'password_hash'),
    copies: await t.db()('klant_working_copies').orderBy('id'),
    klanten: await t.db()('klanten').orderBy('id').select('uuid', 'voornaam', 'updated_at'),
    verzoeken: await t.db()('verzoeken').orderBy('id').select('uuid', 'status', 'updated_at'),
    applicaties: await t.db()('applicaties').orderBy('client_id').select('client_id', 'secret'),
    services: await t.db()('services').orderBy('api_root').select('api_root'),
    sessions: (await t.db()('admin_sessions').count({ n: '*' }).first())?.['n'],
  });

  beforeEach(async () => {
    base = t.api().baseUrl;
    await emptyAdmin(t.db());
    await addUsers(t.db(), { vera: 'viewer', eddy: 'editor', wim: 'editor', anton: 'approver', ada: 'admin' });
  });

  it('has a check for every route of the admin router', () => {
    const covered = new Set(CHECKS.map((c) => c.route));
    const routes = routesOf();
    expect(routes.filter((r) => !covered.has(r))).to.deep.equal([]);
    expect([...covered].filter((r) => !routes.includes(r))).to.deep.equal([]);
  });

  it('gives each role exactly its routes, and every page a strict CSP without inline script or style', async function () {
    this.timeout(120_000);
    const users: Record<Role, string> = { viewer: 'vera', editor: 'eddy', approver: 'anton', admin: 'ada' };
    for (const role of ROLES) {
      const f = await fixture();
      const c = await as(users[role]);
      for (const check of CHECKS.filter((x) => x.matrix !== false)) {
        const path = check.path(f);
        const what = `${role}: ${check.route} (${path})`;
        const method = check.route.split(' ')[0]!;
        const allowed = check.role === null || hasRole(role, check.role);
        const before = allowed ? undefined : await state();
        const res = method === 'GET' ? await c.get(path) : await c.post(path, check.form ?? {});
        expectStrictPage(res, what);
        if (allowed) {
          expect(res.status, what).to.be.oneOf(method === 'GET' ? [200, 303] : [200, 303, 400, 404, 409]);
          if (method === 'GET' && res.status === 303) expect(res.location, what).not.to.match(/inloggen/);
        } else {
          expect(res.status, what).to.equal(403);
          expect(await state(), `${what} changed nothing`).to.deep.equal(before);
        }
      }
    }
  });

  it('refuses every state-changing route without its CSRF token, with a wrong one and with another session’s, changing nothing', async function () {
    this.timeout(120_000);
    const f = await fixture();
    const other = await as('anton');
    const c = await as('ada');
    const posts = CHECKS.filter((check) => check.route.startsWith('POST '));
    expect(posts.length).to.be.greaterThan(20);
    for (const check of posts) {
      const path = check.path(f);
      const form = check.form ?? { voornaam: 'Vervalst', status: 'afgehandeld', username: 'mallory', role: 'admin' };
      for (const csrf of [null, '', 'x'.repeat(43), other.csrf]) {
        const before = await state();
        const res = await c.post(path, form, { csrf });
        expect(res.status, `${check.route} (${path}) with ${csrf === null ? 'no' : `"${csrf}"`} token`).to.equal(403);
        expect(res.html).to.include('CSRF');
        expectStrictPage(res, path);
        expect(await state(), `${path} changed nothing`).to.deep.equal(before);
      }
    }
    // A state-changing form without a session at all is refused too (no redirect that a GET gets).
    const anonymous = new AdminClient(base);
    expect((await anonymous.post(`/admin/verzoeken/${f.verzoek}/verwijderen`, {}, { csrf: c.csrf })).status).to.equal(
      401,
    );
    expect((await t.api().get(`/api/v1/verzoeken/${f.verzoek}`)).status).to.equal(200);
  });

  it('gives a new session id at login, whatever cookie the browser brought, and the planted one opens nothing', async () => {
    const planted = 'planted-by-an-attacker-0000000000000000000';
    const c = new AdminClient(base);
    c.setCookie('kic_admin', planted);
    await c.get('/admin/inloggen');
    expect((await c.login('vera')).status).to.equal(303);
    expect(c.cookie('kic_admin')).to.be.a('string').and.not.equal(planted);
    expect(await t.db()('admin_sessions').count({ n: '*' }).first()).to.deep.include({ n: 1 });
    const stale = new AdminClient(base);
    stale.setCookie('kic_admin', planted);
    expect((await stale.get('/admin/klanten')).status).to.equal(303);
  });

  it('does not record a BSN view of a klant that does not exist', async () => {
    const c = await as('vera');
    const missing = randomUUID();
    expect((await c.post(`/admin/klanten/${missing}/bsn`)).status).to.equal(404);
    expect(await t.db()('admin_audit').where('target', 'like', `%${missing}`).first()).to.equal(undefined);
  });
});
