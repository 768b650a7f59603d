import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Agent, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SignJWT, decodeJwt, jwtVerify } from 'jose';
import * as applicaties from '../src/db/applicaties.js';
import type { Db } from '../src/db/knex.js';
import * as services from '../src/db/services.js';

/**
 * The DRC test double: a stand-in for a Documenten API (DRC) on loopback, for the demo and the
 * sync benchmark. It is NOT a Documenten API. It holds documents (any id under
 * `enkelvoudiginformatieobjecten/` exists) and `objectinformatieobjecten`, and behaves like Open
 * Zaak where kic-001 depends on it:
 * - POST objectinformatieobjecten: checks kic's JWT, reads the verzoek (`object`) back from kic
 *   and asks kic `verzoekinformatieobjecten?verzoek=&informatieobject=`; it refuses (400) unless
 *   kic shows the relation; a second one for the same pair is a 400 `unique`.
 * - DELETE objectinformatieobjecten/{uuid}: asks kic again and refuses (400
 *   `remote-relation-exists`) while kic still shows the relation.
 * Reads need no token, so a person can look with plain curl.
 */

export interface Credentials {
  clientId: string;
  secret: string;
}

export interface Oio {
  uuid: string;
  url: string;
  informatieobject: string;
  object: string;
  objectType: string;
}

export interface DrcTestDoubleOptions {
  /** What kic signs its calls to the double with (registered in kic as a service). */
  kicCredentials: Credentials;
  /** What the double signs its calls back to kic with (registered in kic as an applicatie). */
  ownCredentials: Credentials;
  host?: string;
  /** One line per request the double handles, for people watching. */
  narrate?: (line: string) => void;
}

/** Emits 'created' (oio, ackAtMs) and 'deleted' (oio, ackAtMs) when it answers 201 / 204. */
export class DrcTestDouble extends EventEmitter<{ created: [Oio, number]; deleted: [Oio, number] }> {
  readonly oios = new Map<string, Oio>();
  /** How many times each "object informatieobject" pair was created: above 1 means a duplicate. */
  readonly createdPairs = new Map<string, number>();
  /** The pairs the double holds now ("object informatieobject"), for the unique check without a scan. */
  private readonly livePairs = new Set<string>();
  /** kic's tokens that verified, so a busy mirror costs one signature check per token, not per call. */
  private readonly verifiedTokens = new Set<string>();
  private readonly keepAlive = new Agent({ keepAlive: true });
  /** How long each call back to kic took (reading the verzoek, listing the relation), for the benchmark. */
  readonly callbackMs: number[] = [];
  /** While true every API call answers 503 (a DRC down for maintenance behind its gateway). */
  unavailable = false;
  private server: Server | undefined;
  private port = 0;
  private callbackToken: { token: string; signedAt: number } | undefined;

  constructor(private readonly o: DrcTestDoubleOptions) {
    super();
  }

  get baseUrl(): string {
    return `http://${this.o.host ?? '127.0.0.1'}:${this.port}`;
  }

  get apiRoot(): string {
    return `${this.baseUrl}/api/v1/`;
  }

  /**
   * Both sides' credentials in kic's database, as `kic service add` and `kic applicatie add` store
   * them: how kic calls the double, and the double as a reading client of kic.
   */
  async register(db: Db): Promise<void> {
    await services.upsert(db, {
      apiRoot: this.apiRoot,
      label: 'DRC test double',
      ...this.o.kicCredentials,
      userId: '',
      userRepresentation: '',
    });
    await applicaties.upsert(db, {
      ...this.o.ownCredentials,
      label: 'DRC test double (reads back before it mirrors)',
      heeftAlleAutorisaties: false,
      scopes: ['klanten.lezen'],
    });
  }

  /** The URL of a document the double holds. */
  document(id: string = randomUUID()): string {
    return `${this.apiRoot}enkelvoudiginformatieobjecten/${id}`;
  }

  /** Starts listening; `port` 0 (the default) lets the system pick one, kept across stop/start. */
  async start(port = this.port): Promise<this> {
    const app = this.app();
    this.server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(port, this.o.host ?? '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening: callers now get "connection refused", as from a DRC that is down. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  private app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.use(express.json());
    // Switches for a person trying things out; not part of any Documenten API.
    app.post('/_double/down', (_req, res) => {
      this.unavailable = true;
      this.narrate('now DOWN: every API call answers 503 until POST /_double/up');
      res.json({ unavailable: true });
    });
    app.post('/_double/up', (_req, res) => {
      this.unavailable = false;
      this.narrate('UP again');
      res.json({ unavailable: false });
    });
    app.use('/api/v1', (req, res, next) => {
      if (!this.unavailable) return next();
      this.narrate(`${req.method} ${req.originalUrl} → 503 (down)`);
      res.status(503).json({
        code: 'unavailable',
        title: 'Down for maintenance',
        status: 503,
        detail: 'The DRC test double is switched off.',
      });
    });
    app.get(
      '/api/v1/enkelvoudiginformatieobjecten/:id',
      this.authorized(false),
      (req, res) => void res.json(eio(this.document(String(req.params['id'])))),
    );
    app.get('/api/v1/objectinformatieobjecten', this.authorized(false), (req, res) => {
      const { object, informatieobject } = req.query as Record<string, string | undefined>;
      const found = [...this.oios.values()].filter(
        (o) => (!object || o.object === object) && (!informatieobject || o.informatieobject === informatieobject),
      );
      res.json(found.map(strip));
    });
    app.get('/api/v1/objectinformatieobjecten/:uuid', this.authorized(false), (req, res) => {
      const oio = this.oios.get(String(req.params['uuid']));
      if (!oio) return void res.status(404).json(notFound());
      res.json(strip(oio));
    });
    app.post(
      '/api/v1/objectinformatieobjecten',
      this.authorized(true),
      (req, res, next) => void this.create(req, res).catch(next),
    );
    app.delete(
      '/api/v1/objectinformatieobjecten/:uuid',
      this.authorized(true),
      (req, res, next) => void this.remove(req, res).catch(next),
    );
    app.use((req: Request, res: Response) => void res.status(404).json(notFound()));
    app.use((err: Error, req: Request, res: Response, _next: NextFunction) => {
      this.narrate(`${req.method} ${req.originalUrl} → 500 ${err.message}`);
      res.status(500).json({ code: 'error', title: 'Internal error', status: 500, detail: err.message });
    });
    return app;
  }

  /** JWT-ZGW as a ZGW component checks it; reads without a token are allowed here (it is a double). */
  private authorized(required: boolean) {
    return (req: Request, res: Response, next: NextFunction) => {
      const header = req.headers.authorization;
      if (!header && !required) return next();
      const deny = (detail: string) => {
        this.narrate(`${req.method} ${req.originalUrl} → 403 ${detail}`);
        res.status(403).json({ code: 'permission_denied', title: 'Forbidden', status: 403, detail });
      };
      if (!header?.startsWith('Bearer ')) return deny('no bearer token');
      const token = header.slice(7);
      let clientId: unknown;
      try {
        clientId = decodeJwt(token)['client_id'];
      } catch {
        return deny('the token could not be decoded');
      }
      if (clientId !== this.o.kicCredentials.clientId) return deny(`unknown client_id ${String(clientId)}`);
      if (this.verifiedTokens.has(token)) return next();
      jwtVerify(token, new TextEncoder().encode(this.o.kicCredentials.secret), { algorithms: ['HS256'] }).then(
        () => {
          if (this.verifiedTokens.size > 1000) this.verifiedTokens.clear();
          this.verifiedTokens.add(token);
          next();
        },
        () => deny('bad signature'),
      );
    };
  }

  private async create(req: Request, res: Response): Promise<void> {
    const { informatieobject, object, objectType } = (req.body ?? {}) as Record<string, unknown>;
    const what = `POST objectinformatieobjecten {object: ${String(object)}, informatieobject: …/${String(informatieobject).split('/').pop()}}`;
    if (
      typeof informatieobject !== 'string' ||
      !informatieobject.startsWith(`${this.apiRoot}enkelvoudiginformatieobjecten/`)
    ) {
      return this.refuse(
        res,
        what,
        'informatieobject',
        'bad-url',
        'The informatieobject is not a document of this DRC.',
      );
    }
    if (objectType !== 'verzoek' && objectType !== 'zaak' && objectType !== 'besluit') {
      return this.refuse(res, what, 'objectType', 'invalid_choice', `"${String(objectType)}" is een ongeldige keuze.`);
    }
    if (typeof object !== 'string' || !object.includes('/verzoeken/')) {
      return this.refuse(res, what, 'object', 'bad-url', 'The object is not a verzoek URL.');
    }
    // Open Zaak: the object must be readable…
    const verzoek = await this.callback(object);
    if (verzoek.status !== 200)
      return this.refuse(res, what, 'object', 'bad-url', `The URL ${object} responded with HTTP ${verzoek.status}.`);
    // …and the source API must already hold the relation (it commits before it mirrors).
    const count = await this.relationCount(object, informatieobject);
    if (count === undefined || count === 0) {
      return this.refuse(
        res,
        what,
        'nonFieldErrors',
        'inconsistent-relation',
        'The relation does not exist in the source API (verzoekinformatieobjecten).',
      );
    }
    if (this.livePairs.has(`${object} ${informatieobject}`)) {
      return this.refuse(
        res,
        what,
        'nonFieldErrors',
        'unique',
        'De velden object, informatieobject moeten een unieke set zijn.',
      );
    }
    const uuid = randomUUID();
    const oio: Oio = {
      uuid,
      url: `${this.apiRoot}objectinformatieobjecten/${uuid}`,
      informatieobject,
      object,
      objectType,
    };
    this.oios.set(uuid, oio);
    const pair = `${object} ${informatieobject}`;
    this.createdPairs.set(pair, (this.createdPairs.get(pair) ?? 0) + 1);
    this.livePairs.add(pair);
    const ackAt = Date.now();
    res.status(201).location(oio.url).json(strip(oio));
    this.narrate(`${what}: read the verzoek (200), kic shows the relation (${count}) → 201 ${oio.url}`);
    this.emit('created', oio, ackAt);
  }

  private async remove(req: Request, res: Response): Promise<void> {
    const oio = this.oios.get(String(req.params['uuid']));
    const what = `DELETE objectinformatieobjecten/${String(req.params['uuid'])}`;
    if (!oio) {
      this.narrate(`${what} → 404`);
      return void res.status(404).json(notFound());
    }
    const count = await this.relationCount(oio.object, oio.informatieobject);
    if (count !== 0) {
      return this.refuse(
        res,
        what,
        'nonFieldErrors',
        'remote-relation-exists',
        'The canonical remote relation still exists, this relation cannot be deleted.',
      );
    }
    this.oios.delete(oio.uuid);
    this.livePairs.delete(`${oio.object} ${oio.informatieobject}`);
    const ackAt = Date.now();
    res.status(204).end();
    this.narrate(`${what}: kic no longer shows the relation → 204`);
    this.emit('deleted', oio, ackAt);
  }

  private refuse(res: Response, what: string, name: string, code: string, reason: string): void {
    this.narrate(`${what} → 400 ${code}: ${reason}`);
    res.status(400).json({
      type: 'ValidationError',
      code: 'invalid',
      title: 'Invalid input.',
      status: 400,
      detail: reason,
      instance: `urn:uuid:${randomUUID()}`,
      invalidParams: [{ name, code, reason }],
    });
  }

  /** GET a URL of kic with the double's own client (a reading applicatie in kic), on a kept-alive connection. */
  private async callback(url: string): Promise<{ status: number; body: unknown }> {
    const started = performance.now();
    const authorization = `Bearer ${await this.token()}`;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpGet(
        url,
        { agent: this.keepAlive, headers: { authorization, accept: 'application/json' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
    });
    this.callbackMs.push(performance.now() - started);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status, body };
  }

  /** How many verzoekinformatieobjecten kic shows for the pair; undefined when kic did not answer a list. */
  private async relationCount(object: string, informatieobject: string): Promise<number | undefined> {
    const root = object.slice(0, object.indexOf('/verzoeken/'));
    const res = await this.callback(
      `${root}/verzoekinformatieobjecten?${new URLSearchParams({ verzoek: object, informatieobject }).toString()}`,
    );
    if (res.status !== 200) return undefined;
    const items = Array.isArray(res.body) ? res.body : (res.body as { results?: unknown[] } | undefined)?.results;
    return Array.isArray(items) ? items.length : undefined;
  }

  private async token(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    if (this.callbackToken && now - this.callbackToken.signedAt < 300) return this.callbackToken.token;
    const { clientId, secret } = this.o.ownCredentials;
    const token = await new SignJWT({ iss: clientId, client_id: clientId, user_id: '', user_representation: '' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .sign(new TextEncoder().encode(secret));
    this.callbackToken = { token, signedAt: now };
    return token;
  }

  private narrate(line: string): void {
    this.o.narrate?.(line);
  }
}

const strip = ({ uuid: _uuid, ...o }: Oio) => o;

const notFound = () => ({ code: 'not_found', title: 'Niet gevonden.', status: 404, detail: 'Niet gevonden.' });

/** An EnkelvoudigInformatieObject with the properties kic checks. */
function eio(url: string) {
  return {
    url,
    identificatie: `DOC-${url.split('/').pop()?.slice(0, 8) ?? '1'}`,
    bronorganisatie: '123456782',
    creatiedatum: '2026-01-15',
    titel: 'Aanvraagformulier',
    vertrouwelijkheidaanduiding: 'openbaar',
    auteur: 'Burger',
    status: 'definitief',
    formaat: 'application/pdf',
    taal: 'nld',
    bestandsnaam: 'aanvraag.pdf',
    inhoud: `${url}/download`,
    informatieobjecttype: 'https://ztc.example/api/v1/informatieobjecttypen/1',
    locked: false,
  };
}
