import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { describeApi, type ApiTestContext } from '../../helpers/app.js';
import { FakeRemote, zaak, type RecordedRequest } from '../../helpers/fake-remote.js';
import { CLIENTS, tokenFor } from '../../helpers/tokens.js';

/**
 * The shared suite of objectcontactmomenten and objectverzoeken: both come from one implementation
 * (src/domain/object-relations.ts, objectRelation(...)), a local resource linked to a zaak whose ZRC
 * must hold the same relation (zaakcontactmomenten, zaakverzoeken).
 */

type Field = 'contactmoment' | 'verzoek';

/** The local collection (URL path segment and table) each field points to. */
const LOCAL_COLLECTION: Record<Field, string> = { contactmoment: 'contactmomenten', verzoek: 'verzoeken' };
const OTHER_FIELD: Record<Field, Field> = { contactmoment: 'verzoek', verzoek: 'contactmoment' };

export interface ObjectRelationParams {
  /** The collection served here: 'objectcontactmomenten' | 'objectverzoeken'. */
  path: string;
  /** The property holding the local resource URL. */
  field: Field;
  /** The ZRC collection that holds the canonical relation: 'zaakcontactmomenten' | 'zaakverzoeken'. */
  zrcCollection: string;
  /** The body that creates a local resource (POST /api/v1/<local collection>). */
  localBody: Record<string, unknown>;
  /** The operationId prefix: 'objectcontactmoment' | 'objectverzoek'. */
  operationId: string;
  /** Declares tests specific to one resource inside its <operationId>_create block. */
  createTests?: (ctx: ObjectRelationContext) => void;
}

export interface ObjectRelationContext {
  t: ApiTestContext;
  /** The registered ZRC double (reset before each test). */
  zrc: FakeRemote;
  /** Creates a local resource through the API and returns its URL. */
  newLocal: () => Promise<string>;
}

export function describeObjectRelation(p: ObjectRelationParams): void {
  const { path, field, zrcCollection, operationId: op } = p;
  const local = LOCAL_COLLECTION[field];
  const other = OTHER_FIELD[field];
  const collectionPath = `/api/v1/${path}`;
  const lookupPath = `/api/v1/${zrcCollection}`;

  describeApi(path, (t) => {
    // The Zaken API this component may call (registered, with our outgoing credentials) and one it may not.
    const zrc = new FakeRemote();
    const stranger = new FakeRemote();
    // What the ZRC double holds: its zaak<field> relations (zaak URL and local resource URL).
    let relations: { zaak: string; local: string }[];

    before(async () => {
      await zrc.start();
      await stranger.start();
      await zrc.register(t.db());
    });
    after(async () => {
      await zrc.stop();
      await stranger.stop();
    });
    beforeEach(() => {
      zrc.reset();
      stranger.reset();
      relations = [];
      serveZrc();
    });

    /** The ZRC double: zaken only with Accept-Crs (as a real ZRC), and the relation list filtered like a real one. */
    function serveZrc(): void {
      zrc.on(`GET ${lookupPath}`, (req) => ({
        status: 200,
        body: relations
          .filter(
            (r) =>
              (!req.query.has('zaak') || r.zaak === req.query.get('zaak')) &&
              (!req.query.has(field) || r.local === req.query.get(field)),
          )
          .map((r) => ({ url: `${zrc.apiRoot}${zrcCollection}/${randomUUID()}`, zaak: r.zaak, [field]: r.local })),
      }));
    }

    function newZaak(): string {
      const zaakPath = `/api/v1/zaken/${randomUUID()}`;
      const url = `${zrc.baseUrl}${zaakPath}`;
      zrc.on(`GET ${zaakPath}`, (req) =>
        req.headers['accept-crs'] === 'EPSG:4326'
          ? { status: 200, body: zaak(url) }
          : { status: 412, body: { code: 'missing-accept-crs-header' } },
      );
      return url;
    }

    const newLocal = async (): Promise<string> => {
      const res = await t.api().post(`/api/v1/${local}`, p.localBody);
      expect(res.status).to.equal(201);
      return res.body.url as string;
    };

    /** POSTs a link of the local resource to the object. */
    const link = (localUrl: string, object: string, objectType = 'zaak') =>
      t.api().post(collectionPath, { [field]: localUrl, object, objectType });

    /** A local resource and a zaak that the ZRC relates, plus the link stored here. */
    async function linked(): Promise<{ local: string; object: string; url: string }> {
      const localUrl = await newLocal();
      const object = newZaak();
      relations.push({ zaak: object, local: localUrl });
      const res = await link(localUrl, object);
      expect(res.status).to.equal(201);
      return { local: localUrl, object, url: res.body.url as string };
    }

    const lookups = (): RecordedRequest[] => zrc.requests.filter((r) => r.path === lookupPath);
    const stored = () => t.db()(path);

    /** Asserts a 400 whose only invalid param is `name` with `code`. */
    function expectOnly400(res: { status: number; body: any }, name: string, code: string): void {
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.have.length(1);
      expect(res.body.invalidParams[0]).to.include({ name, code });
    }

    /**
     * The delete refusals are a 400 ValidatieFout as the reference answers, which the spec does not
     * document for *_delete; they are asserted without the client's spec check.
     */
    async function deleteUnchecked(url: string): Promise<{ status: number; body: any }> {
      const res = await fetch(url, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${await tokenFor(CLIENTS.all)}` },
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    }

    describe(`${op}_create`, () => {
      it('fetches the zaak with our JWT and Accept-Crs, finds the relation in the ZRC and answers 201', async () => {
        const localUrl = await newLocal();
        const object = newZaak();
        relations.push({ zaak: object, local: localUrl });

        const res = await link(localUrl, object);

        expect(res.status).to.equal(201);
        expect(res.body).to.deep.equal({
          url: res.headers.get('location'),
          [field]: localUrl,
          object,
          objectType: 'zaak',
        });
        expect(res.body.url).to.match(new RegExp(`^${t.api().config.publicUrl}${collectionPath}/[0-9a-f-]{36}$`));
        const [fetchZaak, lookup, ...more] = zrc.requests;
        expect(more).to.deep.equal([]);
        expect(fetchZaak).to.include({ method: 'GET', path: new URL(object).pathname, clientId: 'kic-outgoing' });
        expect(fetchZaak!.headers['accept-crs']).to.equal('EPSG:4326');
        expect(lookup).to.include({ method: 'GET', path: lookupPath, clientId: 'kic-outgoing' });
        expect(Object.fromEntries(lookup!.query)).to.deep.equal({ zaak: object, [field]: localUrl });
        expect(localUrl.startsWith(`${t.api().config.publicUrl}/api/v1/${local}/`)).to.equal(true);
        const rows = await stored();
        expect(rows).to.have.length(1);
        expect(rows[0]).to.include({ object, object_type: 'zaak' });
      });

      it(`asks the ZRC with our canonical ${field} URL even when the client used another host`, async () => {
        const localUrl = await newLocal();
        const object = newZaak();
        relations.push({ zaak: object, local: localUrl });
        const otherHost = localUrl.replace(t.api().config.publicUrl, 'http://kic.internal:8080');

        const res = await link(otherHost, object);

        expect(res.status).to.equal(201);
        expect(res.body[field]).to.equal(localUrl);
        expect(lookups()[0]!.query.get(field)).to.equal(localUrl);
      });

      p.createTests?.({ t, zrc, newLocal });

      it('answers 400 inconsistent-relation and stores nothing when the ZRC does not have the relation', async () => {
        const localUrl = await newLocal();
        const object = newZaak();
        relations.push({ zaak: object, local: await newLocal() }); // the zaak is related, but to another local resource

        const res = await link(localUrl, object);

        expect(res.status).to.equal(400);
        expect(res.body.invalidParams).to.deep.equal([
          { name: 'nonFieldErrors', code: 'inconsistent-relation', reason: `The ${field} has no relations to zaak` },
        ]);
        expect(lookups()).to.have.length(1);
        expect(await stored()).to.have.length(0);
      });

      for (const status of [403, 500]) {
        it(`answers 400 relation-validation-error when the ZRC lookup answers ${status}`, async () => {
          const localUrl = await newLocal();
          const object = newZaak();
          zrc.on(`GET ${lookupPath}`, () => ({
            status,
            body: { code: status === 403 ? 'permission_denied' : 'error' },
          }));

          const res = await link(localUrl, object);

          expectOnly400(res, 'nonFieldErrors', 'relation-validation-error');
          expect(await stored()).to.have.length(0);
        });
      }

      it('answers 400 relation-validation-error when the ZRC lookup answers something that is not a list', async () => {
        const localUrl = await newLocal();
        const object = newZaak();
        zrc.on(`GET ${lookupPath}`, () => ({ status: 200, body: { detail: 'not a list' } }));

        const res = await link(localUrl, object);

        expect(res.status).to.equal(400);
        expect(res.body.invalidParams.map((x: { code: string }) => x.code)).to.deep.equal([
          'relation-validation-error',
        ]);
      });

      it('answers 400 bad-url on object when the zaak does not exist, without looking up the relation', async () => {
        const localUrl = await newLocal();
        const object = `${zrc.apiRoot}zaken/${randomUUID()}`;

        const res = await link(localUrl, object);

        expectOnly400(res, 'object', 'bad-url');
        expect(zrc.requests.map((r) => r.path)).to.deep.equal([new URL(object).pathname]);
        expect(await stored()).to.have.length(0);
      });

      it('answers 400 bad-url for a zaak of an unregistered host and never calls that host', async () => {
        const localUrl = await newLocal();
        const object = `${stranger.apiRoot}zaken/${randomUUID()}`;
        stranger.on(`GET ${new URL(object).pathname}`, () => ({ status: 200, body: zaak(object) }));
        stranger.on(`GET ${lookupPath}`, () => ({ status: 200, body: [{ zaak: object, [field]: localUrl }] }));

        const res = await link(localUrl, object);

        expectOnly400(res, 'object', 'bad-url');
        expect(stranger.requests).to.deep.equal([]);
        expect(zrc.requests).to.deep.equal([]);
        expect(await stored()).to.have.length(0);
      });

      it('does not follow a redirect from the ZRC to an unregistered host (bad-url)', async () => {
        const localUrl = await newLocal();
        const zaakPath = `/api/v1/zaken/${randomUUID()}`;
        const object = `${zrc.baseUrl}${zaakPath}`;
        const elsewhere = `${stranger.baseUrl}${zaakPath}`;
        stranger.on(`GET ${zaakPath}`, () => ({ status: 200, body: zaak(object) }));
        zrc.on(`GET ${zaakPath}`, () => ({ status: 302, headers: { location: elsewhere } }));
        relations.push({ zaak: object, local: localUrl });

        const res = await link(localUrl, object);

        expect(res.status).to.equal(400);
        expect(res.body.invalidParams[0]).to.include({ name: 'object', code: 'bad-url' });
        expect(stranger.requests).to.deep.equal([]);
        expect(lookups()).to.deep.equal([]);
        expect(await stored()).to.have.length(0);
      });

      it('answers 400 invalid-resource when the zaak lacks required properties', async () => {
        const localUrl = await newLocal();
        const object = newZaak();
        const { zaaktype: _zaaktype, startdatum: _startdatum, ...incomplete } = zaak(object);
        zrc.on(`GET ${new URL(object).pathname}`, () => ({ status: 200, body: incomplete }));
        relations.push({ zaak: object, local: localUrl });

        const res = await link(localUrl, object);

        expectOnly400(res, 'object', 'invalid-resource');
        expect(lookups()).to.deep.equal([]);
        expect(await stored()).to.have.length(0);
      });

      it('answers 400 invalid-resource when the zaak URL answers a JSON array', async () => {
        const localUrl = await newLocal();
        const object = newZaak();
        zrc.on(`GET ${new URL(object).pathname}`, () => ({ status: 200, body: [zaak(object)] }));

        const res = await link(localUrl, object);

        expect(res.status).to.equal(400);
        expect(res.body.invalidParams.map((x: { name: string; code: string }) => `${x.name}:${x.code}`)).to.deep.equal([
          'object:invalid-resource',
        ]);
      });

      it('answers a duplicate link with 400 unique (nonFieldErrors), never 500', async () => {
        const first = await linked();

        const res = await link(first.local, first.object);

        expectOnly400(res, 'nonFieldErrors', 'unique');
        expect(await stored()).to.have.length(1);
      });

      it('rejects an objectType other than zaak with invalid_choice, without calling the ZRC', async () => {
        const localUrl = await newLocal();
        const object = newZaak();

        const res = await link(localUrl, object, 'besluit');

        expectOnly400(res, 'objectType', 'invalid_choice');
        expect(zrc.requests).to.deep.equal([]);
      });

      it(`checks the local ${field} before calling the ZRC`, async () => {
        const object = newZaak();
        const missing = `${t.api().config.publicUrl}/api/v1/${local}/${randomUUID()}`;

        const res = await link(missing, object);

        expect(res.status).to.equal(400);
        expect(res.body.invalidParams).to.deep.equal([
          { name: field, code: 'does_not_exist', reason: res.body.invalidParams[0].reason },
        ]);
        expect(zrc.requests).to.deep.equal([]);
      });

      it('reports every missing field as required', async () => {
        const res = await t.api().post(collectionPath, {});
        expect(res.status).to.equal(400);
        expect(
          res.body.invalidParams.map((x: { name: string; code: string }) => `${x.name}:${x.code}`),
        ).to.have.members([`${field}:required`, 'object:required', 'objectType:required']);
        expect(zrc.requests).to.deep.equal([]);
      });
    });

    describe(`${op}_read`, () => {
      it('returns the link with an ETag, and 404 for an unknown uuid', async () => {
        const linkRow = await linked();
        const res = await t.api().get(linkRow.url);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({
          url: linkRow.url,
          [field]: linkRow.local,
          object: linkRow.object,
          objectType: 'zaak',
        });
        expect(res.headers.get('etag')).to.match(/^"[0-9a-f]{32}"$/);
        expect((await t.api().get(`${collectionPath}/${randomUUID()}`)).status).to.equal(404);
      });
    });

    describe(`${op}_delete`, () => {
      it('refuses with remote-relation-exists while the ZRC still lists the relation, and keeps the row', async () => {
        const linkRow = await linked();
        zrc.requests.length = 0;

        const res = await deleteUnchecked(linkRow.url);

        expect(res.status).to.equal(400);
        expect(res.body.invalidParams).to.deep.equal([
          {
            name: 'nonFieldErrors',
            code: 'remote-relation-exists',
            reason: 'The canonical remote relation still exists, this relation cannot be deleted.',
          },
        ]);
        expect(zrc.requests).to.have.length(1);
        expect(zrc.requests[0]).to.include({ path: lookupPath, clientId: 'kic-outgoing' });
        expect(Object.fromEntries(zrc.requests[0]!.query)).to.deep.equal({
          zaak: linkRow.object,
          [field]: linkRow.local,
        });
        expect(await stored()).to.have.length(1);
        expect((await t.api().get(linkRow.url)).status).to.equal(200);
      });

      it('deletes with 204 once the ZRC no longer lists the relation', async () => {
        const linkRow = await linked();
        relations.length = 0;

        const res = await t.api().delete(linkRow.url);

        expect(res.status).to.equal(204);
        expect(await stored()).to.have.length(0);
        expect((await t.api().get(linkRow.url)).status).to.equal(404);
        expect(await t.db()(local)).to.have.length(1); // the local resource itself stays
      });

      it('refuses with relation-lookup-error when the ZRC lookup fails, and keeps the row', async () => {
        const linkRow = await linked();
        zrc.on(`GET ${lookupPath}`, () => ({ status: 500, body: { code: 'error' } }));

        const res = await deleteUnchecked(linkRow.url);

        expectOnly400(res, 'nonFieldErrors', 'relation-lookup-error');
        expect(await stored()).to.have.length(1);
      });

      it('answers 404 for an unknown uuid without calling the ZRC', async () => {
        const res = await t.api().delete(`${collectionPath}/${randomUUID()}`);
        expect(res.status).to.equal(404);
        expect(zrc.requests).to.deep.equal([]);
      });
    });

    describe(`${op}_list`, () => {
      it(`filters on object exactly and on ${field} as a local URL`, async () => {
        const a = await linked();
        const b = await linked();
        const urls = async (query: string) => {
          const res = await t.api().get(`${collectionPath}${query}`);
          expect(res.status, query).to.equal(200);
          return (res.body as { url: string }[]).map((x) => x.url);
        };
        const q = (value: string) => encodeURIComponent(value);

        expect(await urls('')).to.deep.equal([a.url, b.url]);
        expect(await urls(`?object=${q(a.object)}`)).to.deep.equal([a.url]);
        expect(await urls(`?object=${q(`${a.object}/`)}`)).to.deep.equal([]);
        expect(await urls(`?${field}=${q(b.local)}`)).to.deep.equal([b.url]);
        expect(await urls(`?${field}=${q(a.local)}&object=${q(b.object)}`)).to.deep.equal([]);
        const unknownLocal = `${t.api().config.publicUrl}/api/v1/${local}/${randomUUID()}`;
        expect(await urls(`?${field}=${q(unknownLocal)}`)).to.deep.equal([]);
        expect(lookups()).to.have.length(2); // only the two creates
      });

      it(`answers 400 invalid-type for a ${field} filter with a URL of another resource, and unknown-parameters for others`, async () => {
        const wrongType = `${t.api().config.publicUrl}/api/v1/${LOCAL_COLLECTION[other]}/${randomUUID()}`;
        const res = await t.api().get(`${collectionPath}?${field}=${encodeURIComponent(wrongType)}`);
        expect(res.status).to.equal(400);
        expect(res.body.invalidParams[0]).to.include({ name: field, code: 'invalid-type' });

        const unknown = await t.api().get(`${collectionPath}?${other}=x`);
        expect(unknown.status).to.equal(400);
        expect(unknown.body.invalidParams[0]).to.include({ name: 'nonFieldErrors', code: 'unknown-parameters' });
      });
    });
  });
}
