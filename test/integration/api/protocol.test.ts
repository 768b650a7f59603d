import { expect } from 'chai';
import { parse } from 'yaml';
import { describeApi } from '../../helpers/app.js';
import { CLIENTS, tokenFor } from '../../helpers/tokens.js';

const CM = { bronorganisatie: '123456782', kanaal: 'balie', medewerker: 'https://medewerkers.example/m/1' };
const MISSING = '/api/v1/contactmomenten/6f3a5b1e-2f55-4a5d-9d7c-0c1f3b7a9e11';

describeApi('HTTP protocol of the API', (t) => {
  it('publishes its spec without authentication, as YAML and as JSON', async () => {
    const yaml = await t.api().get('/api/v1/schema/openapi.yaml', { client: null });
    expect(yaml.status).to.equal(200);
    expect(yaml.headers.get('api-version')).to.equal('1.0.0-rc1');
    const doc = parse(yaml.text) as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.paths['/verzoekinformatieobjecten']?.['post']?.operationId).to.equal('verzoekinformatieobject_create');
    const json = await t.api().get('/api/v1/schema/openapi.json', { client: null });
    expect(json.body.info.version).to.equal('1.0.0-rc1');
  });

  it('answers unknown paths under /api/v1 with a problem+json 404 carrying API-version', async () => {
    for (const path of ['/api/v1/nothing', '/api/v1/contactmomenten/', '/elsewhere']) {
      const res = await t.api().get(path);
      expect(res.status, path).to.equal(404);
      expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(res.body).to.include({ code: 'not_found', status: 404 });
    }
    expect((await t.api().get('/api/v1/nothing')).headers.get('api-version')).to.equal('1.0.0-rc1');
  });

  it('answers 405 for a method the resource does not have, whatever the token', async () => {
    const res = await t
      .api()
      .request('PUT', '/api/v1/objectcontactmomenten/6f3a5b1e-2f55-4a5d-9d7c-0c1f3b7a9e11', {}, { client: null });
    expect(res.status).to.equal(405);
    expect(res.body.code).to.equal('method_not_allowed');
  });

  it('answers 406 when the client accepts no JSON, and serves application/problem+json acceptors', async () => {
    expect((await t.api().get('/api/v1/contactmomenten', { headers: { accept: 'text/html' } })).status).to.equal(406);
    expect(
      (await t.api().get('/api/v1/contactmomenten', { headers: { accept: 'application/problem+json' } })).status,
    ).to.equal(200);
  });

  it('answers 415 for a body that is not JSON, and treats an empty body as {}', async () => {
    const res = await t.api().request('POST', '/api/v1/contactmomenten', undefined, {
      raw: 'a=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).to.equal(415);
    expect(res.body.code).to.equal('unsupported_media_type');
    const empty = await t.api().request('POST', '/api/v1/contactmomenten');
    expect(empty.status).to.equal(400);
    expect(empty.body.invalidParams).to.deep.include({
      name: 'bronorganisatie',
      code: 'required',
      reason: 'Dit veld is vereist.',
    });
  });

  it('answers malformed JSON with 400 parse_error and stores nothing', async () => {
    const res = await t.api().request('POST', '/api/v1/contactmomenten', undefined, {
      raw: '{"bronorganisatie": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).to.equal(400);
    expect(res.body.code).to.equal('parse_error');
    expect(await t.db()('contactmomenten')).to.have.length(0);
  });

  it('checks authorisation before looking anything up or validating', async () => {
    expect((await t.api().get(MISSING, { client: null })).status).to.equal(403);
    const res = await t.api().post('/api/v1/contactmomenten', { bronorganisatie: 'x' }, { client: CLIENTS.reader });
    expect(res.status).to.equal(403);
    expect(res.body.code).to.equal('permission_denied');
  });

  it('gives each scope exactly its operations', async () => {
    const created = await t.api().post('/api/v1/contactmomenten', CM, { client: CLIENTS.writer });
    expect(created.status).to.equal(201);
    expect((await t.api().get(created.body.url, { client: CLIENTS.reader })).status).to.equal(200);
    expect((await t.api().get(created.body.url, { client: CLIENTS.none })).status).to.equal(403);
    expect((await t.api().patch(created.body.url, { tekst: 'x' }, { client: CLIENTS.reader })).status).to.equal(403);
    expect((await t.api().delete(created.body.url, { client: CLIENTS.reader })).status).to.equal(403);
    expect((await t.api().delete(created.body.url, { client: CLIENTS.writer })).status).to.equal(204);
  });

  it('answers every token problem with 403 and its code, never 500', async () => {
    const cases: [string, string][] = [
      [`Bearer ${await tokenFor(CLIENTS.all, { iat: Math.floor(Date.now() / 1000) - 7200 })}`, 'jwt-expired'],
      [`Bearer ${await tokenFor(CLIENTS.all, { iat: undefined })}`, 'jwt-missing-iat-claim'],
      [`Bearer ${await tokenFor({ clientId: 'test-all', secret: 'wrong' })}`, 'invalid-jwt-signature'],
      [`Bearer ${await tokenFor({ clientId: 'nobody', secret: 'x' })}`, 'invalid-client-identifier'],
      [`Bearer ${await tokenFor(CLIENTS.all, { client_id: undefined })}`, 'missing-client-identifier'],
      ['Bearer abc.def', 'jwt-decode-error'],
      [`Bearer ${await tokenFor(CLIENTS.all, { exp: 1 })}`, 'jwt-expired'],
    ];
    for (const [authorization, code] of cases) {
      const res = await t.api().get('/api/v1/contactmomenten', { token: null, headers: { authorization } });
      expect(res.status, code).to.equal(403);
      expect(res.body.code).to.equal(code);
    }
  });

  it('ignores unknown query parameters on the main lists', async () => {
    const res = await t.api().get('/api/v1/contactmomenten?foo=bar');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal([]);
  });

  it('builds resource URLs from KIC_PUBLIC_URL, never from the Host header', async () => {
    const res = await t.api().post('/api/v1/contactmomenten', CM, { headers: { host: 'evil.example' } });
    expect(res.body.url.startsWith(`${t.api().config.publicUrl}/api/v1/contactmomenten/`)).to.equal(true);
  });
});
