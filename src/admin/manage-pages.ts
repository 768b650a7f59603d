import type { Response, Router } from 'express';
import { randomBytes } from 'node:crypto';
import * as applicaties from '../db/applicaties.js';
import * as audit from '../db/audit.js';
import * as users from '../db/admin-users.js';
import { ROLES, type Role } from '../db/admin-users.js';
import * as services from '../db/services.js';
import { SCOPES } from '../auth/scopes.js';
import { hashPassword, randomPassword } from './passwords.js';
import { maskBsns } from './resources.js';
import type { AdminKit } from './router.js';

const str = (body: unknown, name: string): string => {
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' ? v.trim() : '';
};
const list = (body: unknown, name: string): string[] => {
  const v = (body as Record<string, unknown>)[name];
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
};

/** Users, API clients, outgoing services and the audit log: the admin role only. */
export function managePages(kit: AdminKit): Router {
  const { db } = kit.deps;
  const { router, get, post } = kit.routes();

  const shownOnce = (res: Response, o: { heading: string; label: string; secret: string; back: string }) =>
    kit.render(res, 'secret.njk', { title: o.heading, ...o });

  /** A management page with its rows; a refused form shows its error above them. */
  const managed =
    (view: string, title: string, section: string, rows: () => Promise<Record<string, unknown>>) =>
    async (res: Response, o: { error?: string; status?: number } = {}) =>
      kit.render(res, view, { title, section, ...(await rows()), error: o.error }, o.status ?? 200);

  // --- users ---
  const showUsers = managed('gebruikers.njk', 'Gebruikers', 'gebruikers', async () => ({
    users: await users.list(db),
    roles: ROLES,
  }));
  get('/gebruikers', 'admin', (_req, res) => showUsers(res));

  post('/gebruikers', 'admin', async (req, res) => {
    const username = str(req.body, 'username');
    const role = str(req.body, 'role') as Role;
    if (!/^[\w.@-]{1,100}$/.test(username) || !ROLES.includes(role)) {
      return showUsers(res, {
        error: 'Geef een gebruikersnaam (letters, cijfers, . _ - @) en een rol.',
        status: 400,
      });
    }
    const password = randomPassword();
    if (!(await users.add(db, { username, role, passwordHash: await hashPassword(password) }))) {
      return showUsers(res, { error: `Gebruiker ${username} bestaat al.`, status: 400 });
    }
    await kit.audit(res, { action: 'user.add', target: username, after: { username, role } });
    shownOnce(res, {
      heading: `Gebruiker ${username} aangemaakt`,
      label: 'Wachtwoord',
      secret: password,
      back: '/admin/gebruikers',
    });
  });

  /** The last admin can neither be removed nor lose the role: someone must be able to manage. */
  const lastAdmin = async (username: string) => {
    const admins = (await users.list(db)).filter((u) => u.role === 'admin');
    return admins.length === 1 && admins[0]!.username === username;
  };

  post('/gebruikers/:username/rol', 'admin', async (req, res) => {
    const username = String(req.params['username']);
    const role = str(req.body, 'role') as Role;
    const before = await users.findByUsername(db, username);
    if (!before || !ROLES.includes(role)) return showUsers(res, { error: 'Onbekende gebruiker of rol.', status: 400 });
    if (role !== 'admin' && (await lastAdmin(username))) {
      return showUsers(res, {
        error: 'Dit is de laatste admin; geef eerst iemand anders de rol admin.',
        status: 400,
      });
    }
    await users.setRole(db, username, role);
    await kit.audit(res, { action: 'user.role', target: username, before: { role: before.role }, after: { role } });
    res.redirect(303, '/admin/gebruikers?ok=opgeslagen');
  });

  post('/gebruikers/:username/wachtwoord', 'admin', async (req, res) => {
    const username = String(req.params['username']);
    const password = randomPassword();
    if (!(await users.setPassword(db, username, await hashPassword(password)))) {
      return showUsers(res, { error: 'Onbekende gebruiker.', status: 404 });
    }
    await kit.audit(res, { action: 'user.passwd', target: username });
    shownOnce(res, {
      heading: `Nieuw wachtwoord voor ${username}`,
      label: 'Wachtwoord',
      secret: password,
      back: '/admin/gebruikers',
    });
  });

  post('/gebruikers/:username/verwijderen', 'admin', async (req, res) => {
    const username = String(req.params['username']);
    const before = await users.findByUsername(db, username);
    if (!before) return showUsers(res, { error: 'Onbekende gebruiker.', status: 404 });
    if (await lastAdmin(username))
      return showUsers(res, { error: 'De laatste admin kan niet verwijderd worden.', status: 400 });
    await users.remove(db, username);
    await kit.audit(res, { action: 'user.remove', target: username, before: { username, role: before.role } });
    res.redirect(303, '/admin/gebruikers?ok=verwijderd');
  });

  // --- applicaties (API clients) ---
  const withoutSecret = (a: applicaties.Applicatie) => ({
    clientId: a.clientId,
    label: a.label,
    heeftAlleAutorisaties: a.heeftAlleAutorisaties,
    scopes: a.scopes,
  });
  const showApplicaties = managed('applicaties.njk', 'Applicaties', 'applicaties', async () => ({
    applicaties: (await applicaties.list(db)).map(withoutSecret),
    scopes: SCOPES,
  }));
  get('/applicaties', 'admin', (_req, res) => showApplicaties(res));

  post('/applicaties', 'admin', async (req, res) => {
    const clientId = str(req.body, 'clientId');
    const scopes = list(req.body, 'scopes').filter((s) => (SCOPES as readonly string[]).includes(s));
    if (!/^[\w.@-]{1,50}$/.test(clientId)) {
      return showApplicaties(res, {
        error: 'Geef een client_id van hoogstens 50 tekens (letters, cijfers, . _ - @).',
        status: 400,
      });
    }
    const before = await applicaties.findByClientId(db, clientId);
    const secret = randomBytes(24).toString('base64url');
    const a = {
      clientId,
      secret,
      label: str(req.body, 'label').slice(0, 100),
      heeftAlleAutorisaties: str(req.body, 'heeftAlleAutorisaties') === 'ja',
      scopes,
    };
    await applicaties.upsert(db, a);
    await kit.audit(res, {
      action: before ? 'applicatie.replace' : 'applicatie.add',
      target: clientId,
      before: before && withoutSecret(before),
      after: withoutSecret(a),
    });
    shownOnce(res, {
      heading: `Applicatie ${clientId} opgeslagen`,
      label: 'Secret (alleen nu zichtbaar)',
      secret,
      back: '/admin/applicaties',
    });
  });

  post('/applicaties/:clientId/verwijderen', 'admin', async (req, res) => {
    const clientId = String(req.params['clientId']);
    const before = await applicaties.findByClientId(db, clientId);
    if (!before || !(await applicaties.remove(db, clientId)))
      return showApplicaties(res, { error: 'Onbekende applicatie.', status: 404 });
    await kit.audit(res, { action: 'applicatie.remove', target: clientId, before: withoutSecret(before) });
    res.redirect(303, '/admin/applicaties?ok=verwijderd');
  });

  // --- services (outgoing) ---
  const publicService = (s: services.Service) => ({
    apiRoot: s.apiRoot,
    label: s.label,
    clientId: s.clientId,
    userId: s.userId,
    userRepresentation: s.userRepresentation,
  });
  const showServices = managed('services.njk', 'Services', 'services', async () => ({
    services: (await services.list(db)).map(publicService),
  }));
  get('/services', 'admin', (_req, res) => showServices(res));

  post('/services', 'admin', async (req, res) => {
    let apiRoot: string;
    try {
      const u = new URL(str(req.body, 'apiRoot'));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
      apiRoot = u.href.endsWith('/') ? u.href : `${u.href}/`;
    } catch {
      return showServices(res, {
        error: 'apiRoot moet een http(s)-URL zijn, bijvoorbeeld https://drc.example/api/v1/.',
        status: 400,
      });
    }
    const existing = (await services.list(db)).find((s) => s.apiRoot === apiRoot);
    const secret = str(req.body, 'secret') || existing?.secret || ''; // an empty field keeps the stored secret
    const s = {
      apiRoot,
      label: str(req.body, 'label'),
      clientId: str(req.body, 'clientId'),
      secret,
      userId: str(req.body, 'userId'),
      userRepresentation: str(req.body, 'userRepresentation'),
    };
    // The columns' sizes, which the form's maxlength says too: a longer value is refused, not cut.
    const limits = { apiRoot: 1000, label: 100, clientId: 255, secret: 255, userId: 255, userRepresentation: 255 };
    const tooLong = Object.entries(limits).find(([field, max]) => s[field as keyof typeof s].length > max);
    if (tooLong) {
      return showServices(res, { error: `${tooLong[0]} heeft hoogstens ${tooLong[1]} tekens.`, status: 400 });
    }
    await services.upsert(db, s);
    await kit.audit(res, {
      action: existing ? 'service.replace' : 'service.add',
      target: apiRoot,
      before: existing && publicService(existing),
      after: publicService(s),
    });
    res.redirect(303, '/admin/services?ok=opgeslagen');
  });

  post('/services/verwijderen', 'admin', async (req, res) => {
    const apiRoot = str(req.body, 'apiRoot');
    const existing = (await services.list(db)).find((s) => s.apiRoot === apiRoot);
    if (!existing || !(await services.remove(db, apiRoot)))
      return showServices(res, { error: 'Onbekende service.', status: 404 });
    await kit.audit(res, { action: 'service.remove', target: apiRoot, before: publicService(existing) });
    res.redirect(303, '/admin/services?ok=verwijderd');
  });

  // --- audit log (read only) ---
  get('/audit', 'admin', async (req, res) => {
    const before = Number(req.query['voor']);
    const q = {
      username: typeof req.query['gebruiker'] === 'string' ? req.query['gebruiker'].trim() : '',
      action: typeof req.query['actie'] === 'string' ? req.query['actie'].trim() : '',
    };
    const entries = await audit.page(db, {
      limit: 51,
      ...(Number.isInteger(before) && before > 0 ? { before } : {}),
      ...(q.username ? { username: q.username } : {}),
      ...(q.action ? { action: q.action } : {}),
    });
    const shown = entries.slice(0, 50);
    const params = (extra: Record<string, string>) =>
      new URLSearchParams({
        ...(q.username ? { gebruiker: q.username } : {}),
        ...(q.action ? { actie: q.action } : {}),
        ...extra,
      }).toString();
    kit.render(res, 'audit.njk', {
      title: 'Auditlog',
      section: 'audit',
      // The log keeps whole BSNs; the page masks them as the lists do (showing one is its own action).
      entries: shown.map((e) => ({ ...e, before: maskBsns(e.before), after: maskBsns(e.after) })),
      q,
      olderHref:
        entries.length > 50 ? `/admin/audit?${params({ voor: String(shown[shown.length - 1]!.id) })}` : undefined,
    });
  });

  return router;
}
