import type { OpenAPIRouter, Operation, ParsedRequest, Request } from 'openapi-backend';

// openapi-backend's router does its work anew on every request: matchOperation compiles a RegExp
// per path template, and parseRequest (run three times per request) compiles the matched path
// template again and deep-clones the query. That was ~15 % of a klant read. The operations never
// change after init(), so the same answers come from a table built once. Behaviour is that of
// openapi-backend 5.x: the same 404/405 decisions, specificity order and path parameters.

interface Route {
  operation: Operation;
  method: string;
  pattern: RegExp;
  /** Specificity: the length of the template without its parameters (longest first). */
  literalLength: number;
  /** The path parameters in the order of the template, and a pattern that captures them. */
  paramNames: string[];
  paramPattern: RegExp;
}

const PARAM = /\{[A-Za-z0-9_-]+\}/g;
const escapeRegExp = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces `matchOperation` and `parseRequest` of an initialised router with table lookups. */
export function compileRouting(router: OpenAPIRouter): void {
  const operations = router.getOperations();
  const exact = new Map<string, Operation>();
  const routes: Route[] = operations.map((operation) => {
    const path = operation.path;
    if (!exact.has(`${operation.method} ${path}`)) exact.set(`${operation.method} ${path}`, operation);
    return {
      operation,
      method: operation.method,
      // As openapi-backend: literal parts escaped, each {param} one non-empty segment part.
      pattern: new RegExp(
        `^${path
          .replace(/\{[^}]+\}/g, '\0')
          .split('\0')
          .map(escapeRegExp)
          .join('[^/]+')}$`,
      ),
      literalLength: path.replace(/\{.*?\}/g, '').length,
      // As bath-es5 (openapi-backend's path parameter parser): {name} captures `[^/]*`.
      paramNames: [...path.matchAll(PARAM)].map((m) => m[0].slice(1, -1)),
      paramPattern: new RegExp(`^${path.replace(PARAM, '([^\\/]*)')}$`),
    };
  });
  // Stable sort, as lodash orderBy: equally specific routes keep the definition's order.
  const bySpecificity = [...routes].sort((a, b) => b.literalLength - a.literalLength);
  const routeOf = new Map(routes.map((r) => [r.operation, r]));

  // As the router's own (private) isUnderApiRoot: the root itself or a child on a segment boundary.
  const root = router.apiRoot.replace(/\/$/, '');
  const isUnderApiRoot = (path: string) =>
    router.apiRoot === '/' ? path.startsWith('/') : path === root || path.startsWith(`${root}/`);

  const parsed = new WeakMap<
    Request,
    { normalized: Request; headers: Record<string, string | string[]>; requestBody: unknown; relativePath: string }
  >();
  const original = {
    parseRequest: router.parseRequest.bind(router),
  };

  function matchOperation(req: Request): Operation | undefined;
  function matchOperation(req: Request, strict: boolean): Operation;
  function matchOperation(req: Request, strict = false): Operation | undefined {
    const { path, method } = router.normalizeRequest(req);
    const fail = (message: string) => {
      if (strict) throw Error(message);
      return undefined;
    };
    if (!isUnderApiRoot(path)) return fail('404-notFound: no route matches request');
    const relative = router.normalizePath(path);
    const hit = exact.get(`${method} ${relative}`);
    if (hit) return hit;
    let pathMatched = false;
    for (const route of bySpecificity) {
      if (!route.pattern.test(relative)) continue;
      if (route.method === method) return route.operation;
      pathMatched = true;
    }
    return pathMatched
      ? fail('405-methodNotAllowed: this method is not registered for the route')
      : fail('404-notFound: no route matches request');
  }

  /**
   * The common case (an object query of plain string values, no cookies) without the general
   * machinery; everything else goes to openapi-backend's own parser.
   */
  function parseRequest(req: Request, operation?: Operation): ParsedRequest {
    const query = req.query;
    if (
      typeof query !== 'object' ||
      query === null ||
      !Object.values(query).every((v) => typeof v === 'string') ||
      hasCookie(req.headers) ||
      (operation !== undefined && !routeOf.has(operation))
    ) {
      return original.parseRequest(req, operation);
    }
    // handleRequest parses the same request three times: the operation-independent part once.
    let common = parsed.get(req);
    if (!common) {
      let requestBody = req.body;
      if (req.body && typeof req.body !== 'object') {
        try {
          requestBody = JSON.parse((req.body as { toString(): string }).toString());
        } catch {
          // as openapi-backend: validation reports it
        }
      }
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = value;
      const normalized = router.normalizeRequest(req);
      common = { normalized, headers, requestBody, relativePath: router.normalizePath(normalized.path) };
      parsed.set(req, common);
    }
    return {
      ...common.normalized,
      params: operation ? pathParams(routeOf.get(operation)!, common.relativePath) : {},
      // Copies: ajv may coerce parameters in place while validating.
      headers: { ...common.headers },
      query: operation
        ? styledQuery(query as Record<string, string>, operation)
        : copy(query as Record<string, string>),
      cookies: {},
      requestBody: common.requestBody,
    };
  }

  router.matchOperation = matchOperation;
  router.parseRequest = parseRequest as OpenAPIRouter['parseRequest'];
}

function hasCookie(headers: Request['headers']): boolean {
  for (const name of Object.keys(headers)) if (name.toLowerCase() === 'cookie') return true;
  return false;
}

/** As bath-es5: decoded values; no match (or one name with two values) gives no parameters. */
function pathParams(route: Route, path: string): Record<string, string> {
  const m = route.paramPattern.exec(path);
  if (!m) return {};
  const params: Record<string, string> = {};
  for (let i = 0; i < route.paramNames.length; i++) {
    const name = route.paramNames[i]!;
    const value = decodeURIComponent(m[i + 1]!);
    if (Object.hasOwn(params, name) && params[name] !== value) return {};
    params[name] = value;
  }
  return params;
}

/** A copy with the same prototype (as lodash cloneDeep of a flat object of strings). */
function copy(query: Record<string, string>): Record<string, string | string[]> {
  return Object.assign(Object.create(Object.getPrototypeOf(query) as object) as Record<string, string>, query);
}

/** As openapi-backend's parseRequest with an operation: JSON and non-exploded query parameters decoded. */
function styledQuery(query: Record<string, string>, operation: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = copy(query);
  for (const name of Object.keys(out)) {
    const value = out[name];
    if (!value) continue;
    const parameter = operation.parameters?.find((p) => !('$ref' in p) && p?.in === 'query' && p?.name === name) as
      { content?: Record<string, unknown>; explode?: boolean; style?: string } | undefined;
    if (!parameter) continue;
    if (parameter.content?.['application/json']) {
      try {
        out[name] = JSON.parse(value as string);
      } catch {
        // left raw: validation reports malformed JSON
      }
    } else if (parameter.explode === false) {
      let decoded = (value as string).replace(/%2C/g, ',');
      if (parameter.style === 'spaceDelimited') decoded = decoded.replace(/ /g, ',').replace(/%20/g, ',');
      if (parameter.style === 'pipeDelimited') decoded = decoded.replace(/\|/g, ',').replace(/%7C/g, ',');
      out[name] = decoded.split(',');
    }
  }
  return out;
}
