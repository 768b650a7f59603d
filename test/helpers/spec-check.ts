import addFormats from 'ajv-formats';
import { OpenAPIBackend } from 'openapi-backend';
import { loadSpec } from '../../src/api/spec.js';

/** The APIs we serve: their root and spec, longest root first. */
const APIS = [
  { root: '/klanten/api/v1', spec: 'klanten.yaml' },
  { root: '/api/v1', spec: 'klantinteracties.yaml' },
];

const backends = new Map<string, Promise<OpenAPIBackend>>();

/** A separate openapi-backend over one of our specs, used only to check responses the way a client would. */
function checker(root: string, spec: string): Promise<OpenAPIBackend> {
  let backend = backends.get(root);
  backend ??= (async () => {
    const api = new OpenAPIBackend({
      definition: loadSpec(spec).definition as never,
      apiRoot: root,
      quick: true,
      ajvOpts: { strict: false, allErrors: true },
      customizeAjv: (ajv) => {
        addFormats.default(ajv);
        return ajv;
      },
    });
    await api.init();
    return api;
  })();
  backends.set(root, backend);
  return backend;
}

/**
 * Fails when a response breaks the spec: an undocumented status, a body that does not match the
 * documented schema, a missing API-version header, or a missing ETag/Location where promised.
 */
export async function assertMatchesSpec(
  method: string,
  path: string,
  status: number,
  headers: Headers,
  body: unknown,
): Promise<void> {
  const pathname = new URL(path, 'http://x').pathname;
  const served = APIS.find((a) => pathname.startsWith(`${a.root}/`));
  if (!served || pathname.startsWith(`${served.root}/schema/`) || pathname.endsWith('/')) return;
  const api = await checker(served.root, served.spec);
  let op;
  try {
    op = api.router.matchOperation(
      { method: method === 'HEAD' ? 'GET' : method, path: pathname, headers: {}, query: {} },
      true,
    );
  } catch {
    return; // 404/405 for an unknown route or method: nothing in the spec to compare with
  }
  const problems: string[] = [];
  if (!headers.get('api-version')) problems.push('no API-version header');
  if (status === 304 || method === 'HEAD') {
    if (!headers.get('etag') && status === 304) problems.push('304 without ETag');
  } else {
    const documented = Object.keys(op.responses ?? {});
    if (!documented.includes(String(status))) {
      problems.push(`status ${status} is not documented for ${op.operationId} (documented: ${documented.join(', ')})`);
    } else if (status !== 204) {
      const result = api.validator.validateResponse(body, op, status);
      if (result.errors?.length) problems.push(`body breaks the spec: ${JSON.stringify(result.errors.slice(0, 5))}`);
      const type = headers.get('content-type') ?? '';
      const expected = status >= 400 ? 'application/problem+json' : 'application/json';
      if (!type.startsWith(expected)) problems.push(`content-type ${type}, expected ${expected}`);
    }
    if (op.operationId?.endsWith('_read') && status === 200 && !headers.get('etag')) problems.push('read without ETag');
    if (status === 201 && headers.get('location') !== (body as { url?: string })?.url)
      problems.push('Location differs from url');
  }
  if (problems.length) throw new Error(`${method} ${path} → ${status}: ${problems.join('; ')}`);
}
