import { expect } from 'chai';
import { page } from '../../../src/db/admin-lists.js';
import * as rows from '../../../src/db/rows.js';
import { RESOURCES } from '../../../src/domain/urls.js';
import { HOLDS_KLANT } from '../../../src/db/working-copies.js';
import { AdminClient, addUsers, emptyAdmin, formValues, KLANT, PASSWORD, uuidOf } from '../../helpers/admin.js';
import { describeApi, startApp } from '../../helpers/app.js';
import { until } from '../../helpers/until.js';

describeApi('admin interface over HTTP', (t) => {
  let base: string;
  const client = () => new AdminClient(base);
  const as = async (username: string) => {
    const c = client();
    const res = await c.login(username);
    expect(res.status, `login of ${username}`).to.equal(303);
    return c;
  };
  const newKlant = async (body: Record<string, unknown> = KLANT) => {
    const res = await t.api().post('/api/v1/klanten', body);
    expect(res.status).to.equal(201);
    return res.body as { url: string } & Record<string, unknown>;
  };

  const proposeEdit = async (editor: AdminClient, uuid: string, changes: Record<string, string>) =>
    expect((await editor.proposeKlantEdit(uuid, changes)).status, 'working copy saved').to.equal(303);

  beforeEach(async () => {
    base = t.api().baseUrl;
    await emptyAdmin(t.db());
    await addUsers(t.db(), { vera: 'viewer', eddy: 'editor', anton: 'approver', bea: 'approver', ada: 'admin' });
  });

  describe('sessions and security', () => {
    it('sends a visitor without a session to the login page and back after logging in', async () => {
      const c = client();
      const first = await c.get('/admin/klanten?q=x');
      expect(first.status).to.equal(303);
      expect(first.location).to.equal('/admin/inloggen?next=%2Fadmin%2Fklanten%3Fq%3Dx');
      await c.get(first.location!);
      const res = await c.post('/admin/inloggen', { username: 'vera', password: PASSWORD, next: '/admin/klanten?q=x' });
      expect(res.status).to.equal(303);
      expect(res.location).to.equal('/admin/klanten?q=x');
      const cookie = res.headers.getSetCookie().find((s) => s.startsWith('kic_admin='))!;
      expect(cookie)
        .to.match(/HttpOnly/i)
        .and.match(/SameSite=Strict/i)
        .and.match(/Path=\/admin/);
      expect(cookie).not.to.match(/Secure/i); // http in tests; https public URLs get Secure
      expect((await c.get('/admin/klanten')).status).to.equal(200);
    });

    it('never redirects elsewhere after login', async () => {
      const c = client();
      await c.get('/admin/inloggen');
      const res = await c.post('/admin/inloggen', {
        username: 'vera',
        password: PASSWORD,
        next: '//evil.example/admin',
      });
      expect(res.location).to.equal('/admin/klanten');
    });

    it('stores sessions in the database (another instance on it knows them) and ends them on logout', async () => {
      const c = await as('vera');
      expect(await t.db()('admin_sessions').count({ n: '*' }).first()).to.deep.include({ n: 1 });
      await c.get('/admin/klanten');
      expect((await c.post('/admin/uitloggen')).status).to.equal(303);
      expect(await t.db()('admin_sessions').count({ n: '*' }).first()).to.deep.include({ n: 0 });
      expect((await c.get('/admin/klanten')).status).to.equal(303);
    });

    it('shares sessions between instances on one database', async () => {
      const c = await as('eddy');
      const other = await startApp(t.db());
      try {
        const there = c.at(other.api.baseUrl);
        expect((await there.get('/admin/klanten')).status).to.equal(200);
        expect((await there.post('/admin/uitloggen')).status).to.equal(303);
        expect((await c.get('/admin/klanten')).status).to.equal(303); // logged out everywhere
      } finally {
        await other.close();
      }
    });

    it('marks the session cookie Secure when the public URL is https', async () => {
      const other = await startApp(t.db(), { KIC_PUBLIC_URL: 'https://kic.example' });
      try {
        const c = new AdminClient(other.api.baseUrl);
        await c.get('/admin/inloggen');
        const res = await c.post('/admin/inloggen', { username: 'vera', password: PASSWORD });
        const cookie = res.headers.getSetCookie().find((s) => s.startsWith('kic_admin='))!;
        expect(cookie)
          .to.match(/; Secure/i)
          .and.match(/HttpOnly/i)
          .and.match(/SameSite=Strict/i);
        expect(res.headers.get('strict-transport-security')).to.be.a('string');
      } finally {
        await other.close();
      }
    });

    it('ends a session that was idle too long', async () => {
      const c = await as('vera');
      await t
        .db()('admin_sessions')
        .update({ last_seen_at: Date.now() - 31 * 60_000 });
      const res = await c.get('/admin/klanten');
      expect(res.status).to.equal(303);
      expect(res.location).to.match(/^\/admin\/inloggen/);
    });

    it('sends security headers and a strict CSP, and no inline script anywhere', async () => {
      const c = await as('ada');
      for (const path of ['/admin/klanten', '/admin/sync', '/admin/gebruikers', '/admin/inloggen']) {
        const res = await c.get(path);
        const csp = res.headers.get('content-security-policy')!;
        expect(csp)
          .to.include("default-src 'none'")
          .and.include("frame-ancestors 'none'")
          .and.include("form-action 'self'");
        expect(csp).not.to.include('unsafe-inline');
        expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
        expect(res.headers.get('cache-control')).to.equal('no-store');
        expect(res.html).not.to.match(/<script|\son\w+=|style="/i);
      }
    });

    it('refuses a wrong password without saying whether the user exists', async () => {
      const wrong = await client().login('vera', 'not the password');
      const unknown = await client().login('nobody'.repeat(50), 'not the password');
      expect(wrong.status).to.equal(401);
      expect(unknown.status).to.equal(401);
      expect(wrong.html).to.include('Gebruikersnaam of wachtwoord onjuist.');
      expect(unknown.html).to.include('Gebruikersnaam of wachtwoord onjuist.');
    });

    it('locks a user out after five failures, even for the right password', async () => {
      for (let i = 0; i < 5; i++) expect((await client().login('vera', `wrong ${i}`)).status).to.equal(401);
      const locked = await client().login('vera');
      expect(locked.status).to.equal(429);
      expect(locked.html).to.include('tijdelijk geblokkeerd');
      // Another user from the same address is not affected by that lock.
      expect((await client().login('eddy')).status).to.equal(303);
    });

    it('locks an address out after twenty failures over any usernames', async () => {
      for (let i = 0; i < 20; i++) await client().login(`guess-${i}`, 'wrong');
      expect((await client().login('eddy')).status).to.equal(429);
    });

    it('counts the address a trusted proxy forwards, when KIC_TRUST_PROXY says there is one', async () => {
      const behindProxy = await startApp(t.db(), { KIC_TRUST_PROXY: '1' });
      try {
        const from = (address: string) => new AdminClient(behindProxy.api.baseUrl, { 'x-forwarded-for': address });
        for (let i = 0; i < 20; i++) await from('198.51.100.7').login(`guess-${i}`, 'wrong');
        expect((await from('198.51.100.7').login('eddy')).status).to.equal(429);
        expect((await from('203.0.113.9').login('eddy')).status).to.equal(303);
      } finally {
        await behindProxy.close();
      }
    });

    it('refuses a login form without its CSRF token', async () => {
      const c = client();
      await c.get('/admin/inloggen');
      const res = await c.post('/admin/inloggen', { username: 'vera', password: PASSWORD }, { csrf: 'forged' });
      expect(res.status).to.equal(403);
      expect(c.hasSession()).to.equal(false);
    });

    it('refuses every state-changing form without its CSRF token, and changes nothing', async () => {
      const klant = await newKlant();
      const c = await as('ada');
      const page = await c.get(`/admin/klanten/${uuidOf(klant.url)}/bewerken`);
      const form: Record<string, string> = {
        ...formValues(page.html, `/admin/klanten/${uuidOf(klant.url)}/bewerken`),
        voornaam: 'Forged',
      };
      delete form['_csrf'];
      for (const csrf of [null, 'x'.repeat(43)]) {
        const res = await c.post(`/admin/klanten/${uuidOf(klant.url)}/bewerken`, form, { csrf });
        expect(res.status).to.equal(403);
        expect(res.html).to.include('CSRF');
      }
      expect(
        (await c.post('/admin/gebruikers', { username: 'mallory', role: 'admin' }, { csrf: null })).status,
      ).to.equal(403);
      expect(await t.db()('klant_working_copies').count({ n: '*' }).first()).to.deep.include({ n: 0 });
      expect(await t.db()('admin_users').where({ username: 'mallory' }).first()).to.equal(undefined);
    });
  });

  describe('roles', () => {
    it('lets a viewer read but not edit, and keeps user management to admins', async () => {
      const klant = await newKlant();
      const viewer = await as('vera');
      expect((await viewer.get(`/admin/klanten/${uuidOf(klant.url)}`)).status).to.equal(200);
      expect((await viewer.get(`/admin/klanten/${uuidOf(klant.url)}/bewerken`)).status).to.equal(403);
      expect(
        (await viewer.post('/admin/verzoeken/nieuw', { bronorganisatie: '123456782', status: 'ontvangen' })).status,
      ).to.equal(403);
      expect((await viewer.get('/admin/gebruikers')).status).to.equal(403);
      expect((await viewer.get('/admin/audit')).status).to.equal(403);
      const editor = await as('eddy');
      expect((await editor.get('/admin/gebruikers')).status).to.equal(403);
      expect((await editor.get('/admin/applicaties')).status).to.equal(403);
      expect((await editor.get('/admin/services')).status).to.equal(403);
      const admin = await as('ada');
      for (const path of ['/admin/gebruikers', '/admin/applicaties', '/admin/services', '/admin/audit']) {
        expect((await admin.get(path)).status, path).to.equal(200);
      }
    });
  });

  describe('klanten: search, masking, working copies', () => {
    it('finds klanten by name, e-mail and BSN, and masks the BSN in the list', async () => {
      await newKlant();
      await newKlant({
        ...KLANT,
        voornaam: 'Bram',
        emailadres: 'bram@example.nl',
        subjectIdentificatie: { inpBsn: '123456782' },
      });
      const c = await as('vera');
      const byName = await c.get('/admin/klanten?q=ANNA');
      expect(byName.html).to.include('anna@example.nl').and.not.include('bram@example.nl');
      const byMail = await c.get('/admin/klanten?q=bram%40');
      expect(byMail.html).to.include('bram@example.nl').and.not.include('anna@example.nl');
      const byBsn = await c.get('/admin/klanten?bsn=111222333');
      expect(byBsn.html).to.include('anna@example.nl').and.not.include('bram@example.nl');
      const table = byBsn.html.slice(byBsn.html.indexOf('<table'));
      expect(table).not.to.include('111222333');
      expect(table).to.include('••••••333');
    });

    it('searches the klantnummer', async () => {
      const c = await as('vera');
      const anna = await newKlant();
      await newKlant({ ...KLANT, voornaam: 'Bram' });
      const row = (await t
        .db()('klanten')
        .where({ uuid: uuidOf(anna.url) })
        .first()) as { klantnummer: string };
      expect(row.klantnummer).to.match(/^\d{8}$/);
      const page = await c.get(`/admin/klanten?klantnummer=${row.klantnummer}`);
      expect(page.html).to.include('name="klantnummer"');
      const table = page.html.slice(page.html.indexOf('<table'));
      expect(table).to.include('Anna').and.not.include('Bram');
    });

    it('pages by keyset', async () => {
      for (let i = 0; i < 27; i++) await newKlant({ ...KLANT, voornaam: `K${String(i).padStart(2, '0')}` });
      const c = await as('vera');
      const first = await c.get('/admin/klanten');
      expect(first.html.match(/<tr><td><a href="\/admin\/klanten\//g)).to.have.length(25);
      const next = /href="([^"]+)" rel="next"/.exec(first.html)![1]!.replace(/&amp;/g, '&');
      expect(next).to.match(/na=\d+/);
      const second = await c.get(next);
      expect(second.html.match(/<tr><td><a href="\/admin\/klanten\//g)).to.have.length(2);
      expect(second.html).to.include('K26').and.not.include('K24');
      expect(second.html).not.to.include('rel="next"');
    });

    it('looks through a bounded block of klanten per page of a substring search, and goes on from there', async () => {
      for (let i = 0; i < 30; i++) await newKlant({ ...KLANT, voornaam: i === 27 ? 'Zeldzaam' : `K${i}` });
      const ids = (await t.db()('klanten').orderBy('id').pluck('id')) as number[];
      const first = ids[0]! - 1;
      const search = (after: number) =>
        page(t.db(), 'klanten', {
          conditions: [{ kind: 'contains', columns: ['voornaam'], value: 'ZELDZ' }],
          after,
          limit: 25,
          scanWindow: 10,
        });
      expect(await search(first)).to.deep.equal({ rows: [], next: first + 10, scannedTo: first + 10 });
      expect((await search(first + 10)).next).to.equal(first + 20);
      const last = await search(first + 20);
      expect(last.rows.map((r) => r['voornaam'])).to.deep.equal(['Zeldzaam']);
      expect(last).not.to.have.property('next');
      // An exact filter needs no block: its index finds the rows wherever they are.
      const exact = await page(t.db(), 'klanten', {
        conditions: [{ kind: 'eq', column: 'voornaam', value: 'Zeldzaam' }],
        limit: 25,
        scanWindow: 10,
      });
      expect(exact.rows).to.have.length(1);
      // The page says how far it looked and offers to go on.
      const c = await as('vera');
      const html = (await c.get('/admin/klanten?q=zeldzaam')).html;
      expect(html).to.include('Zeldzaam');
    });

    it('shows a whole BSN only on an explicit action, which is recorded', async () => {
      const klant = await newKlant();
      const c = await as('vera');
      const detail = await c.get(`/admin/klanten/${uuidOf(klant.url)}`);
      expect(detail.html).not.to.include('111222333');
      const shown = await c.post(`/admin/klanten/${uuidOf(klant.url)}/bsn`);
      expect(shown.status).to.equal(200);
      expect(shown.html).to.include('111222333');
      const entry = await t.db()('admin_audit').where({ action: 'klant.bsn-getoond', target: klant.url }).first();
      expect(entry).to.include({ username: 'vera' });
    });

    it('turns an edit into a working copy that blocks API changes with 409 until a second person approves it', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      const editor = await as('eddy');
      const page = await editor.get(`/admin/klanten/${uuid}/bewerken`);
      const form = formValues(page.html, `/admin/klanten/${uuid}/bewerken`);
      expect(form).to.include({ voornaam: 'Anna', 'subjectIdentificatie.inpBsn': '111222333' });
      const saved = await editor.post(`/admin/klanten/${uuid}/bewerken`, { ...form, voornaam: 'Annemarie' });
      expect(saved.status).to.equal(303);

      // The active record is unchanged and the API cannot change it meanwhile.
      expect((await t.api().get(klant.url)).body.voornaam).to.equal('Anna');
      for (const [method, body] of [
        ['PUT', { ...KLANT, voornaam: 'Via API' }],
        ['PATCH', { voornaam: 'Via API' }],
        ['DELETE', undefined],
      ] as const) {
        const res = await t.api().request(method, klant.url, body);
        expect(res.status, method).to.equal(409);
        expect(res.headers.get('content-type')).to.match(/application\/problem\+json/);
        expect(res.body).to.include({ code: 'working-copy-exists', status: 409 });
        expect(res.body.detail).to.match(/werkkopie/);
      }
      // The same klant through the Klanten API: the same hold.
      const v1 = `/klanten/api/v1/klanten/${uuid}`;
      const v1Klant = (await t.api().get(v1)).body;
      for (const [method, body] of [
        ['PUT', { ...v1Klant, voornaam: 'Via Klanten API' }],
        ['PATCH', { voornaam: 'Via Klanten API' }],
        ['DELETE', undefined],
      ] as const) {
        const res = await t.api().request(method, v1, body);
        expect(res.status, `Klanten API ${method}`).to.equal(409);
        expect(res.body).to.include({ code: 'working-copy-exists', status: 409 });
      }
      expect(await t.db()('audittrails').count({ n: '*' }).first()).to.deep.include({ n: 1 }); // the create only
      expect((await t.api().get(klant.url)).body.voornaam).to.equal('Anna');
      expect((await t.api().get('/api/v1/klanten')).body).to.have.length(1); // the copy is never listed

      // The author cannot approve, not even with the approver role; an editor cannot approve at all.
      expect((await editor.post(`/admin/klanten/${uuid}/werkkopie/goedkeuren`)).status).to.equal(403);
      const anton = await as('anton');
      await anton.get(`/admin/klanten/${uuid}`);
      const diff = await anton.get(`/admin/klanten/${uuid}/werkkopie`);
      expect(diff.html).to.match(/<td class="changed">Anna<\/td>\s*<td class="changed">Annemarie<\/td>/);
      expect((await anton.post(`/admin/klanten/${uuid}/werkkopie/goedkeuren`)).status).to.equal(303);

      expect((await t.api().get(klant.url)).body).to.include({ voornaam: 'Annemarie', achternaam: 'de Vries' });
      expect(await t.db()('klant_working_copies').count({ n: '*' }).first()).to.deep.include({ n: 0 });
      const trail = (await t.api().get(`/klanten/api/v1/klanten/${uuid}/audittrail`)).body as Record<string, unknown>[];
      const approval = trail.find((e) => e['actie'] === 'update')!;
      expect(approval).to.include({ gebruikersId: 'anton', applicatieWeergave: 'kic beheeromgeving' });
      expect(approval['wijzigingen']).to.have.nested.property('nieuw.voornaam', 'Annemarie');
      expect((await t.api().patch(klant.url, { voornaam: 'Weer vrij' })).status).to.equal(200);
      const audit = await t
        .db()('admin_audit')
        .where({ action: 'klant.werkkopie-goedgekeurd', target: klant.url })
        .first();
      expect(audit).to.include({ username: 'anton' });
      expect(JSON.parse(audit.before)).to.include({ voornaam: 'Anna' });
      expect(JSON.parse(audit.after)).to.include({ voornaam: 'Annemarie' });
    });

    it('shows what only the Klanten API holds, and an approved edit keeps all of it', async () => {
      const v1 = {
        bronorganisatie: '123456782',
        klantnummer: 'K-77',
        websiteUrl: 'https://bakkerij.example',
        bedrijfsnaam: 'Bakkerij Vries',
        voornaam: 'Anna',
        voorvoegselAchternaam: 'de',
        achternaam: 'Vries',
        emailadres: 'anna@example.nl',
        adres: { straatnaam: 'Keizersgracht', huisnummer: 117, postcode: '1015CJ', woonplaatsnaam: 'Amsterdam' },
        subjectType: 'natuurlijk_persoon',
        subjectIdentificatie: { inpBsn: '111222333', geslachtsnaam: 'Vries' },
      };
      const created = await t.api().post('/klanten/api/v1/klanten', v1);
      expect(created.status).to.equal(201);
      const uuid = uuidOf(created.body.url);
      const viewer = await as('vera');
      const detail = (await viewer.get(`/admin/klanten/${uuid}`)).html;
      for (const shown of ['K-77', 'https://bakkerij.example', 'Bakkerij Vries', 'Keizersgracht', '1015CJ', '117']) {
        expect(detail).to.include(shown);
      }
      expect((await viewer.get('/admin/klanten?klantnummer=K-77')).html).to.include(`/admin/klanten/${uuid}"`);

      const editor = await as('eddy');
      await proposeEdit(editor, uuid, { telefoonnummer: '0201234567' });
      expect((await (await as('anton')).post(`/admin/klanten/${uuid}/werkkopie/goedkeuren`)).status).to.equal(303);
      const after = (await t.api().get(`/klanten/api/v1/klanten/${uuid}`)).body;
      expect(after).to.deep.equal({ ...created.body, telefoonnummer: '0201234567' });
    });

    it('refuses approval by the author even when the author is an approver', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      const anton = await as('anton');
      await proposeEdit(anton, uuid, { achternaam: 'X' });
      expect((await anton.post(`/admin/klanten/${uuid}/werkkopie/goedkeuren`)).status).to.equal(403);
      expect((await t.api().get(klant.url)).body.achternaam).to.equal('de Vries');
      expect((await (await as('bea')).post(`/admin/klanten/${uuid}/werkkopie/goedkeuren`)).status).to.equal(303);
      expect((await t.api().get(klant.url)).body.achternaam).to.equal('X');
    });

    it('never lets a stale copy overwrite a change made to the active record since', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      const editor = await as('eddy');
      await proposeEdit(editor, uuid, { voornaam: 'Copy' });
      // A writer outside the API (psql, an import) changes the klant meanwhile.
      await t
        .db()('klanten')
        .where({ uuid })
        .update({ achternaam: 'Elders gewijzigd', updated_at: Date.now() + 1 });
      const anton = await as('anton');
      expect((await anton.get(`/admin/klanten/${uuid}/werkkopie`)).html).to.include('gewijzigd sinds deze werkkopie');
      const res = await anton.post(`/admin/klanten/${uuid}/werkkopie/goedkeuren`);
      expect(res.status).to.equal(409);
      expect((await t.api().get(klant.url)).body).to.include({ voornaam: 'Anna', achternaam: 'Elders gewijzigd' });
      // Rejecting clears the way.
      expect((await anton.post(`/admin/klanten/${uuid}/werkkopie/afkeuren`)).status).to.equal(303);
      expect((await t.api().patch(klant.url, { voornaam: 'Vrij' })).status).to.equal(200);
    });

    it('refuses a working copy made from a klant that changed after the form was opened', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      const editor = await as('eddy');
      const page = await editor.get(`/admin/klanten/${uuid}/bewerken`);
      expect((await t.api().patch(klant.url, { voornaam: 'API' })).status).to.equal(200);
      const res = await editor.post(`/admin/klanten/${uuid}/bewerken`, {
        ...formValues(page.html, `/admin/klanten/${uuid}/bewerken`),
        achternaam: 'Admin',
      });
      expect(res.status).to.equal(409);
      expect(await t.db()('klant_working_copies').count({ n: '*' }).first()).to.deep.include({ n: 0 });
    });

    it('approves in one transaction: when the update fails, the copy stays and the klant is unchanged', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      const editor = await as('eddy');
      await proposeEdit(editor, uuid, { voornaam: 'Nieuw' });
      // A copy that no longer passes the rules (stored input is the domain's to check again at approval).
      const copy = await t.db()('klant_working_copies').where({ klant_uuid: uuid }).first();
      const input = JSON.parse(copy.input);
      input.subjectIdentificatie.inpBsn = '123456789'; // fails the 11-proof
      await t
        .db()('klant_working_copies')
        .where({ id: copy.id })
        .update({ input: JSON.stringify(input) });
      const res = await (await as('anton')).post(`/admin/klanten/${uuid}/werkkopie/goedkeuren`);
      expect(res.status).to.equal(400);
      expect(await t.db()('klant_working_copies').where({ klant_uuid: uuid }).first()).to.include({ id: copy.id });
      expect((await t.api().get(klant.url)).body.voornaam).to.equal('Anna');
    });

    /** Runs `during` while the audit log refuses entries of `action` (a full disk, a lost connection …). */
    const whileAuditRefuses = async <T>(action: string, during: () => Promise<T>): Promise<T> => {
      const pg = t.dialect === 'pg';
      await t.db().raw(
        pg
          ? `CREATE FUNCTION refuse_entry() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.action = '${action}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`
          : `CREATE TRIGGER refuse_entry BEFORE INSERT ON admin_audit WHEN NEW.action = '${action}'
             BEGIN SELECT RAISE(ABORT, 'refused'); END`,
      );
      if (pg) {
        await t
          .db()
          .raw('CREATE TRIGGER refuse_entry BEFORE INSERT ON admin_audit FOR EACH ROW EXECUTE FUNCTION refuse_entry()');
      }
      try {
        return await during();
      } finally {
        await t.db().raw(pg ? 'DROP FUNCTION refuse_entry() CASCADE' : 'DROP TRIGGER refuse_entry');
      }
    };

    it('records the approval in the same transaction: when the audit log refuses it, nothing is approved', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      await proposeEdit(await as('eddy'), uuid, { voornaam: 'Nieuw' });
      const anton = await as('anton');
      const res = await whileAuditRefuses('klant.werkkopie-goedgekeurd', () =>
        anton.post(`/admin/klanten/${uuid}/werkkopie/goedkeuren`),
      );
      expect(res.status).to.equal(500);
      expect((await t.api().get(klant.url)).body.voornaam).to.equal('Anna');
      expect(await t.db()('klant_working_copies').where({ klant_uuid: uuid }).first()).to.be.an('object');
      expect((await t.api().get(`/klanten/api/v1/klanten/${uuid}/audittrail`)).body).to.have.length(1);
    });

    it('records creating, editing and deleting in the same transaction as the write', async () => {
      const c = await as('eddy');
      const verzoek = { bronorganisatie: '123456782', status: 'ontvangen', tekst: 'Via beheer' };
      const refused = await whileAuditRefuses('verzoek.create', () => c.post('/admin/verzoeken/nieuw', verzoek));
      expect(refused.status).to.equal(500);
      expect((await t.api().get('/api/v1/verzoeken')).body).to.deep.equal([]);

      const created = await c.post('/admin/verzoeken/nieuw', verzoek);
      const uuid = /\/admin\/verzoeken\/([0-9a-f-]{36})/.exec(created.location!)![1]!;
      const form = formValues(
        (await c.get(`/admin/verzoeken/${uuid}/bewerken`)).html,
        `/admin/verzoeken/${uuid}/bewerken`,
      );
      const edit = await whileAuditRefuses('verzoek.update', () =>
        c.post(`/admin/verzoeken/${uuid}/bewerken`, { ...form, status: 'afgehandeld' }),
      );
      expect(edit.status).to.equal(500);
      expect((await t.api().get(`/api/v1/verzoeken/${uuid}`)).body.status).to.equal('ontvangen');
      const removal = await whileAuditRefuses('verzoek.delete', () => c.post(`/admin/verzoeken/${uuid}/verwijderen`));
      expect(removal.status).to.equal(500);
      expect((await t.api().get(`/api/v1/verzoeken/${uuid}`)).status).to.equal(200);
      const entry = await t.db()('admin_audit').where({ action: 'verzoek.create' }).first();
      expect(entry).to.include({ username: 'eddy' });
      expect(JSON.parse(entry.after)).to.include({ status: 'ontvangen', tekst: 'Via beheer' });
    });

    it('records saving, reworking and rejecting a copy in the same transaction as the change', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      const eddy = await as('eddy');
      const copy = () => t.db()('klant_working_copies').where({ klant_uuid: uuid }).first();
      const saved = await whileAuditRefuses('klant.werkkopie-aangemaakt', () =>
        eddy.proposeKlantEdit(uuid, { voornaam: 'Nieuw' }),
      );
      expect(saved.status).to.equal(500);
      expect(await copy()).to.equal(undefined);
      await proposeEdit(eddy, uuid, { voornaam: 'Nieuw' });
      const reworked = await whileAuditRefuses('klant.werkkopie-aangepast', () =>
        eddy.proposeKlantEdit(uuid, { voornaam: 'Anders' }),
      );
      expect(reworked.status).to.equal(500);
      expect(JSON.parse((await copy()).input)).to.include({ voornaam: 'Nieuw' });
      const anton = await as('anton');
      const rejected = await whileAuditRefuses('klant.werkkopie-afgekeurd', () =>
        anton.post(`/admin/klanten/${uuid}/werkkopie/afkeuren`),
      );
      expect(rejected.status).to.equal(500);
      expect(await copy()).to.be.an('object');
    });

    /** Runs `during` while the klant's copy is locked from outside; deletes it (a rejection) before letting go. */
    const whileCopyIsRejected = async <T>(uuid: string, during: () => Promise<T>): Promise<T> => {
      const trx = await t.db().transaction();
      await trx('klant_working_copies').where({ klant_uuid: uuid }).forUpdate();
      const pending = during();
      const waiting = async () =>
        Number(
          (
            await t
              .db()
              .raw(
                `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
              )
          ).rows[0].n,
        ) > 0;
      await until('the request waits for the copy', waiting);
      await trx('klant_working_copies').where({ klant_uuid: uuid }).delete();
      await trx.commit();
      return pending;
    };

    // These races need a row lock held from outside the request: PostgreSQL only (SQLite has one writer).
    const onPg = t.dialect === 'pg' ? it : () => undefined;

    onPg('never reports a rework of a copy as saved when the copy was approved or rejected meanwhile', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      const editor = await as('eddy');
      await proposeEdit(editor, uuid, { voornaam: 'Eerste' });
      const res = await whileCopyIsRejected(uuid, () => editor.proposeKlantEdit(uuid, { voornaam: 'Tweede' }));
      expect(res.status).to.equal(409);
      expect(res.html).to.include('werkkopie');
      expect(await t.db()('klant_working_copies').where({ klant_uuid: uuid }).first()).to.equal(undefined);
    });

    onPg('never approves a copy that was rejected meanwhile', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      await proposeEdit(await as('eddy'), uuid, { voornaam: 'Afgekeurd' });
      const anton = await as('anton');
      const res = await whileCopyIsRejected(uuid, () => anton.post(`/admin/klanten/${uuid}/werkkopie/goedkeuren`));
      expect(res.status).to.equal(404);
      expect((await t.api().get(klant.url)).body.voornaam).to.equal('Anna');
    });

    it('shows the API rules next to the field and saves nothing', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      const editor = await as('eddy');
      const page = await editor.get(`/admin/klanten/${uuid}/bewerken`);
      const form = formValues(page.html, `/admin/klanten/${uuid}/bewerken`);
      const fieldHtml = (html: string, id: string) =>
        html.slice(html.lastIndexOf('<div class="field', html.indexOf(`for="${id}"`)), html.indexOf(`id="${id}"`));
      // The request schema first (as the API: a 400 before the domain rules) …
      const badMail = await editor.post(`/admin/klanten/${uuid}/bewerken`, { ...form, emailadres: 'geen-adres' });
      expect(badMail.status).to.equal(400);
      expect(fieldHtml(badMail.html, 'f-emailadres')).to.include('field invalid').and.include('class="problem"');
      expect(badMail.html).to.include('value="geen-adres"'); // what was typed stays
      // … then the domain's rules (the 11-proof of a BSN).
      const badBsn = await editor.post(`/admin/klanten/${uuid}/bewerken`, {
        ...form,
        'subjectIdentificatie.inpBsn': '123456789',
      });
      expect(badBsn.status).to.equal(400);
      expect(fieldHtml(badBsn.html, 'f-subjectIdentificatie-inpBsn'))
        .to.include('field invalid')
        .and.include('class="problem"');
      expect(await t.db()('klant_working_copies').count({ n: '*' }).first()).to.deep.include({ n: 0 });
    });

    it('lets exactly one of a racing API change and a working copy win; the other gets a clear answer', async () => {
      for (let round = 0; round < 5; round++) {
        const klant = await newKlant();
        const uuid = uuidOf(klant.url);
        const editor = await as('eddy');
        const page = await editor.get(`/admin/klanten/${uuid}/bewerken`);
        const form = formValues(page.html, `/admin/klanten/${uuid}/bewerken`);
        const [copy, patch] = await Promise.all([
          editor.post(`/admin/klanten/${uuid}/bewerken`, { ...form, voornaam: 'Admin' }),
          t.api().patch(klant.url, { voornaam: 'API' }),
        ]);
        const copies = await t.db()('klant_working_copies').where({ klant_uuid: uuid });
        if (patch.status === 409) {
          expect(copy.status).to.equal(303);
          expect(patch.body.code).to.equal('working-copy-exists');
          expect((await t.api().get(klant.url)).body.voornaam).to.equal('Anna');
          expect(copies).to.have.length(1);
        } else {
          expect(patch.status).to.equal(200);
          expect(copy.status).to.equal(409); // the klant changed after the form was opened
          expect(copies).to.have.length(0);
          expect((await t.api().get(klant.url)).body.voornaam).to.equal('API');
        }
        await t.db()('klant_working_copies').delete();
      }
    });

    it('creates a klant through the same rules as the API, with or without a subject type', async () => {
      const c = await as('eddy');
      expect((await c.get('/admin/klanten/nieuw')).html).to.include('name="subjectType"');
      const form = await c.get('/admin/klanten/nieuw?subjectType=vestiging');
      const values = formValues(form.html, '/admin/klanten/nieuw');
      expect(values).to.have.property('subjectIdentificatie.vestigingsNummer');
      const created = await c.post('/admin/klanten/nieuw', {
        ...values,
        voornaam: 'Filiaal',
        'subjectIdentificatie.vestigingsNummer': 'V-1',
      });
      expect(created.status).to.equal(303);
      const list = (await t.api().get('/api/v1/klanten')).body;
      expect(list[0]).to.deep.include({ voornaam: 'Filiaal', subjectType: 'vestiging' });
      expect(list[0].subjectIdentificatie).to.include({ vestigingsNummer: 'V-1' });

      const bare = formValues((await c.get('/admin/klanten/nieuw?subjectType=geen')).html, '/admin/klanten/nieuw');
      expect(bare).not.to.have.property('subjectIdentificatie.inpBsn');
      const refused = await c.post('/admin/klanten/nieuw', bare);
      expect(refused.status).to.equal(400);
      expect(refused.html).to.include('subject or subjectIdentificatie must be provided');
      const ok = await c.post('/admin/klanten/nieuw', {
        ...bare,
        subject: 'https://brp.example/api/v1/ingeschrevenpersonen/1',
      });
      expect(ok.status).to.equal(303);
      expect((await t.api().get('/api/v1/klanten')).body).to.have.length(2);
    });

    it('lets only an approver delete a klant, and not while a working copy waits', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      const editor = await as('eddy');
      expect((await editor.post(`/admin/klanten/${uuid}/verwijderen`)).status).to.equal(403);
      await proposeEdit(editor, uuid, { voornaam: 'X' });
      const approver = await as('anton');
      const blocked = await approver.post(`/admin/klanten/${uuid}/verwijderen`);
      expect(blocked.status).to.equal(409);
      expect(blocked.html).to.include('werkkopie');
      await approver.post(`/admin/klanten/${uuid}/werkkopie/afkeuren`);
      expect((await approver.post(`/admin/klanten/${uuid}/verwijderen`)).status).to.equal(303);
      expect((await t.api().get(klant.url)).status).to.equal(404);
    });

    it('guards the klant inside the write statement itself', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      await t
        .db()('klant_working_copies')
        .insert({ klant_uuid: uuid, input: '{}', base: '{}', created_by: 'x', created_at: Date.now() });
      expect(await rows.updateByUuid(t.db(), 'klanten', uuid, { voornaam: 'Race' }, HOLDS_KLANT)).to.equal(undefined);
      expect(await rows.deleteByUuid(t.db(), 'klanten', uuid, HOLDS_KLANT)).to.equal(false);
      expect((await t.api().get(klant.url)).body.voornaam).to.equal('Anna');
    });
  });

  describe('the other resources', () => {
    it('creates, edits and deletes a verzoek with the API rules, recording each action', async () => {
      const c = await as('eddy');
      const empty = await c.post('/admin/verzoeken/nieuw', { bronorganisatie: '123', status: '' });
      expect(empty.status).to.equal(400);
      expect(empty.html).to.match(/class="field invalid">\s*<label for="f-status"/);
      const badRsin = await c.post('/admin/verzoeken/nieuw', { bronorganisatie: '123', status: 'ontvangen' });
      expect(badRsin.status).to.equal(400);
      expect(badRsin.html).to.match(/class="field invalid">\s*<label for="f-bronorganisatie"/);
      const created = await c.post('/admin/verzoeken/nieuw', {
        bronorganisatie: '123456782',
        status: 'ontvangen',
        tekst: 'Via beheer',
      });
      expect(created.status).to.equal(303);
      const uuid = /\/admin\/verzoeken\/([0-9a-f-]{36})/.exec(created.location!)![1]!;
      const api = await t.api().get(`/api/v1/verzoeken/${uuid}`);
      expect(api.body).to.include({ status: 'ontvangen', tekst: 'Via beheer' });
      expect(api.body.identificatie).to.match(/^VERZOEK-\d{4}-\d{10}$/);

      const edit = await c.get(`/admin/verzoeken/${uuid}/bewerken`);
      const form = formValues(edit.html, `/admin/verzoeken/${uuid}/bewerken`);
      expect((await c.post(`/admin/verzoeken/${uuid}/bewerken`, { ...form, status: 'afgehandeld' })).status).to.equal(
        303,
      );
      expect((await t.api().get(`/api/v1/verzoeken/${uuid}`)).body).to.include({
        status: 'afgehandeld',
        identificatie: api.body.identificatie,
      });

      expect((await c.post(`/admin/verzoeken/${uuid}/verwijderen`)).status).to.equal(303);
      expect((await t.api().get(`/api/v1/verzoeken/${uuid}`)).status).to.equal(404);
      const actions = (await t.db()('admin_audit').where('target', 'like', `%${uuid}`).orderBy('id')).map(
        (e) => e.action,
      );
      expect(actions).to.deep.equal(['verzoek.create', 'verzoek.update', 'verzoek.delete']);
    });

    it('adds a product to a verzoek from its page, with the verzoek filled in, and lists the relations', async () => {
      const verzoek = (await t.api().post('/api/v1/verzoeken', { bronorganisatie: '123456782', status: 'ontvangen' }))
        .body;
      const c = await as('eddy');
      const detail = await c.get(`/admin/verzoeken/${uuidOf(verzoek.url)}`);
      const href = /href="(\/admin\/verzoekproducten\/nieuw\?[^"]+)"/.exec(detail.html)![1]!.replace(/&amp;/g, '&');
      const form = await c.get(href);
      const values = formValues(form.html, '/admin/verzoekproducten/nieuw');
      expect(values).to.include({ verzoek: verzoek.url });
      const res = await c.post('/admin/verzoekproducten/nieuw', { ...values, 'productIdentificatie.code': 'P-1' });
      expect(res.status).to.equal(303);
      const products = (await t.api().get(`/api/v1/verzoekproducten?verzoek=${encodeURIComponent(verzoek.url)}`)).body;
      expect(products).to.have.length(1);
      expect(products[0].productIdentificatie).to.deep.equal({ code: 'P-1' });
      const list = await c.get(`/admin/verzoekproducten?verzoek=${uuidOf(verzoek.url)}`);
      expect(list.html).to.include('P-1');
      expect((await c.get(`/admin/verzoeken/${uuidOf(verzoek.url)}`)).html).to.include('P-1');
      // Relations are created and deleted, never edited (as in the API).
      expect((await c.get(`/admin/verzoekproducten/${uuidOf(products[0].url)}/bewerken`)).status).to.equal(404);
      expect((await c.post(`/admin/verzoekproducten/${uuidOf(products[0].url)}/verwijderen`)).status).to.equal(303);
      expect((await t.api().get(products[0].url)).status).to.equal(404);
    });

    it('serves a list, a new-form and a detail page for every one of the eight resources', async () => {
      const klant = await newKlant();
      const verzoek = (
        await t.api().post('/api/v1/verzoeken', { bronorganisatie: '123456782', klant: klant.url, status: 'ontvangen' })
      ).body;
      const cm = (
        await t.api().post('/api/v1/contactmomenten', {
          bronorganisatie: '123456782',
          klant: klant.url,
          medewerker: 'https://medewerkers.example/api/v1/medewerkers/1',
        })
      ).body;
      const vcm = (
        await t.api().post('/api/v1/verzoekcontactmomenten', { verzoek: verzoek.url, contactmoment: cm.url })
      ).body;
      const c = await as('eddy');
      for (const name of RESOURCES) {
        expect((await c.get(`/admin/${name}`)).status, name).to.equal(200);
        expect((await c.get(`/admin/${name}/nieuw`)).status, `${name}/nieuw`).to.equal(200);
      }
      for (const url of [klant.url, verzoek.url, cm.url, vcm.url]) {
        const page = await c.get(`/admin/${url.split('/').slice(-2).join('/')}`);
        expect(page.status, url).to.equal(200);
      }
      const verzoekPage = await c.get(`/admin/verzoeken/${uuidOf(verzoek.url)}`);
      expect(verzoekPage.html).to.include(`href="/admin/verzoekcontactmomenten/${uuidOf(vcm.url)}"`);
      expect(verzoekPage.html).to.include(`href="/admin/klanten/${uuidOf(klant.url)}"`);
      expect((await c.get('/admin/nietsbestaands')).status).to.equal(404);
      expect((await c.get('/admin/klanten/not-a-uuid')).status).to.equal(404);
    });

    it('lists verzoeken by status, klant and identificatie (or the externe identificatie)', async () => {
      const klant = await newKlant();
      const post = async (body: Record<string, unknown>) =>
        (await t.api().post('/api/v1/verzoeken', { bronorganisatie: '123456782', ...body })).body as {
          url: string;
          identificatie: string;
        };
      const mine = await post({ status: 'in_behandeling', klant: klant.url, externeIdentificatie: 'EXT-9' });
      const other = await post({ status: 'ontvangen' });
      const c = await as('vera');
      const rows = async (query: string) => {
        const html = (await c.get(`/admin/verzoeken?${query}`)).html;
        return [...html.slice(html.indexOf('<tbody')).matchAll(/href="\/admin\/verzoeken\/([0-9a-f-]{36})"/g)].map(
          (m) => m[1],
        );
      };
      expect(await rows('status=in_behandeling')).to.deep.equal([uuidOf(mine.url)]);
      expect(await rows(`klant=${encodeURIComponent(klant.url)}`)).to.deep.equal([uuidOf(mine.url)]);
      expect(await rows(`klant=${uuidOf(klant.url)}`)).to.deep.equal([uuidOf(mine.url)]);
      expect(await rows(`identificatie=${other.identificatie}`)).to.deep.equal([uuidOf(other.url)]);
      expect(await rows('identificatie=EXT-9')).to.deep.equal([uuidOf(mine.url)]);
      expect(await rows('status=afgewezen')).to.deep.equal([]);
    });

    it('lists contactmomenten of a date range in date order, paged along the date index', async () => {
      const cm = { bronorganisatie: '123456782', medewerker: 'https://medewerkers.example/api/v1/medewerkers/1' };
      // Made newest first, so date order is not id order.
      for (let day = 28; day >= 1; day--) {
        const interactiedatum = `2026-02-${String(day).padStart(2, '0')}T10:00:00Z`;
        await t.api().post('/api/v1/contactmomenten', { ...cm, kanaal: `dag-${day}`, interactiedatum });
      }
      const c = await as('vera');
      const dates = (html: string) => [...html.matchAll(/<td>(2026-02-\d\d)T10:00:00Z<\/td>/g)].map((m) => m[1]);
      const first = await c.get('/admin/contactmomenten?van=2026-02-02');
      expect(dates(first.html)).to.deep.equal(
        Array.from({ length: 25 }, (_, i) => `2026-02-${String(i + 2).padStart(2, '0')}`),
      );
      const next = /href="([^"]+)" rel="next"/.exec(first.html)![1]!.replace(/&amp;/g, '&');
      const second = await c.get(next);
      expect(dates(second.html)).to.deep.equal(['2026-02-27', '2026-02-28']);
      expect(second.html).not.to.include('rel="next"');
    });

    it('lists contactmomenten by klant, kanaal and date, and links each to its klant', async () => {
      const klant = await newKlant();
      const cm = { bronorganisatie: '123456782', medewerker: 'https://medewerkers.example/api/v1/medewerkers/1' };
      await t.api().post('/api/v1/contactmomenten', {
        ...cm,
        klant: klant.url,
        kanaal: 'telefoon',
        interactiedatum: '2026-03-01T10:00:00Z',
      });
      await t
        .api()
        .post('/api/v1/contactmomenten', { ...cm, kanaal: 'balie', interactiedatum: '2026-04-01T10:00:00Z' });
      const c = await as('vera');
      const byKlant = await c.get(`/admin/contactmomenten?klant=${encodeURIComponent(klant.url)}`);
      expect(byKlant.html).to.include('telefoon').and.not.include('balie');
      expect(byKlant.html).to.include(`href="/admin/klanten/${uuidOf(klant.url)}"`);
      expect((await c.get('/admin/contactmomenten?kanaal=balie')).html)
        .to.include('balie')
        .and.not.include('telefoon');
      const range = await c.get('/admin/contactmomenten?van=2026-03-15&tot=2026-04-01');
      expect(range.html).to.include('balie').and.not.include('telefoon');
      const detail = await c.get(`/admin/klanten/${uuidOf(klant.url)}`);
      expect(detail.html).to.include('Contactmomenten').and.include('telefoon');
    });
  });

  describe('management (admin role)', () => {
    it('adds a user whose password is shown once, and refuses removing the last admin', async () => {
      const c = await as('ada');
      await c.get('/admin/gebruikers');
      const added = await c.post('/admin/gebruikers', { username: 'nieuw', role: 'viewer' });
      expect(added.status).to.equal(200);
      const password = /<p class="secret" id="secret">([^<]+)<\/p>/.exec(added.html)![1]!;
      expect((await client().login('nieuw', password)).status).to.equal(303);
      const refused = await c.post('/admin/gebruikers/ada/verwijderen');
      expect(refused.status).to.equal(400);
      expect(await t.db()('admin_users').where({ username: 'ada' }).first()).to.include({ role: 'admin' });
      const audit = await t.db()('admin_audit').where({ action: 'user.add', target: 'nieuw' }).first();
      expect(audit.after).not.to.include(password);
    });

    it('adds an applicatie whose secret is shown once and works for the API', async () => {
      const c = await as('ada');
      await c.get('/admin/applicaties');
      const res = await c.post('/admin/applicaties', { clientId: 'loket', label: 'Loket', scopes: ['klanten.lezen'] });
      const secret = /<p class="secret" id="secret">([^<]+)<\/p>/.exec(res.html)![1]!;
      const { tokenFor } = await import('../../helpers/tokens.js');
      const token = await tokenFor({ clientId: 'loket', secret });
      expect((await t.api().get('/api/v1/klanten', { token })).status).to.equal(200);
      expect((await t.api().post('/api/v1/klanten', KLANT, { token })).status).to.equal(403);
      expect((await c.get('/admin/applicaties')).html).not.to.include(secret);
      await c.post('/admin/applicaties/loket/verwijderen');
      expect(await t.db()('applicaties').where({ client_id: 'loket' }).first()).to.equal(undefined);
    });

    it('adds, replaces and removes an outgoing service; its secret is kept when left empty and never shown', async () => {
      const c = await as('ada');
      await c.get('/admin/services');
      const root = 'https://zrc.example/api/v1/';
      const service = { apiRoot: root, label: 'ZRC', clientId: 'kic', userId: 'kic', userRepresentation: 'KIC' };
      expect((await c.post('/admin/services', { ...service, secret: 'geheim-1' })).status).to.equal(303);
      expect((await c.post('/admin/services', { ...service, label: 'Zaken', secret: '' })).status).to.equal(303);
      const stored = await t.db()('services').where({ api_root: root }).first();
      expect(stored).to.include({ label: 'Zaken', secret: 'geheim-1' });
      const page = await c.get('/admin/services');
      expect(page.html).to.include(root).and.include('Zaken').and.not.include('geheim-1');
      // Too long for its column: the page's answer, not a failed insert.
      const long = await c.post('/admin/services', { ...service, label: 'x'.repeat(101), secret: 's' });
      expect(long.status).to.equal(400);
      expect((await t.db()('services').where({ api_root: root }).first()).label).to.equal('Zaken');
      expect((await c.post('/admin/services/verwijderen', { apiRoot: root })).status).to.equal(303);
      expect(await t.db()('services').where({ api_root: root }).first()).to.equal(undefined);
      const entries = await t.db()('admin_audit').where('target', root).orderBy('id');
      expect(entries.map((e) => e.action)).to.deep.equal(['service.add', 'service.replace', 'service.remove']);
      for (const e of entries) expect(`${e.before} ${e.after}`).not.to.include('geheim');
    });

    it('masks BSNs in the audit log page as in the lists', async () => {
      const klant = await newKlant();
      const uuid = uuidOf(klant.url);
      await proposeEdit(await as('eddy'), uuid, { voornaam: 'Annemarie' });
      expect((await (await as('anton')).post(`/admin/klanten/${uuid}/werkkopie/goedkeuren`)).status).to.equal(303);
      const page = await (await as('ada')).get('/admin/audit?actie=klant.werkkopie-goedgekeurd');
      expect(page.html).to.include('Annemarie').and.include('••••••333').and.not.include('111222333');
      // The record itself keeps the whole value.
      const entry = await t
        .db()('admin_audit')
        .where({ action: 'klant.werkkopie-goedgekeurd', target: klant.url })
        .first();
      expect(entry.after).to.include('111222333');
    });

    it('keeps the audit log append-only, also for SQL', async () => {
      await as('ada');
      let refused = 0;
      for (const change of [
        () => t.db()('admin_audit').update({ username: 'x' }),
        () => t.db()('admin_audit').delete(),
      ]) {
        try {
          await change();
        } catch (err) {
          expect(String(err)).to.include('append-only');
          refused++;
        }
      }
      expect(refused).to.equal(2);
      const c = await as('ada');
      const page = await c.get('/admin/audit?actie=login');
      expect(page.html).to.include('ada');
    });
  });
});
