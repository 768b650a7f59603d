import { expect } from 'chai';
import { OpenAPIBackend, type Request } from 'openapi-backend';
import { compileRouting } from '../../src/api/routing.js';
import { loadSpec } from '../../src/api/spec.js';

// The compiled routing must decide exactly as openapi-backend's own router: same operation, same
// 404/405, same parsed request.
describe('compiled routing (same answers as openapi-backend)', () => {
  const build = async (): Promise<OpenAPIBackend> => {
    const api: OpenAPIBackend = new OpenAPIBackend({
      definition: loadSpec('klantinteracties.yaml').definition as never,
      apiRoot: '/api/v1',
      quick: true,
    });
    await api.init();
    return api;
  };

  const uuid = '0f6e7c1a-1a2b-4c3d-8e9f-0a1b2c3d4e5f';
  const requests: Request[] = [];
  for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']) {
    for (const path of [
      '/api/v1/klanten',
      `/api/v1/klanten/${uuid}`,
      `/api/v1/klanten/${uuid}/`,
      '/api/v1/klanten/not-a-uuid',
      '/api/v1/contactmomenten',
      `/api/v1/contactmomenten/${uuid}`,
      `/api/v1/verzoekinformatieobjecten/${uuid}`,
      '/api/v1/verzoeken?klant=x',
      `/api/v1/objectcontactmomenten/${encodeURIComponent('a b')}`,
      '/api/v1/nothing',
      '/api/v1',
      '/api/v10/klanten',
      '/elsewhere',
    ]) {
      requests.push({ method, path, headers: { accept: 'application/json' }, query: {} });
    }
  }
  requests.push(
    { method: 'GET', path: '/api/v1/klanten', headers: {}, query: { subjectType: 'natuurlijk_persoon', page: '2' } },
    {
      method: 'GET',
      path: '/api/v1/verzoekinformatieobjecten',
      headers: { 'X-Mixed': 'A' },
      query: { verzoek: 'https://x/api/v1/verzoeken/1' },
    },
    { method: 'GET', path: `/api/v1/klanten/${uuid}`, headers: { cookie: 'a=1' }, query: {} },
  );

  it('matches the same operation, or fails the same way, for every request', async () => {
    const original = await build();
    const compiled = await build();
    compileRouting(compiled.router);
    const outcome = (api: OpenAPIBackend, req: Request) => {
      try {
        return api.router.matchOperation(req, true).operationId;
      } catch (err) {
        return (err as Error).message;
      }
    };
    for (const req of requests) {
      expect(outcome(compiled, req), `${req.method} ${req.path}`).to.equal(outcome(original, req));
      expect(compiled.router.matchOperation(req)?.operationId).to.equal(
        original.router.matchOperation(req)?.operationId,
      );
    }
  });

  it('parses every request the same, with and without its operation', async () => {
    const original = await build();
    const compiled = await build();
    compileRouting(compiled.router);
    for (const req of requests) {
      const op = original.router.matchOperation(req);
      const compiledOp = op && compiled.router.getOperation(op.operationId!);
      expect({ ...compiled.router.parseRequest(req) }, `${req.method} ${req.path}`).to.deep.equal({
        ...original.router.parseRequest(req),
      });
      if (op) {
        expect(
          { ...compiled.router.parseRequest(req, compiledOp) },
          `${req.method} ${req.path} as ${op.operationId}`,
        ).to.deep.equal({
          ...original.router.parseRequest(req, op),
        });
      }
    }
  });
});
