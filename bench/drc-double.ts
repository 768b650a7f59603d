import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A minimal Documenten API (DRC) for the benchmark, run as its own process so that it does not
// share the load generator's event loop. It answers what the component asks while creating a
// verzoekinformatieobject: the document itself (the remote check) and the objectinformatieobjecten
// (the outbox mirror looks for the pair, then creates it). Every document exists.
// Prints `listening <port>` once it is ready.

const EIO = /^\/api\/v1\/enkelvoudiginformatieobjecten\/[^/]+$/;
const OIO = '/api/v1/objectinformatieobjecten';

let base = '';

function send(res: ServerResponse, status: number, body?: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  return raw ? (JSON.parse(raw) as unknown) : undefined;
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (req.method === 'GET' && EIO.test(path)) {
    // The properties vng-api-common's shape check requires of an EnkelvoudigInformatieObject.
    return send(res, 200, {
      url: `${base}${path}`,
      identificatie: 'DOC-1',
      bronorganisatie: '123456782',
      creatiedatum: '2024-01-01',
      titel: 'Aanvraagformulier',
      auteur: 'Burger',
      taal: 'nld',
      informatieobjecttype: 'https://ztc.example/api/v1/informatieobjecttypen/1',
    });
  }
  if (req.method === 'GET' && path === OIO) return send(res, 200, []);
  if (req.method === 'POST' && path === OIO) {
    readBody(req).then(
      (body) => send(res, 201, { url: `${base}${OIO}/${randomUUID()}`, ...(body as object) }),
      () => send(res, 400, { detail: 'malformed JSON' }),
    );
    return;
  }
  if (req.method === 'DELETE' && path.startsWith(`${OIO}/`)) return send(res, 204);
  send(res, 404, { detail: 'not found' });
});
server.keepAliveTimeout = 65_000;

server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  process.stdout.write(`listening ${port}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
