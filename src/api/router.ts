import express, { type ErrorRequestHandler, type NextFunction, type Request, type Response } from 'express';
import type { OpenAPIBackend, Request as ApiRequest } from 'openapi-backend';
import { Problem, internalError, notAcceptable, notFound, parseError, unsupportedMediaType } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Reply } from './reply.js';
import type { LoadedSpec } from './spec.js';

export interface ApiRouterOptions {
  backend: OpenAPIBackend;
  spec: LoadedSpec;
  apiVersion: string;
  publicUrl: string;
  log: Logger;
}

const ACCEPTABLE = new Set(['application/json', 'application/problem+json', 'application/*', '*/*']);
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
const LIST_CHUNK = 16 * 1024;

/** 406 unless the client accepts JSON; 415 unless a body is JSON (an empty body counts as {}). */
function negotiate(req: Request, _res: Response, next: NextFunction): void {
  const accept = req.headers.accept;
  if (accept && !accept.split(',').some((part) => ACCEPTABLE.has(part.split(';')[0]!.trim().toLowerCase()))) {
    return next(notAcceptable());
  }
  if (WITH_BODY.has(req.method)) {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (hasBody && type !== 'application/json') return next(unsupportedMediaType(type || '(none)'));
    if (!hasBody) req.body = {};
  }
  next();
}

/** Writes a Reply: JSON bodies, streamed arrays with back-pressure, or headers only. */
async function send(res: Response, r: Reply): Promise<void> {
  res.statusCode = r.status;
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  if (r.items) {
    res.setHeader('Content-Type', 'application/json');
    if (res.req.method === 'HEAD') return void res.end();
    // Items are written in chunks of about 16 KB: a short list goes out in one write (one
    // syscall, with a Content-Length), a long one streams with flat memory and back-pressure.
    let pending = '[';
    let first = true;
    for await (const item of r.items) {
      pending += (first ? '' : ',') + JSON.stringify(item);
      first = false;
      if (pending.length < LIST_CHUNK) continue;
      const flowing = res.write(pending);
      pending = '';
      if (!flowing) await new Promise((resolve) => res.once('drain', resolve));
      if (res.destroyed) return; // client went away: stop reading rows
    }
    res.end(pending + ']');
    return;
  }
  if (r.body === undefined) return void res.end();
  res.setHeader('Content-Type', r.contentType ?? 'application/json');
  const body = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  // HEAD answers with the headers of GET, its Content-Length included (Node leaves it out otherwise).
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * Everything under one API root: the published spec (no auth), content negotiation, JSON
 * parsing, then openapi-backend. Every answer carries API-version; every error is problem+json.
 * One express layer rather than a router of five: each layer an express router passes a request
 * through costs path matching and closures (about 10 KB of garbage per request, bench/RESULTS.md).
 */
export function apiRouter(o: ApiRouterOptions): express.RequestHandler {
  const json = express.json({ type: () => true, limit: '1mb', strict: true });
  const fail = problemHandler(o);
  const handle = (req: Request, res: Response, next: NextFunction) => {
    // No trailing slashes in this standard: `/klanten/` is not `/klanten` (openapi-backend would strip it).
    if (req.path.length > 1 && req.path.endsWith('/')) return next(notFound());
    const request: ApiRequest = {
      method: req.method === 'HEAD' ? 'GET' : req.method,
      path: req.baseUrl + req.path,
      query: req.query as ApiRequest['query'],
      headers: req.headers as ApiRequest['headers'],
      body: req.body as unknown,
    };
    o.backend
      .handleRequest(request, req, res)
      .then((r: Reply) => send(res, r))
      .catch(next);
  };
  return (req, res) => {
    const next: NextFunction = (err?: unknown) => fail(err ?? internalError(), req, res, () => undefined);
    res.setHeader('API-version', o.apiVersion);
    if (req.method === 'GET' || req.method === 'HEAD') {
      // As express routes matched them: any case, an optional trailing slash.
      const path = req.path.toLowerCase().replace(/(.)\/$/, '$1');
      if (path === '/schema/openapi.yaml') return void res.type('application/yaml').send(o.spec.text);
      if (path === '/schema/openapi.json') return void res.type('application/json').send(o.spec.json);
    }
    negotiate(req, res, (err?: unknown) => {
      if (err) return next(err);
      // As body-parser does for a request without a body (type-is hasBody), minus its bookkeeping.
      if (req.headers['transfer-encoding'] !== undefined || !isNaN(req.headers['content-length'] as unknown as number))
        return json(req, res, (e?: unknown) => (e ? next(e) : handle(req, res, next)));
      if (req.body === undefined) req.body = undefined; // an own property, as body-parser leaves it
      handle(req, res, next);
    });
  };
}

function problemHandler(o: ApiRouterOptions): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const e = err as { type?: string; status?: number; message?: string };
    let problem: Problem;
    if (err instanceof Problem) problem = err;
    else if (e?.type === 'entity.parse.failed') problem = parseError(e.message ?? 'malformed JSON');
    else if (e?.type === 'entity.too.large')
      problem = new Problem(413, 'too_large', 'Request body too large.', 'The body exceeds 1 MB.');
    else if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
      problem = unsupportedMediaType(req.headers['content-type'] ?? '');
    else problem = internalError();
    if (problem.status >= 500) o.log.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    if (res.headersSent) return void res.destroy();
    res.status(problem.status).setHeader('Content-Type', 'application/problem+json');
    res.end(JSON.stringify(problem.toJson(o.publicUrl)));
  };
}
