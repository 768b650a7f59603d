import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { describeApi } from '../../helpers/app.js';
import { FakeRemote, eio } from '../../helpers/fake-remote.js';

const VERZOEK = { bronorganisatie: '123456782', status: 'ontvangen' };

// A short outgoing timeout so a DRC that never answers costs the test well under a second.
describeApi(
  'verzoekinformatieobjecten',
  (t) => {
    // The Documenten API this component may call, and one it may not.
    const drc = new FakeRemote();
    const stranger = new FakeRemote();
    // Requests the DRC double keeps hanging; answered after each test so no connection outlives it.
    let hanging: (() => void)[] = [];

    before(async () => {
      await drc.start();
      await stranger.start();
      await drc.register(t.db(), 'kic-to-drc', 'drc-secret');
    });
    after(async () => {
      await drc.stop();
      await stranger.stop();
    });
    beforeEach(() => {
      drc.reset();
      stranger.reset();
    });
    afterEach(() => {
      for (const release of hanging) release();
      hanging = [];
    });

    /** A document the DRC double serves. */
    function newDocument(): string {
      const path = `/api/v1/enkelvoudiginformatieobjecten/${randomUUID()}`;
      const url = `${drc.baseUrl}${path}`;
      drc.on(`GET ${path}`, () => ({ status: 200, body: eio(url) }));
      return url;
    }

    const newVerzoek = async (): Promise<string> => {
      const res = await t.api().post('/api/v1/verzoeken', VERZOEK);
      expect(res.status).to.equal(201);
      return res.body.url as string;
    };

    async function linked(
      verzoek?: string,
      informatieobject?: string,
    ): Promise<{ verzoek: string; informatieobject: string; url: string }> {
      const v = verzoek ?? (await newVerzoek());
      const io = informatieobject ?? newDocument();
      const res = await t.api().post('/api/v1/verzoekinformatieobjecten', { verzoek: v, informatieobject: io });
      expect(res.status).to.equal(201);
      return { verzoek: v, informatieobject: io, url: res.body.url as string };
    }

    const stored = () => t.db()('verzoekinformatieobjecten');
    const codes = (body: { invalidParams: { name: string; code: string }[] }) =>
      body.invalidParams.map((p) => `${p.name}:${p.code}`);

    describe('verzoekinformatieobject_create', () => {
      it('fetches the document from the DRC with our JWT for that service and answers 201', async () => {
        const verzoek = await newVerzoek();
        const informatieobject = newDocument();

        const res = await t.api().post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject });

        expect(res.status).to.equal(201);
        expect(res.body).to.deep.equal({ url: res.headers.get('location'), informatieobject, verzoek });
        expect(drc.requests).to.have.length(1);
        expect(drc.requests[0]).to.include({
          method: 'GET',
          path: new URL(informatieobject).pathname,
          clientId: 'kic-to-drc',
        });
        expect(drc.requests[0]!.headers['accept']).to.match(/application\/json/);
        const rows = await stored();
        expect(rows).to.have.length(1);
        expect(rows[0]).to.include({ informatieobject, verzoek_uuid: verzoek.split('/').pop() });
      });

      it('does not create objectinformatieobjecten in the DRC (only the document is read)', async () => {
        await linked();
        expect(drc.requests.map((r) => r.method)).to.deep.equal(['GET']);
      });

      it('answers 400 bad-url on informatieobject when the DRC answers 404', async () => {
        const verzoek = await newVerzoek();
        const informatieobject = `${drc.apiRoot}enkelvoudiginformatieobjecten/${randomUUID()}`;

        const res = await t.api().post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject });

        expect(res.status).to.equal(400);
        expect(codes(res.body)).to.deep.equal(['informatieobject:bad-url']);
        expect(drc.requests).to.have.length(1);
        expect(await stored()).to.have.length(0);
      });

      it('answers 400 bad-url for a document of an unregistered host and never calls that host', async () => {
        const verzoek = await newVerzoek();
        const informatieobject = `${stranger.apiRoot}enkelvoudiginformatieobjecten/${randomUUID()}`;
        stranger.on(`GET ${new URL(informatieobject).pathname}`, () => ({ status: 200, body: eio(informatieobject) }));

        const res = await t.api().post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject });

        expect(res.status).to.equal(400);
        expect(codes(res.body)).to.deep.equal(['informatieobject:bad-url']);
        expect(stranger.requests).to.deep.equal([]);
        expect(await stored()).to.have.length(0);
      });

      it('answers 400 bad-url for a URL that only looks like it is under the DRC root', async () => {
        const verzoek = await newVerzoek();
        // Same host and port, but outside the registered API root; and the root smuggled in as userinfo.
        const outside = `${drc.baseUrl}/other/enkelvoudiginformatieobjecten/${randomUUID()}`;
        const userinfo = `http://user:pw@${new URL(drc.baseUrl).host}/api/v1/enkelvoudiginformatieobjecten/${randomUUID()}`;

        for (const informatieobject of [outside, userinfo]) {
          const res = await t.api().post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject });
          expect(res.status, informatieobject).to.equal(400);
          expect(codes(res.body)).to.deep.equal(['informatieobject:bad-url']);
        }
        expect(drc.requests).to.deep.equal([]);
      });

      it('answers 400 bad-url when the DRC does not answer within the outgoing timeout', async () => {
        const verzoek = await newVerzoek();
        const path = `/api/v1/enkelvoudiginformatieobjecten/${randomUUID()}`;
        drc.on(
          `GET ${path}`,
          () =>
            new Promise((resolve) => hanging.push(() => resolve({ status: 200, body: eio(`${drc.baseUrl}${path}`) }))),
        );

        const res = await t
          .api()
          .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: `${drc.baseUrl}${path}` });

        expect(res.status).to.equal(400);
        expect(codes(res.body)).to.deep.equal(['informatieobject:bad-url']);
        expect(await stored()).to.have.length(0);
      });

      it('does not follow a redirect from the DRC to an unregistered host (bad-url)', async () => {
        const verzoek = await newVerzoek();
        const path = `/api/v1/enkelvoudiginformatieobjecten/${randomUUID()}`;
        const elsewhere = `${stranger.baseUrl}${path}`;
        stranger.on(`GET ${path}`, () => ({ status: 200, body: eio(elsewhere) }));
        drc.on(`GET ${path}`, () => ({ status: 307, headers: { location: elsewhere } }));

        const res = await t
          .api()
          .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: `${drc.baseUrl}${path}` });

        expect(res.status).to.equal(400);
        expect(codes(res.body)).to.deep.equal(['informatieobject:bad-url']);
        expect(stranger.requests).to.deep.equal([]);
      });

      it('follows a redirect within the registered DRC', async () => {
        const verzoek = await newVerzoek();
        const moved = `/api/v1/enkelvoudiginformatieobjecten/${randomUUID()}`;
        const target = newDocument();
        drc.on(`GET ${moved}`, () => ({ status: 301, headers: { location: target } }));

        const res = await t
          .api()
          .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: `${drc.baseUrl}${moved}` });

        expect(res.status).to.equal(201);
        expect(drc.requests.map((r) => [r.path, r.clientId])).to.deep.equal([
          [moved, 'kic-to-drc'],
          [new URL(target).pathname, 'kic-to-drc'],
        ]);
      });

      it('answers 400 invalid-resource when the document lacks required properties or is not JSON', async () => {
        const verzoek = await newVerzoek();
        const incomplete = `${drc.apiRoot}enkelvoudiginformatieobjecten/${randomUUID()}`;
        const { titel: _titel, informatieobjecttype: _type, ...rest } = eio(incomplete);
        drc.on(`GET ${new URL(incomplete).pathname}`, () => ({ status: 200, body: rest }));
        const text = `${drc.apiRoot}enkelvoudiginformatieobjecten/${randomUUID()}`;
        drc.on(`GET ${new URL(text).pathname}`, () => ({
          status: 200,
          body: 'just text',
          headers: { 'content-type': 'text/plain' },
        }));

        for (const informatieobject of [incomplete, text]) {
          const res = await t.api().post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject });
          expect(res.status, informatieobject).to.equal(400);
          expect(codes(res.body)).to.deep.equal(['informatieobject:invalid-resource']);
        }
        expect(await stored()).to.have.length(0);
      });

      it('reports a bad verzoek together with a bad document, and stores nothing', async () => {
        const missing = `${t.api().config.publicUrl}/api/v1/verzoeken/${randomUUID()}`;
        const res = await t.api().post('/api/v1/verzoekinformatieobjecten', {
          verzoek: missing,
          informatieobject: `${drc.apiRoot}enkelvoudiginformatieobjecten/${randomUUID()}`,
        });
        expect(res.status).to.equal(400);
        expect(codes(res.body)).to.have.members(['verzoek:does_not_exist', 'informatieobject:bad-url']);
        expect(await stored()).to.have.length(0);
      });

      it('applies the local hyperlink rules to verzoek', async () => {
        const informatieobject = newDocument();
        const contactmoment = await t.api().post('/api/v1/contactmomenten', {
          bronorganisatie: '123456782',
          medewerker: 'https://medewerkers.example/api/v1/medewerkers/1',
        });
        const cases: [string, string][] = [
          [`${t.api().config.publicUrl}/api/v1/verzoeken/${randomUUID()}`, 'does_not_exist'],
          [contactmoment.body.url as string, 'incorrect_match'],
          [`${t.api().config.publicUrl}/elders/${randomUUID()}`, 'no_match'],
        ];
        for (const [verzoek, code] of cases) {
          const res = await t.api().post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject });
          expect(res.status, verzoek).to.equal(400);
          expect(codes(res.body), verzoek).to.deep.equal([`verzoek:${code}`]);
        }
        expect(await stored()).to.have.length(0);
      });

      it('accepts a verzoek URL on another host, resolving it by path and answering the canonical URL', async () => {
        const verzoek = await newVerzoek();
        const res = await t.api().post('/api/v1/verzoekinformatieobjecten', {
          verzoek: verzoek.replace(t.api().config.publicUrl, 'http://kic.internal:8080'),
          informatieobject: newDocument(),
        });
        expect(res.status).to.equal(201);
        expect(res.body.verzoek).to.equal(verzoek);
      });

      it('answers a duplicate pair with 400 unique (nonFieldErrors), never 500', async () => {
        const first = await linked();

        const res = await t.api().post('/api/v1/verzoekinformatieobjecten', {
          verzoek: first.verzoek,
          informatieobject: first.informatieobject,
        });

        expect(res.status).to.equal(400);
        expect(res.body.invalidParams).to.deep.equal([
          {
            name: 'nonFieldErrors',
            code: 'unique',
            reason: 'De velden verzoek, informatieobject moeten een unieke set zijn.',
          },
        ]);
        expect(await stored()).to.have.length(1);
        // The same document with another verzoek is a new pair.
        await linked(undefined, first.informatieobject);
        expect(await stored()).to.have.length(2);
      });

      it('rejects a missing or malformed informatieobject without calling anything', async () => {
        const verzoek = await newVerzoek();
        const missing = await t.api().post('/api/v1/verzoekinformatieobjecten', { verzoek });
        expect(missing.status).to.equal(400);
        expect(codes(missing.body)).to.deep.equal(['informatieobject:required']);
        const malformed = await t
          .api()
          .post('/api/v1/verzoekinformatieobjecten', { verzoek, informatieobject: 'not a url' });
        expect(malformed.status).to.equal(400);
        expect(codes(malformed.body)).to.deep.equal(['informatieobject:invalid']);
        expect(drc.requests).to.deep.equal([]);
      });
    });

    describe('verzoekinformatieobject_read', () => {
      it('returns the link with an ETag without calling the DRC, and 404 for an unknown uuid', async () => {
        const link = await linked();
        drc.requests.length = 0;
        const res = await t.api().get(link.url);
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({
          url: link.url,
          informatieobject: link.informatieobject,
          verzoek: link.verzoek,
        });
        expect(res.headers.get('etag')).to.match(/^"[0-9a-f]{32}"$/);
        expect(drc.requests).to.deep.equal([]);
        expect((await t.api().get(`/api/v1/verzoekinformatieobjecten/${randomUUID()}`)).status).to.equal(404);
      });
    });

    describe('verzoekinformatieobject_delete', () => {
      it('deletes the link with 204 and leaves the verzoek', async () => {
        const link = await linked();
        const res = await t.api().delete(link.url);
        expect(res.status).to.equal(204);
        expect(await stored()).to.have.length(0);
        expect((await t.api().get(link.url)).status).to.equal(404);
        expect((await t.api().get(link.verzoek)).status).to.equal(200);
        expect((await t.api().delete(link.url)).status).to.equal(404);
      });

      it('goes with the verzoek when the verzoek is deleted', async () => {
        const link = await linked();
        expect((await t.api().delete(link.verzoek)).status).to.equal(204);
        expect(await stored()).to.have.length(0);
        expect((await t.api().get(link.url)).status).to.equal(404);
      });
    });

    describe('verzoekinformatieobject_list', () => {
      it('filters on verzoek as a local URL and on informatieobject exactly', async () => {
        const verzoek = await newVerzoek();
        const doc = newDocument();
        const a = await linked(verzoek, doc);
        const b = await linked(verzoek);
        const c = await linked(undefined, doc);
        const urls = async (query: string) => {
          const res = await t.api().get(`/api/v1/verzoekinformatieobjecten${query}`);
          expect(res.status, query).to.equal(200);
          return (res.body as { url: string }[]).map((x) => x.url);
        };

        expect(await urls('')).to.deep.equal([a.url, b.url, c.url]);
        expect(await urls(`?verzoek=${encodeURIComponent(verzoek)}`)).to.deep.equal([a.url, b.url]);
        expect(await urls(`?informatieobject=${encodeURIComponent(doc)}`)).to.deep.equal([a.url, c.url]);
        expect(
          await urls(`?verzoek=${encodeURIComponent(verzoek)}&informatieobject=${encodeURIComponent(doc)}`),
        ).to.deep.equal([a.url]);
        expect(await urls(`?informatieobject=${encodeURIComponent(doc.toUpperCase())}`)).to.deep.equal([]);
        expect(
          await urls(`?verzoek=${encodeURIComponent(`${t.api().config.publicUrl}/api/v1/verzoeken/${randomUUID()}`)}`),
        ).to.deep.equal([]);
        // A local filter URL on another host matches nothing, as vng-api-common's filters do.
        expect(
          await urls(
            `?verzoek=${encodeURIComponent(verzoek.replace(t.api().config.publicUrl, 'http://kic.internal:8080'))}`,
          ),
        ).to.deep.equal([]);
      });

      it('answers 400 for a verzoek filter of another resource type and for unknown parameters', async () => {
        const wrongType = `${t.api().config.publicUrl}/api/v1/contactmomenten/${randomUUID()}`;
        const res = await t.api().get(`/api/v1/verzoekinformatieobjecten?verzoek=${encodeURIComponent(wrongType)}`);
        expect(res.status).to.equal(400);
        expect(codes(res.body)).to.deep.equal(['verzoek:invalid-type']);
        const unknown = await t.api().get('/api/v1/verzoekinformatieobjecten?object=x');
        expect(unknown.status).to.equal(400);
        expect(codes(unknown.body)).to.deep.equal(['nonFieldErrors:unknown-parameters']);
      });
    });
  },
  { KIC_OUTGOING_TIMEOUT_MS: '400' },
);
