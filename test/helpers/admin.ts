import type { Knex } from 'knex';
import { hashPassword } from '../../src/admin/passwords.js';
import * as adminUsers from '../../src/db/admin-users.js';
import type { Role } from '../../src/db/admin-users.js';

export const PASSWORD = 'correct horse battery staple';

/** A klant as the admin tests create it through the API (with a BSN to mask). */
export const KLANT = {
  voornaam: 'Anna',
  achternaam: 'de Vries',
  emailadres: 'anna@example.nl',
  subjectType: 'natuurlijk_persoon',
  subjectIdentificatie: { inpBsn: '111222333', geslachtsnaam: 'Vries' },
};

export const uuidOf = (url: string): string => url.split('/').pop()!;

/** One hash for every test user: scrypt is slow on purpose. */
let hash: Promise<string> | undefined;

/** Adds admin users with the test password (one per role by default: viewer, editor, approver, admin …). */
export async function addUsers(db: Knex, users: Record<string, Role>): Promise<void> {
  hash ??= hashPassword(PASSWORD);
  for (const [username, role] of Object.entries(users)) {
    await adminUsers.add(db, { username, role, passwordHash: await hash });
  }
}

/** Empties the admin tables a test changes (the audit log is append-only and stays). */
export async function emptyAdmin(db: Knex): Promise<void> {
  for (const table of ['klant_working_copies', 'admin_sessions', 'admin_login_throttle', 'admin_users']) {
    await db(table).delete();
  }
}

export interface Page {
  status: number;
  location: string | null;
  html: string;
  headers: Headers;
}

/**
 * A cookie-keeping client of the admin HTML, as a browser without JavaScript uses it: it reads
 * the CSRF token from the last page it got and sends it with forms unless told not to.
 */
export class AdminClient {
  private cookies = new Map<string, string>();
  csrf = '';

  /** `headers`: sent with every request (e.g. X-Forwarded-For as a reverse proxy adds it). */
  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** The same cookies against another instance (sessions live in the shared database). */
  at(baseUrl: string): AdminClient {
    const other = new AdminClient(baseUrl, this.headers);
    other.cookies = new Map(this.cookies);
    other.csrf = this.csrf;
    return other;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private async read(res: Response): Promise<Page> {
    this.remember(res);
    const html = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (token) this.csrf = token;
    return { status: res.status, location: res.headers.get('location'), html, headers: res.headers };
  }

  async get(path: string): Promise<Page> {
    return this.read(
      await fetch(`${this.baseUrl}${path}`, {
        headers: { ...this.headers, cookie: this.cookieHeader() },
        redirect: 'manual',
      }),
    );
  }

  async post(
    path: string,
    form: Record<string, string | string[]> = {},
    o: { csrf?: string | null } = {},
  ): Promise<Page> {
    const body = new URLSearchParams();
    const token = o.csrf === undefined ? this.csrf : o.csrf;
    if (token !== null) body.append('_csrf', token);
    for (const [k, v] of Object.entries(form)) if (k !== '_csrf') for (const one of [v].flat()) body.append(k, one);
    return this.read(
      await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          ...this.headers,
          cookie: this.cookieHeader(),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
        redirect: 'manual',
      }),
    );
  }

  async login(username: string, password = PASSWORD): Promise<Page> {
    await this.get('/admin/inloggen');
    const res = await this.post('/admin/inloggen', { username, password });
    // The session's CSRF token comes with the first page after login, as in a browser.
    if (res.status === 303 && res.location) await this.get(res.location);
    return res;
  }

  /** A cookie as another site or an earlier visit may have left it. */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Saves an edit of a klant as a working copy through its form, as a browser does. */
  async proposeKlantEdit(uuid: string, changes: Record<string, string>): Promise<Page> {
    const path = `/admin/klanten/${uuid}/bewerken`;
    const form = await this.get(path);
    return this.post(path, { ...formValues(form.html, path), ...changes });
  }

  hasSession(): boolean {
    return this.cookies.has('kic_admin');
  }
}

const unescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/** The values a browser would submit from the page's form with this action (inputs, selects, textareas). */
export function formValues(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  if (start < 0) throw new Error(`no form with action ${action}`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const out: Record<string, string> = {};
  for (const m of form.matchAll(/<input\b([^>]*)>/g)) {
    const attrs = m[1]!;
    const name = /\bname="([^"]*)"/.exec(attrs)?.[1];
    if (!name || /type="(checkbox|radio)"/.test(attrs)) continue;
    out[unescape(name)] = unescape(/\bvalue="([^"]*)"/.exec(attrs)?.[1] ?? '');
  }
  for (const m of form.matchAll(/<select\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    if (/\bdisabled\b/.test(m[0].slice(0, m[0].indexOf('>')))) continue;
    out[unescape(m[1]!)] = unescape(/<option value="([^"]*)" selected>/.exec(m[2]!)?.[1] ?? '');
  }
  for (const m of form.matchAll(/<textarea\b[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) {
    out[unescape(m[1]!)] = unescape(m[2]!);
  }
  return out;
}
