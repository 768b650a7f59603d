import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { describeApi } from '../../helpers/app.js';
import { FakeRemote } from '../../helpers/fake-remote.js';
import { tokenFor, type TestClient } from '../../helpers/tokens.js';
import * as applicaties from '../../../src/db/applicaties.js';

interface AcApplicatie {
  heeftAlleAutorisaties: boolean;
  autorisaties: { component: string; scopes: string[] }[];
}

const CM = {
  bronorganisatie: '123456782',
  kanaal: 'balie',
  medewerker: 'https://medewerkers.example/api/v1/medewerkers/1',
};

describe('authorisation through the Autorisaties API', () => {
  // The AC double must run before the component starts, because its root is configuration.
  const ac = new FakeRemote();
  const env: Record<string, string> = {};
  // What the AC double knows: applicaties by client id (with a url, as the AC serves them).
  const known = new Map<string, AcApplicatie[]>();

  before(async () => {
    await ac.start();
    env['KIC_AC_URL'] = ac.apiRoot.replace(/\/$/, '');
  });
  after(async () => {
    await ac.stop();
  });

  /** The AC's paginated applicaties list, filtered on clientIds like the real one. */
  function serveAc(): void {
    ac.on('GET /api/v1/applicaties', (req) => {
      const ids = (req.query.get('clientIds') ?? '').split(',');
      const results = ids.flatMap((id) =>
        (known.get(id) ?? []).map((a) => ({
          url: `${ac.apiRoot}applicaties/${randomUUID()}`,
          clientIds: [id],
          label: id,
          ...a,
        })),
      );
      return { status: 200, body: { count: results.length, next: null, previous: null, results } };
    });
  }

  describeApi(
    'Autorisaties API',
    (t) => {
      before(async () => {
        await ac.register(t.db(), 'kic-to-ac', 'ac-secret');
      });
      beforeEach(() => {
        ac.reset();
        known.clear();
        serveAc();
      });

      /**
       * A client known locally (its secret, and local grants that must NOT count) under a fresh
       * client id, so no earlier answer of the AC is cached for it.
       */
      async function client(
        inAc: AcApplicatie[] | undefined,
        local: { all?: boolean; scopes?: string[] } = { all: true },
      ): Promise<TestClient> {
        const c = { clientId: `ac-client-${randomUUID()}`, secret: `secret-${randomUUID()}`, scopes: [] };
        await applicaties.upsert(t.db(), {
          clientId: c.clientId,
          secret: c.secret,
          label: c.clientId,
          heeftAlleAutorisaties: !!local.all,
          scopes: local.scopes ?? [],
        });
        if (inAc) known.set(c.clientId, inAc);
        return c;
      }

      const kic = (...scopes: string[]) => ({ component: 'kic', scopes });
      const acLookups = () => ac.requests.filter((r) => r.path === '/api/v1/applicaties');

      it('asks the AC with our own JWT which applicaties the client has, and its kic scopes decide', async () => {
        const reader = await client([{ heeftAlleAutorisaties: false, autorisaties: [kic('klanten.lezen')] }], {
          all: true,
        });

        const list = await t.api().get('/api/v1/contactmomenten', { client: reader });
        expect(list.status).to.equal(200);
        const create = await t.api().post('/api/v1/contactmomenten', CM, { client: reader });
        expect(create.status).to.equal(403); // the local heeftAlleAutorisaties does not count
        expect(create.body.code).to.equal('permission_denied');
        expect(await t.db()('contactmomenten')).to.have.length(0);

        const [lookup] = acLookups();
        expect(lookup).to.include({ method: 'GET', clientId: 'kic-to-ac' });
        expect(lookup!.query.get('clientIds')).to.equal(reader.clientId);
      });

      it('counts only the scopes of autorisaties for component kic', async () => {
        const elsewhere = await client(
          [
            {
              heeftAlleAutorisaties: false,
              autorisaties: [{ component: 'zrc', scopes: ['klanten.lezen', 'klanten.aanmaken'] }, kic('klanten.lezen')],
            },
          ],
          { scopes: ['klanten.aanmaken'] },
        );
        expect((await t.api().get('/api/v1/contactmomenten', { client: elsewhere })).status).to.equal(200);
        expect((await t.api().post('/api/v1/contactmomenten', CM, { client: elsewhere })).status).to.equal(403);

        const onlyOther = await client([
          { heeftAlleAutorisaties: false, autorisaties: [{ component: 'drc', scopes: ['klanten.lezen'] }] },
        ]);
        const res = await t.api().get('/api/v1/contactmomenten', { client: onlyOther });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('permission_denied');
      });

      it('takes the union of kic scopes over all applicaties and autorisaties of the client', async () => {
        const c = await client([
          { heeftAlleAutorisaties: false, autorisaties: [kic('klanten.lezen')] },
          { heeftAlleAutorisaties: false, autorisaties: [kic('klanten.aanmaken'), kic('klanten.verwijderen')] },
        ]);
        const created = await t.api().post('/api/v1/contactmomenten', CM, { client: c });
        expect(created.status).to.equal(201);
        expect((await t.api().patch(created.body.url, { tekst: 'x' }, { client: c })).status).to.equal(403);
        expect((await t.api().delete(created.body.url, { client: c })).status).to.equal(204);
      });

      it('allows everything to an applicatie with heeftAlleAutorisaties, even without autorisaties', async () => {
        const c = await client([{ heeftAlleAutorisaties: true, autorisaties: [] }], { all: false });
        const created = await t.api().post('/api/v1/contactmomenten', CM, { client: c });
        expect(created.status).to.equal(201);
        expect((await t.api().patch(created.body.url, { tekst: 'x' }, { client: c })).status).to.equal(200);
        expect((await t.api().delete(created.body.url, { client: c })).status).to.equal(204);
      });

      it('reuses the AC answer for the next requests of the same client', async () => {
        const c = await client([{ heeftAlleAutorisaties: false, autorisaties: [kic('klanten.lezen')] }]);
        expect((await t.api().get('/api/v1/contactmomenten', { client: c })).status).to.equal(200);
        expect((await t.api().get('/api/v1/klanten', { client: c })).status).to.equal(200);
        expect((await t.api().post('/api/v1/contactmomenten', CM, { client: c })).status).to.equal(403);
        expect(acLookups()).to.have.length(1);
        // Another client is a separate question to the AC.
        const other = await client([{ heeftAlleAutorisaties: true, autorisaties: [] }]);
        expect((await t.api().get('/api/v1/contactmomenten', { client: other })).status).to.equal(200);
        expect(acLookups().map((r) => r.query.get('clientIds'))).to.deep.equal([c.clientId, other.clientId]);
      });

      it('asks the AC once for requests of one client that arrive together', async () => {
        const c = await client([{ heeftAlleAutorisaties: false, autorisaties: [kic('klanten.lezen')] }]);
        const answers = await Promise.all(
          Array.from({ length: 5 }, () => t.api().get('/api/v1/contactmomenten', { client: c })),
        );
        expect(answers.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
        expect(acLookups()).to.have.length(1);
      });

      it('answers 403 not_authenticated_for_ac when the AC refuses our credentials', async () => {
        const c = await client([{ heeftAlleAutorisaties: true, autorisaties: [] }]);
        ac.on('GET /api/v1/applicaties', () => ({
          status: 403,
          body: { code: 'not_authenticated', title: 'Authenticatiegegevens zijn niet opgegeven.' },
        }));

        const res = await t.api().get('/api/v1/contactmomenten', { client: c });

        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('not_authenticated_for_ac');
        expect(acLookups()).to.have.length(1);
      });

      it('denies a client the AC does not know, and asks again next time (nothing cached)', async () => {
        const c = await client(undefined);
        for (let i = 0; i < 2; i++) {
          const res = await t.api().get('/api/v1/contactmomenten', { client: c });
          expect(res.status).to.equal(403);
          expect(res.body.code).to.equal('permission_denied');
        }
        expect(acLookups()).to.have.length(2);
        known.set(c.clientId, [{ heeftAlleAutorisaties: false, autorisaties: [kic('klanten.lezen')] }]);
        expect((await t.api().get('/api/v1/contactmomenten', { client: c })).status).to.equal(200);
      });

      it('treats another refusal of the AC as no autorisaties (403 permission_denied), not cached', async () => {
        const c = await client([{ heeftAlleAutorisaties: true, autorisaties: [] }]);
        ac.on('GET /api/v1/applicaties', () => ({ status: 403, body: { code: 'permission_denied' } }));
        const res = await t.api().get('/api/v1/contactmomenten', { client: c });
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal('permission_denied');
        serveAc();
        expect((await t.api().get('/api/v1/contactmomenten', { client: c })).status).to.equal(200);
      });

      it('answers 500 when the AC fails, and tries again on the next request', async () => {
        const c = await client([{ heeftAlleAutorisaties: true, autorisaties: [] }]);
        ac.on('GET /api/v1/applicaties', () => ({ status: 502, body: { code: 'bad_gateway' } }));
        const res = await t.api().get('/api/v1/contactmomenten', { client: c });
        expect(res.status).to.equal(500);
        serveAc();
        expect((await t.api().get('/api/v1/contactmomenten', { client: c })).status).to.equal(200);
        expect(acLookups()).to.have.length(2);
      });

      it('still takes the JWT secret from the local applicaties, and asks the AC nothing for a bad token', async () => {
        const c = await client([{ heeftAlleAutorisaties: true, autorisaties: [] }]);
        const wrongSecret = await t.api().get('/api/v1/contactmomenten', {
          token: await tokenFor({ clientId: c.clientId, secret: 'not-the-secret' }),
        });
        expect(wrongSecret.status).to.equal(403);
        expect(wrongSecret.body.code).to.equal('invalid-jwt-signature');

        // Known to the AC, but without a local secret: not a client of this component.
        const stranger = `ac-stranger-${randomUUID()}`;
        known.set(stranger, [{ heeftAlleAutorisaties: true, autorisaties: [] }]);
        const unknown = await t
          .api()
          .get('/api/v1/contactmomenten', { token: await tokenFor({ clientId: stranger, secret: 'whatever' }) });
        expect(unknown.status).to.equal(403);
        expect(unknown.body.code).to.equal('invalid-client-identifier');

        expect(acLookups()).to.deep.equal([]);
        expect((await t.api().get('/api/v1/contactmomenten', { client: c })).status).to.equal(200);
      });

      it('needs no token (and asks the AC nothing) for the published spec', async () => {
        const res = await t.api().get('/api/v1/schema/openapi.json', { client: null });
        expect(res.status).to.equal(200);
        expect(ac.requests).to.deep.equal([]);
      });
    },
    env,
  );
});
