import { expect } from 'chai';
import { jwtVerify } from 'jose';
import { HttpResponse, delay, http } from 'msw';
import { setupServer } from 'msw/node';
import { HttpRemoteChecks } from '../../src/remote/checks.js';
import { RemoteHttp, UnregisteredUrlError } from '../../src/remote/http.js';
import { ServiceRegistry, type Service } from '../../src/remote/services.js';

const service = (apiRoot: string, clientId = '', secret = ''): Service => ({
  apiRoot,
  label: apiRoot,
  clientId,
  secret,
  userId: '',
  userRepresentation: '',
});

const ZRC = service('https://zrc.example/api/v1/', 'kic-zrc', 'zrc-secret');
const DRC = service('https://drc.example/api/v1/', 'kic-drc', 'drc-secret');
// Another API on the ZRC's host, registered without credentials.
const OPEN = service('https://zrc.example/open/api/v1/');

const server = setupServer();

/** Every request msw saw, with its headers, in order. */
let seen: { method: string; url: string; headers: Headers }[] = [];

// msw patches Node's HTTP modules while it listens: everything runs inside this one describe, never as root hooks.
describe('outgoing HTTP', () => {
  before(() => server.listen({ onUnhandledRequest: 'error' }));
  after(() => server.close());
  beforeEach(() => {
    seen = [];
    server.events.on('request:start', ({ request }) => {
      seen.push({ method: request.method, url: request.url, headers: request.headers });
    });
  });
  afterEach(() => {
    server.resetHandlers();
    server.events.removeAllListeners();
  });

  const registry = (services: Service[] = [ZRC, DRC, OPEN]) => new ServiceRegistry(async () => services);

  async function claimsOf(authorization: string | null, secret: string): Promise<Record<string, unknown>> {
    expect(authorization, 'authorization header').to.match(/^Bearer /);
    const { payload, protectedHeader } = await jwtVerify(authorization!.slice(7), new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
    });
    expect(protectedHeader).to.include({ alg: 'HS256', typ: 'JWT' });
    return payload;
  }

  describe('ServiceRegistry.match', () => {
    it('picks the registered service with the longest API root that prefixes the URL', async () => {
      const r = registry();
      expect((await r.match('https://zrc.example/api/v1/zaken/1'))?.apiRoot).to.equal(ZRC.apiRoot);
      expect((await r.match('https://zrc.example/open/api/v1/zaken/1'))?.apiRoot).to.equal(OPEN.apiRoot);
      expect((await r.match('https://drc.example/api/v1/'))?.apiRoot).to.equal(DRC.apiRoot);
    });

    it('matches nothing outside the roots: other hosts, schemes, ports, sibling paths, userinfo and non-URLs', async () => {
      const r = registry();
      for (const url of [
        'https://elsewhere.example/api/v1/zaken/1',
        'http://zrc.example/api/v1/zaken/1',
        'https://zrc.example:8443/api/v1/zaken/1',
        'https://zrc.example/api/v10/zaken/1',
        'https://zrc.example/api/v1',
        'https://zrc.example.evil.example/api/v1/zaken/1',
        'https://user:pw@zrc.example/api/v1/zaken/1',
        'https://zrc.example@evil.example/api/v1/zaken/1',
        'not a url',
      ]) {
        expect(await r.match(url), url).to.equal(undefined);
      }
    });

    it('compares URLs in their normal form (host case, default port, dot segments)', async () => {
      const r = registry([service('https://ZRC.example:443/api/v1/')]);
      expect(await r.match('https://zrc.example/api/v1/zaken/1')).to.not.equal(undefined);
      expect(await r.match('HTTPS://Zrc.Example/api/v1/zaken/1')).to.not.equal(undefined);
      expect(await registry().match('https://zrc.example/api/v1/../admin/x')).to.equal(undefined);
    });

    it('reads the services once while cached, and again after invalidate()', async () => {
      let loads = 0;
      const r = new ServiceRegistry(async () => {
        loads++;
        return [ZRC];
      }, 60_000);
      await r.match('https://zrc.example/api/v1/zaken/1');
      await r.match('https://zrc.example/api/v1/zaken/2');
      expect(loads).to.equal(1);
      r.invalidate();
      await r.match('https://zrc.example/api/v1/zaken/3');
      expect(loads).to.equal(2);
    });
  });

  describe('RemoteHttp', () => {
    const remote = (timeoutMs = 2_000, services?: Service[]) => new RemoteHttp(registry(services), timeoutMs);

    it('GETs with a fresh JWT-ZGW of the matching service and answers the parsed JSON', async () => {
      server.use(http.get('https://zrc.example/api/v1/zaken/1', () => HttpResponse.json({ url: 'z' })));

      const res = await remote().get('https://zrc.example/api/v1/zaken/1', { 'accept-crs': 'EPSG:4326' });

      expect(res).to.deep.equal({ ok: true, status: 200, body: '{"url":"z"}', json: { url: 'z' } });
      expect(seen).to.have.length(1);
      const headers = seen[0]!.headers;
      expect(headers.get('accept')).to.equal('application/json');
      expect(headers.get('accept-crs')).to.equal('EPSG:4326');
      const claims = await claimsOf(headers.get('authorization'), 'zrc-secret');
      expect(claims).to.include({ iss: 'kic-zrc', client_id: 'kic-zrc', user_id: '', user_representation: '' });
      expect(claims['iat']).to.be.a('number');
    });

    it('sends no authorization header to a service registered without credentials', async () => {
      server.use(http.get('https://zrc.example/open/api/v1/x', () => HttpResponse.json([])));
      const res = await remote().get('https://zrc.example/open/api/v1/x');
      expect(res.ok).to.equal(true);
      expect(seen[0]!.headers.has('authorization')).to.equal(false);
    });

    it('refuses a URL outside the registered services without sending anything', async () => {
      let error: unknown;
      try {
        await remote().get('https://elsewhere.example/api/v1/zaken/1');
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(UnregisteredUrlError);
      expect(seen).to.deep.equal([]);
    });

    it('reports an HTTP error with its status and body, and does not retry', async () => {
      server.use(
        http.get('https://zrc.example/api/v1/zaken/1', () => HttpResponse.json({ code: 'error' }, { status: 503 })),
      );
      const res = await remote().get('https://zrc.example/api/v1/zaken/1');
      expect(res).to.deep.include({ ok: false, status: 503, body: '{"code":"error"}' });
      expect(seen).to.have.length(1);
    });

    it('answers a 2xx that is not JSON with json undefined', async () => {
      server.use(http.get('https://drc.example/api/v1/x', () => HttpResponse.text('<html>')));
      expect(await remote().get('https://drc.example/api/v1/x')).to.deep.equal({
        ok: true,
        status: 200,
        body: '<html>',
        json: undefined,
      });
    });

    it('reports a network error and a timeout as failures, not exceptions', async () => {
      server.use(
        http.get('https://drc.example/api/v1/down', () => HttpResponse.error()),
        http.get('https://drc.example/api/v1/slow', async () => {
          await delay('infinite');
          return HttpResponse.json({});
        }),
      );
      const down = await remote().get('https://drc.example/api/v1/down');
      expect(down.ok).to.equal(false);
      expect(down).to.not.have.property('status');
      const slow = await remote(50).get('https://drc.example/api/v1/slow');
      expect(slow.ok).to.equal(false);
      expect(slow.ok === false && slow.reason).to.match(/timeout/i);
    });

    it('POSTs JSON with the service JWT', async () => {
      server.use(
        http.post('https://drc.example/api/v1/objectinformatieobjecten', async ({ request }) =>
          HttpResponse.json(await request.json(), { status: 201 }),
        ),
      );
      const res = await remote().request(
        'POST',
        'https://drc.example/api/v1/objectinformatieobjecten',
        {},
        { objectType: 'verzoek' },
      );
      expect(res).to.deep.include({ ok: true, status: 201, json: { objectType: 'verzoek' } });
      expect(seen[0]!.headers.get('content-type')).to.match(/^application\/json/);
      expect(await claimsOf(seen[0]!.headers.get('authorization'), 'drc-secret')).to.include({ client_id: 'kic-drc' });
    });

    it('does not follow a redirect to an unregistered host', async () => {
      server.use(
        http.get('https://zrc.example/api/v1/zaken/1', () => HttpResponse.redirect('https://evil.example/steal', 302)),
        http.get('https://evil.example/steal', () => HttpResponse.json({ url: 'x' })),
      );
      const res = await remote().get('https://zrc.example/api/v1/zaken/1');
      expect(res.ok).to.equal(false);
      expect(res).to.not.have.property('status');
      expect(seen.map((s) => s.url)).to.deep.equal(['https://zrc.example/api/v1/zaken/1']);
    });

    it('does not follow a redirect on the same host to a path outside the registered roots', async () => {
      server.use(
        http.get(
          'https://zrc.example/api/v1/zaken/1',
          () => new HttpResponse(null, { status: 302, headers: { location: '/admin/secret' } }),
        ),
        http.get('https://zrc.example/admin/secret', () => HttpResponse.json({})),
      );
      const res = await remote().get('https://zrc.example/api/v1/zaken/1');
      expect(res.ok).to.equal(false);
      expect(seen).to.have.length(1);
    });

    it('follows a redirect to another registered service with that service’s JWT', async () => {
      server.use(
        http.get('https://zrc.example/api/v1/documents/1', () =>
          HttpResponse.redirect('https://drc.example/api/v1/documents/1', 301),
        ),
        http.get('https://drc.example/api/v1/documents/1', () => HttpResponse.json({ url: 'd' })),
      );
      const res = await remote().get('https://zrc.example/api/v1/documents/1');
      expect(res).to.deep.include({ ok: true, json: { url: 'd' } });
      expect(seen.map((s) => s.url)).to.deep.equal([
        'https://zrc.example/api/v1/documents/1',
        'https://drc.example/api/v1/documents/1',
      ]);
      expect(await claimsOf(seen[1]!.headers.get('authorization'), 'drc-secret')).to.include({ client_id: 'kic-drc' });
    });

    it('does not pass one service’s JWT on to another service on the same host that has no credentials', async () => {
      server.use(
        http.get('https://zrc.example/api/v1/moved', () =>
          HttpResponse.redirect('https://zrc.example/open/api/v1/here', 302),
        ),
        http.get('https://zrc.example/open/api/v1/here', () => HttpResponse.json({})),
      );
      const res = await remote().get('https://zrc.example/api/v1/moved');
      expect(res.ok).to.equal(true);
      expect(seen).to.have.length(2);
      expect(seen[1]!.headers.has('authorization')).to.equal(false);
    });

    it('stops after a bounded number of redirects', async () => {
      let hops = 0;
      server.use(
        http.get('https://zrc.example/api/v1/loop/:n', ({ params }) => {
          hops++;
          return HttpResponse.redirect(`https://zrc.example/api/v1/loop/${Number(params['n']) + 1}`, 302);
        }),
      );
      const res = await remote().get('https://zrc.example/api/v1/loop/0');
      expect(res.ok).to.equal(false);
      expect(hops).to.be.within(2, 10);
    });
  });

  describe('HttpRemoteChecks', () => {
    const checks = (services?: Service[]) => new HttpRemoteChecks(new RemoteHttp(registry(services), 2_000));
    const ZAAK = 'https://zrc.example/api/v1/zaken/4f7ec2a6-7fd5-4c3b-9f59-2b4c9e1d3a10';
    const DOC = 'https://drc.example/api/v1/enkelvoudiginformatieobjecten/0c6b1d44-3c0e-4a57-b1c8-45d3b1f4a8e2';
    const zaak = {
      url: ZAAK,
      bronorganisatie: '123456782',
      zaaktype: 'https://ztc.example/zaaktypen/1',
      verantwoordelijkeOrganisatie: '123456782',
      startdatum: '2024-01-01',
    };
    const document = {
      url: DOC,
      bronorganisatie: '123456782',
      creatiedatum: '2024-01-01',
      titel: 'Brief',
      auteur: 'Burger',
      taal: 'nld',
      informatieobjecttype: 'https://ztc.example/iot/1',
    };

    describe('checkResource', () => {
      it('accepts a zaak fetched with Accept-Crs and a document fetched without it', async () => {
        server.use(
          http.get(ZAAK, ({ request }) =>
            request.headers.get('accept-crs') === 'EPSG:4326'
              ? HttpResponse.json(zaak)
              : new HttpResponse(null, { status: 412 }),
          ),
          http.get(DOC, () => HttpResponse.json(document)),
        );
        expect(await checks().checkResource(ZAAK, 'object', 'Zaak')).to.equal(undefined);
        expect(await checks().checkResource(DOC, 'informatieobject', 'EnkelvoudigInformatieObject')).to.equal(
          undefined,
        );
        expect(seen[1]!.headers.has('accept-crs')).to.equal(false);
      });

      it('answers bad-url for a non-200 answer, a network error and an unregistered URL', async () => {
        server.use(
          http.get(ZAAK, () => HttpResponse.json({ code: 'not_found' }, { status: 404 })),
          http.get(DOC, () => HttpResponse.json(document, { status: 203 })),
        );
        expect(await checks().checkResource(ZAAK, 'object', 'Zaak')).to.include({ name: 'object', code: 'bad-url' });
        expect(await checks().checkResource(DOC, 'informatieobject', 'EnkelvoudigInformatieObject')).to.include({
          code: 'bad-url',
        });
        server.use(http.get(ZAAK, () => HttpResponse.error()));
        expect(await checks().checkResource(ZAAK, 'object', 'Zaak')).to.include({ code: 'bad-url' });
        const before = seen.length;
        expect(await checks().checkResource('https://elsewhere.example/zaken/1', 'object', 'Zaak')).to.include({
          name: 'object',
          code: 'bad-url',
        });
        expect(seen).to.have.length(before);
      });

      it('answers invalid-resource for a body that is not a JSON object or lacks required properties', async () => {
        const { zaaktype: _omitted, ...withoutZaaktype } = zaak;
        for (const body of [withoutZaaktype, [zaak], 'text', null]) {
          server.use(
            http.get(ZAAK, () => (typeof body === 'string' ? HttpResponse.text(body) : HttpResponse.json(body))),
          );
          const problem = await checks().checkResource(ZAAK, 'object', 'Zaak');
          expect(problem, JSON.stringify(body)).to.include({ name: 'object', code: 'invalid-resource' });
        }
      });

      it('answers invalid-resource when a required property is null or not a string', async () => {
        for (const body of [
          { ...document, titel: null },
          { ...document, url: 42 },
          { ...document, informatieobjecttype: ['x'] },
        ]) {
          server.use(http.get(DOC, () => HttpResponse.json(body)));
          const problem = await checks().checkResource(DOC, 'informatieobject', 'EnkelvoudigInformatieObject');
          expect(problem, JSON.stringify(body)).to.include({ name: 'informatieobject', code: 'invalid-resource' });
        }
      });
    });

    describe('countRelations', () => {
      const query = { zaak: ZAAK, contactmoment: 'https://kic.example/api/v1/contactmomenten/1' };

      it('counts a plain array and a paginated list from the API root of the object', async () => {
        server.use(http.get('https://zrc.example/api/v1/zaakcontactmomenten', () => HttpResponse.json([{}, {}])));
        expect(await checks().countRelations(ZAAK, 'zaakcontactmomenten', query)).to.deep.equal({ ok: true, count: 2 });
        const asked = new URL(seen[0]!.url);
        expect(Object.fromEntries(asked.searchParams)).to.deep.equal(query);
        expect(await claimsOf(seen[0]!.headers.get('authorization'), 'zrc-secret')).to.include({
          client_id: 'kic-zrc',
        });

        server.use(
          http.get('https://zrc.example/api/v1/zaakcontactmomenten', () =>
            HttpResponse.json({ count: 0, next: null, previous: null, results: [] }),
          ),
        );
        expect(await checks().countRelations(ZAAK, 'zaakcontactmomenten', query)).to.deep.equal({ ok: true, count: 0 });
      });

      it('asks the API the object lives in, also when the service is registered with a broader root', async () => {
        server.use(http.get('https://zrc.example/api/v1/zaakverzoeken', () => HttpResponse.json([{}])));
        const broad = service('https://zrc.example/', 'kic-zrc', 'zrc-secret');
        expect(await checks([broad]).countRelations(ZAAK, 'zaakverzoeken', { zaak: ZAAK })).to.deep.equal({
          ok: true,
          count: 1,
        });
        expect(seen.map((s) => new URL(s.url).pathname)).to.deep.equal(['/api/v1/zaakverzoeken']);
      });

      it('reports a failed lookup, an answer that is not a list and an unregistered object without throwing', async () => {
        server.use(
          http.get('https://zrc.example/api/v1/zaakcontactmomenten', () =>
            HttpResponse.json({ code: 'permission_denied' }, { status: 403 }),
          ),
        );
        expect(await checks().countRelations(ZAAK, 'zaakcontactmomenten', query)).to.deep.include({
          ok: false,
          status: 403,
        });
        server.use(
          http.get('https://zrc.example/api/v1/zaakcontactmomenten', () => HttpResponse.json({ detail: 'x' })),
        );
        expect(await checks().countRelations(ZAAK, 'zaakcontactmomenten', query)).to.include({ ok: false });
        const before = seen.length;
        expect(
          await checks().countRelations('https://elsewhere.example/api/v1/zaken/1', 'zaakcontactmomenten', query),
        ).to.include({ ok: false });
        // Registered only for its zaken: the collection next to them is not ours to call.
        const narrow = service('https://zrc.example/api/v1/zaken/', 'kic-zrc', 'zrc-secret');
        expect(await checks([narrow]).countRelations(ZAAK, 'zaakcontactmomenten', query)).to.include({ ok: false });
        expect(seen).to.have.length(before);
      });
    });
  });
});
