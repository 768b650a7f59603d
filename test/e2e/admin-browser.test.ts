import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { addUsers, KLANT, PASSWORD } from '../helpers/admin.js';
import { registerClients, startApp, type StartedApp } from '../helpers/app.js';
import { screenshot, sharedBrowser } from '../helpers/browser.js';
import { freshDatabase, type TestDatabase } from '../helpers/databases.js';
import { DrcTestDouble } from '../helpers/drc-double.js';
import { until } from '../helpers/until.js';

const SHOTS = 'admin';

// The admin in a real headless Chromium, as people use it: by label and button text, no JavaScript
// of ours involved. The data paths run on both engines in the HTTP-level tests; this runs on SQLite.
describe('admin interface in a browser', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let started: StartedApp;
  const drc = new DrcTestDouble();
  const contexts: BrowserContext[] = [];

  before(async function () {
    await sharedBrowser(); // npm test installs Debian's chromium when it is missing
    database = await freshDatabase('sqlite');
    await registerClients(database.db);
    await drc.start();
    await drc.register(database.db);
    // Retries far in the future: a failed delivery waits for the "retry now" button.
    started = await startApp(database.db, {}, {}, { sync: { retryMs: 600_000 } });
    await addUsers(database.db, { eddy: 'editor', anton: 'approver', ada: 'admin' });
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  after(async () => {
    await started?.close();
    await drc.stop();
    await database?.drop();
  });

  const api = () => started.api;
  const url = (path: string) => api().url(path);

  async function login(username: string): Promise<Page> {
    const context = await (
      await sharedBrowser()
    ).newContext({ viewport: { width: 1366, height: 768 }, locale: 'nl-NL' });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(url('/admin/'));
    await page.getByLabel('Gebruikersnaam').fill(username);
    await page.getByLabel('Wachtwoord').fill(PASSWORD);
    await page.getByRole('button', { name: 'Inloggen' }).click();
    await page.waitForURL(/\/admin\/klanten/);
    return page;
  }

  it('logs in, finds a klant, proposes an edit, and a second person approves it; the API then has it', async () => {
    const klant = (await api().post('/api/v1/klanten', KLANT)).body as { url: string };
    await api().post('/api/v1/klanten', { ...KLANT, voornaam: 'Bram', emailadres: 'bram@example.nl' });
    await api().post('/api/v1/contactmomenten', {
      bronorganisatie: '123456782',
      klant: klant.url,
      kanaal: 'telefoon',
      medewerker: 'https://medewerkers.example/api/v1/medewerkers/1',
    });

    const eddy = await login('eddy');
    // Keyboard first: the first Tab reaches the skip link.
    await eddy.keyboard.press('Tab');
    expect(await eddy.locator(':focus').textContent()).to.equal('Naar de inhoud');
    await screenshot(eddy, SHOTS, '01-klanten');
    await eddy.getByLabel('Naam of e-mailadres').fill('anna');
    await eddy.getByLabel('Naam of e-mailadres').press('Enter');
    await eddy.waitForURL(/q=anna/);
    expect(await eddy.locator('tbody tr').count()).to.equal(1);
    expect(await eddy.locator('tbody').textContent())
      .to.include('••••••333')
      .and.not.include('111222333');
    await eddy.locator('tbody tr a').first().click();
    await eddy.getByRole('heading', { name: 'Klant Anna de Vries' }).waitFor();
    await screenshot(eddy, SHOTS, '02-klant');

    await eddy.getByRole('link', { name: 'Wijziging voorstellen' }).click();
    await eddy.getByLabel('voornaam', { exact: true }).fill('Annemarie');
    await screenshot(eddy, SHOTS, '03-klant-bewerken');
    await eddy.getByRole('button', { name: 'Opslaan als werkkopie' }).click();
    await eddy.getByText('wacht op goedkeuring door een tweede persoon').waitFor();
    expect((await api().get(klant.url)).body.voornaam).to.equal('Anna');
    expect((await api().patch(klant.url, { voornaam: 'API' })).status).to.equal(409);

    const anton = await login('anton');
    await anton.getByRole('link', { name: 'Werkkopieën' }).click();
    await screenshot(anton, SHOTS, '04-werkkopieen');
    await anton.getByRole('link', { name: 'Anna de Vries' }).click();
    await anton.getByRole('heading', { name: /Werkkopie van klant/ }).waitFor();
    await screenshot(anton, SHOTS, '05-werkkopie-diff');
    await anton.getByRole('button', { name: 'Goedkeuren' }).click();
    await anton.getByText('De werkkopie is goedgekeurd').waitFor();

    expect((await api().get(klant.url)).body).to.include({ voornaam: 'Annemarie', achternaam: 'de Vries' });
  });

  it('links a document to a verzoek, which reaches the DRC and shows as delivered', async () => {
    const verzoek = (await api().post('/api/v1/verzoeken', { bronorganisatie: '123456782', status: 'ontvangen' }))
      .body as {
      url: string;
    };
    const eddy = await login('eddy');
    await eddy.getByRole('link', { name: 'Verzoeken', exact: true }).click();
    await screenshot(eddy, SHOTS, '06-verzoeken');
    await eddy.goto(url(`/admin/verzoeken/${verzoek.url.split('/').pop()}`));
    await eddy.getByLabel('Document koppelen: URL van het informatieobject').fill(drc.document(1));
    await eddy.getByRole('button', { name: 'Koppelen' }).click();
    await eddy.getByText('Het document is gekoppeld.').waitFor();

    const mirrors = drc.mirrorsOf(verzoek.url);
    expect(mirrors.map((m) => m.informatieobject)).to.deep.equal([drc.document(1)]);
    const row = eddy.locator('#documenten + table tbody tr').first();
    expect(await row.textContent())
      .to.include('afgeleverd')
      .and.include(mirrors[0]!.url);
    await screenshot(eddy, SHOTS, '07-verzoek-documenten');
  });

  it('shows a failing delivery with its error on the sync page, and a retry delivers it', async () => {
    const verzoek = (await api().post('/api/v1/verzoeken', { bronorganisatie: '123456782', status: 'ontvangen' }))
      .body as {
      url: string;
    };
    drc.oioDown = true;
    const eddy = await login('eddy');
    await eddy.goto(url(`/admin/verzoeken/${verzoek.url.split('/').pop()}`));
    await eddy.getByLabel('Document koppelen: URL van het informatieobject').fill(drc.document(2));
    await eddy.getByRole('button', { name: 'Koppelen' }).click();
    await eddy.getByText('Het document is gekoppeld.').waitFor();
    const row = eddy.locator('#documenten + table tbody tr').first();
    expect(await row.textContent())
      .to.include('mislukt')
      .and.include('503')
      .and.include('Volgende poging');

    await eddy.getByRole('link', { name: 'Synchronisatie' }).click();
    const failing = eddy.locator('tbody tr', { hasText: drc.document(2) });
    expect(await failing.textContent())
      .to.include('mislukt')
      .and.include('503');
    await screenshot(eddy, SHOTS, '08-sync-mislukt');

    drc.oioDown = false;
    await failing.getByRole('button', { name: 'Nu opnieuw' }).click();
    await eddy.getByText('De aflevering staat klaar voor een nieuwe poging.').waitFor();
    await until('the DRC has the mirror', () => drc.mirrorsOf(verzoek.url).length === 1);
    await until(
      'the outbox is settled',
      async () => (await database.db('outbox').where({ state: 'pending' })).length === 0,
    );
    await eddy.reload();
    expect(await eddy.locator('tbody').textContent()).to.include('Niets open');
    await eddy.goto(url(`/admin/verzoeken/${verzoek.url.split('/').pop()}`));
    expect(await eddy.locator('#documenten + table tbody tr').first().textContent()).to.include('afgeleverd');
  });

  it('shows the management pages to an admin', async () => {
    const ada = await login('ada');
    for (const [link, name] of [
      ['Contactmomenten', '09-contactmomenten'],
      ['Gebruikers', '10-gebruikers'],
      ['Applicaties', '11-applicaties'],
      ['Services', '12-services'],
      ['Auditlog', '13-auditlog'],
      ['Synchronisatie', '14-sync'],
    ] as const) {
      await ada.getByRole('navigation', { name: 'Hoofdmenu' }).getByRole('link', { name: link, exact: true }).click();
      await ada.getByRole('heading', { level: 1 }).waitFor();
      await screenshot(ada, SHOTS, name);
    }
    expect(await ada.locator('table').first().textContent()).to.include('Niets open');
  });
});
