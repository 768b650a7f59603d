import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  get as httpGet,
  type ClientRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, jwtVerify } from 'jose';
import * as applicaties from '../../src/db/applicaties.js';
import type { Db } from '../../src/db/knex.js';
import * as services from '../../src/db/services.js';

/**
 * The DRC test double: a stand-in for a Documenten API (DRC) on loopback, for the tests, the demo
 * and the sync benchmark. It is NOT a Documenten API. It holds documents (any id under
 * `enkelvoudiginformatieobjecten/` exists) and `objectinformatieobjecten`, and behaves like Open
 * Zaak where kic-001 depends on it:
 * - every API call needs a valid JWT of kic's credentials (a 403 otherwise), except reads when
 *   `anonymousReads` is set, so a person can look with plain curl;
 * - POST objectinformatieobjecten reads the verzoek (`object`) back from kic and asks kic
 *   `verzoekinformatieobjecten?verzoek=&informatieobject=`; it refuses (400) unless kic shows the
 *   relation; a second one for the same pair is a 400 `unique`;
 * - DELETE objectinformatieobjecten/{uuid} asks kic again and refuses (400
 *   `remote-relation-exists`) while kic still shows the relation.
 * Knobs for tests: `down` (every API call 503), `oioDown` (only objectinformatieobjecten, documents
 * stay readable), `delayMs`, `hold()`, and `objectTypes` (without "verzoek" it refuses as a DRC 1.0
 * does). Plain node:http with a kept-alive agent for its calls back and one signature check per
 * token: the sync benchmark runs it in the load generator's process, so its CPU per create counts.
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

/** What the double signs its calls back to kic with, unless told otherwise (the tests' fixed pair). */
export const DRC_CLIENT: Credentials = { clientId: 'drc-double', secret: 'drc-double-secret' };
/** What kic signs its calls to the double with, unless told otherwise. */
export const KIC_AT_DRC: Credentials = { clientId: 'kic-at-drc', secret: 'kic-at-drc-secret' };

const ALL_OBJECT_TYPES = ['besluit', 'zaak', 'verzoek'];
const API = '/api/v1/';
const EIO = `${API}enkelvoudiginformatieobjecten/`;
const OIO = `${API}objectinformatieobjecten`;

export interface DrcTestDoubleOptions {
  /** What kic signs its calls to the double with (registered in kic as a service). */
  kicCredentials?: Credentials;
  /** What the double signs its calls back to kic with (registered in kic as an applicatie). */
  ownCredentials?: Credentials;
  host?: string;
  /** GETs without a token are answered (a person with curl); a token that is sent must still be kic's. */
  anonymousReads?: boolean;
  /** One line per request the double handles, for people watching. */
  narrate?: (line: string) => void;
}

/** The double's objectinformatieobjecten by uuid, indexed by "object informatieobject" pair for the unique check. */
class OioStore extends Map<string, Oio> {
  private readonly byPair = new Map<string, Oio[]>();

  pair(object: string, informatieobject: string): readonly Oio[] {
    return this.byPair.get(pairKey(object, informatieobject)) ?? [];
  }

  override set(uuid: string, oio: Oio): this {
    const old = this.get(uuid);
    if (old) this.unindex(old);
    const key = pairKey(oio.object, oio.informatieobject);
    const same = this.byPair.get(key);
    if (same) same.push(oio);
    else this.byPair.set(key, [oio]);
    return super.set(uuid, oio);
  }

  override delete(uuid: string): boolean {
    const old = this.get(uuid);
    if (old) this.unindex(old);
    return super.delete(uuid);
  }

  override clear(): void {
    this.byPair.clear();
    super.clear();
  }

  private unindex(oio: Oio): void {
    const key = pairKey(oio.object, oio.informatieobject);
    const rest = (this.byPair.get(key) ?? []).filter((o) => o !== oio);
    if (rest.length) this.byPair.set(key, rest);
    else this.byPair.delete(key);
  }
}

const pairKey = (object: string, informatieobject: string) => `${object} ${informatieobject}`;

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Runs right after the answer is written, with the moment it was (the acknowledgement). */
  answered?: (atMs: number) => void;
}

/** Emits 'created' (oio, ackAtMs) and 'deleted' (oio, ackAtMs) when it answers 201 / 204. */
export class DrcTestDouble extends EventEmitter<{ created: [Oio, number]; deleted: [Oio, number] }> {
  /** Tests may change it directly (a mirror lost in the DRC); the unique check follows. */
  readonly oios = new OioStore();
  /** Every POST that created something, as "object informatieobject": duplicates show here. */
  readonly created: string[] = [];
  /** How many times each "object informatieobject" pair was created: above 1 means a duplicate. */
  readonly createdPairs = new Map<string, number>();
  /** Every API request, with the client_id of its token when that token is valid. */
  readonly requests: { method: string; path: string; clientId?: string }[] = [];
  /** Every call the double made back into kic, with kic's status. */
  readonly callbacks: { url: string; status: number }[] = [];
  /** How long each call back to kic took (reading the verzoek, listing the relation), for the benchmark. */
  readonly callbackMs: number[] = [];
  /** Every API call answers 503 (a DRC down for maintenance behind its gateway). */
  down = false;
  /** Only the objectinformatieobjecten endpoints answer 503; documents stay readable. */
  oioDown = false;
  /** Added to every API call that passes the checks. */
  delayMs = 0;
  /** What objectType accepts; without "verzoek" the double refuses like a DRC 1.0. */
  objectTypes = [...ALL_OBJECT_TYPES];
  private readonly kic: Credentials;
  private readonly own: Credentials;
  private readonly host: string;
  /** kic's tokens that verified, with their client_id: one signature check per token, not per call. */
  private readonly verifiedTokens = new Map<string, string>();
  private readonly keepAlive = new Agent({ keepAlive: true });
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;
  private server: Server | undefined;
  private port = 0;
  private callbackToken: { token: string; signedAt: number } | undefined;

  constructor(private readonly o: DrcTestDoubleOptions = {}) {
    super();
    this.kic = o.kicCredentials ?? KIC_AT_DRC;
    this.own = o.ownCredentials ?? DRC_CLIENT;
    this.host = o.host ?? '127.0.0.1';
  }

  get baseUrl(): string {
    return `http://${this.host}:${this.port}`;
  }

  get apiRoot(): string {
    return `${this.baseUrl}${API}`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** The URL of a document the double holds. */
  document(id: number | string = randomUUID()): string {
    return `${this.baseUrl}${EIO}${id}`;
  }

  /** The mirrors of one verzoek URL. */
  mirrorsOf(verzoekUrl: string): Oio[] {
    return [...this.oios.values()].filter((o) => o.object === verzoekUrl);
  }

  /** Requests to the objectinformatieobjecten endpoints with this method (e.g. how many POSTs). */
  oioCalls(method: string): number {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(OIO)).length;
  }

  /** "object informatieobject" pairs created more than once (each repeat once). */
  duplicates(): string[] {
    const seen = new Set<string>();
    const repeats: string[] = [];
    for (const pair of this.created) {
      if (seen.has(pair)) repeats.push(pair);
      else seen.add(pair);
    }
    return repeats;
  }

  /** An objectinformatieobject made by someone else (no relation in kic), as reconciliation finds it. */
  stray(object: string, informatieobject: string): Oio {
    return this.store(object, informatieobject, 'verzoek');
  }

  /** A new objectinformatieobject in the double's store. */
  private store(object: string, informatieobject: string, objectType: string): Oio {
    const uuid = randomUUID();
    const oio: Oio = {
      uuid,
      url: `${this.apiRoot}objectinformatieobjecten/${uuid}`,
      informatieobject,
      object,
      objectType,
    };
    this.oios.set(uuid, oio);
    return oio;
  }

  /**
   * Holds every objectinformatieobjecten request (received and recorded, not answered) until the
   * returned function is called.
   */
  hold(): () => void {
    let open!: () => void;
    this.held = new Promise<void>((resolve) => (open = resolve));
    this.release = () => {
      this.held = undefined;
      this.release = undefined;
      open();
    };
    return this.release;
  }

  /** Back to a fresh double on the same port: no objects, no records, every knob at rest. */
  reset(): void {
    this.release?.();
    this.oios.clear();
    this.created.length = 0;
    this.createdPairs.clear();
    this.requests.length = 0;
    this.callbacks.length = 0;
    this.callbackMs.length = 0;
    this.down = false;
    this.oioDown = false;
    this.delayMs = 0;
    this.objectTypes = [...ALL_OBJECT_TYPES];
  }

  /**
   * Both sides' credentials in kic's database, as `kic service add` and `kic applicatie add` store
   * them: how kic calls the double, and the double as a reading client of kic.
   */
  async register(db: Db): Promise<void> {
    await services.upsert(db, {
      apiRoot: this.apiRoot,
      label: 'DRC test double',
      ...this.kic,
      userId: '',
      userRepresentation: '',
    });
    await applicaties.upsert(db, {
      ...this.own,
      label: 'DRC test double (reads back before it mirrors)',
      heeftAlleAutorisaties: false,
      scopes: ['klanten.lezen'],
    });
  }

  /** Starts listening; `port` 0 (the default) lets the system pick one, kept across stop/start. */
  async start(port = this.port): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening: callers now get "connection refused", as from a DRC that is down. */
  async stop(): Promise<void> {
    this.release?.();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    this.keepAlive.destroy(); // its idle connections to kic; a later start() opens new ones
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    try {
      const body = await readJson(req);
      const answer =
        body === INVALID
          ? problem(400, 'parse_error', 'Parse error', 'The body is not JSON.')
          : await this.route(method, path, q < 0 ? '' : url.slice(q + 1), req.headers.authorization, body);
      const at = Date.now();
      send(res, answer);
      answer.answered?.(at);
    } catch (err) {
      this.tell(() => `${method} ${url} → 500 ${(err as Error).message}`);
      send(res, problem(500, 'error', 'Internal error', (err as Error).message));
    }
  }

  private async route(
    method: string,
    path: string,
    query: string,
    authorization: string | undefined,
    body: unknown,
  ): Promise<Answer> {
    // Switches for a person trying things out; not part of any Documenten API.
    if (method === 'POST' && path === '/_double/down') {
      this.down = true;
      this.tell(() => 'now DOWN: every API call answers 503 until POST /_double/up');
      return { status: 200, body: { down: true } };
    }
    if (method === 'POST' && path === '/_double/up') {
      this.down = false;
      this.tell(() => 'UP again');
      return { status: 200, body: { down: false } };
    }
    if (!path.startsWith(API)) return { status: 404, body: notFound() };

    const clientId = authorization ? await this.clientOf(authorization) : undefined;
    this.requests.push({ method, path, ...(clientId ? { clientId } : {}) });
    const oio = path.startsWith(OIO);
    if (oio && this.held) await this.held;
    const what = () => `${method} ${path}${query ? `?${query}` : ''}`;
    if (this.down || (oio && this.oioDown)) {
      this.tell(() => `${what()} → 503 (down)`);
      return problem(503, 'unavailable', 'Down for maintenance', 'The DRC test double is switched off.');
    }
    if (clientId !== this.kic.clientId && !(method === 'GET' && !authorization && this.o.anonymousReads)) {
      const detail = !authorization
        ? 'no bearer token'
        : clientId
          ? `unknown client_id ${clientId}`
          : 'no valid JWT of kic';
      this.tell(() => `${what()} → 403 ${detail}`);
      return problem(403, 'permission_denied', 'Forbidden', detail);
    }
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));

    const rest = path.endsWith('/') ? path.slice(0, -1) : path;
    if (method === 'GET' && rest.startsWith(EIO) && rest.indexOf('/', EIO.length) < 0) {
      return { status: 200, body: eio(`${this.baseUrl}${rest}`) };
    }
    if (rest === OIO) {
      if (method === 'GET') return { status: 200, body: this.list(new URLSearchParams(query)) };
      if (method === 'POST') return this.create(body);
    }
    if (rest.startsWith(`${OIO}/`) && rest.indexOf('/', OIO.length + 1) < 0) {
      const uuid = decode(rest.slice(OIO.length + 1));
      if (method === 'GET') {
        const found = this.oios.get(uuid);
        return found ? { status: 200, body: strip(found) } : { status: 404, body: notFound() };
      }
      if (method === 'DELETE') return this.remove(uuid);
    }
    return { status: 404, body: notFound() };
  }

  /** The client_id of a token signed with kic's secret, else undefined. */
  private async clientOf(authorization: string): Promise<string | undefined> {
    if (!authorization.startsWith('Bearer ')) return undefined;
    const token = authorization.slice(7);
    const known = this.verifiedTokens.get(token);
    if (known !== undefined) return known;
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(this.kic.secret), { algorithms: ['HS256'] });
      const clientId = payload['client_id'];
      if (typeof clientId !== 'string') return undefined;
      if (this.verifiedTokens.size >= 1000) this.verifiedTokens.clear();
      this.verifiedTokens.set(token, clientId);
      return clientId;
    } catch {
      return undefined;
    }
  }

  private list(query: URLSearchParams): Omit<Oio, 'uuid'>[] {
    const object = query.get('object');
    const informatieobject = query.get('informatieobject');
    // kic looks up the exact pair before it retries a create: no scan of a large backlog.
    const found =
      object && informatieobject
        ? this.oios.pair(object, informatieobject)
        : [...this.oios.values()].filter(
            (o) => (!object || o.object === object) && (!informatieobject || o.informatieobject === informatieobject),
          );
    return found.map(strip);
  }

  private async create(body: unknown): Promise<Answer> {
    const { informatieobject, object, objectType } = (body ?? {}) as Record<string, unknown>;
    const what = () =>
      `POST objectinformatieobjecten {object: ${String(object)}, informatieobject: …/${String(informatieobject).split('/').pop()}}`;
    const refuse = (name: string, code: string, reason: string): Answer => {
      this.tell(() => `${what()} → 400 ${code}: ${reason}`);
      return validationError(name, code, reason);
    };
    if (typeof objectType !== 'string' || !this.objectTypes.includes(objectType)) {
      return refuse('objectType', 'invalid_choice', `"${String(objectType)}" is een ongeldige keuze.`);
    }
    if (typeof informatieobject !== 'string' || !informatieobject.startsWith(`${this.baseUrl}${EIO}`)) {
      return refuse('informatieobject', 'bad-url', 'The informatieobject is not a document of this DRC.');
    }
    if (typeof object !== 'string' || !object.includes('/verzoeken/')) {
      return refuse('object', 'bad-url', 'The object is not a verzoek URL.');
    }
    // Open Zaak: the object must be readable…
    const verzoek = await this.callback(object);
    if (verzoek.status !== 200) {
      return refuse('object', 'bad-url', `The URL ${object} responded with HTTP ${verzoek.status}.`);
    }
    // …and the source API must already hold the relation (kic commits before it mirrors).
    const count = await this.relationCount(object, informatieobject);
    if (!count) {
      return refuse(
        'nonFieldErrors',
        'inconsistent-relation',
        'The relation does not exist in the source API (verzoekinformatieobjecten).',
      );
    }
    if (this.oios.pair(object, informatieobject).length) {
      return refuse('nonFieldErrors', 'unique', 'De velden object, informatieobject moeten een unieke set zijn.');
    }
    const oio = this.store(object, informatieobject, objectType);
    const pair = pairKey(object, informatieobject);
    this.created.push(pair);
    this.createdPairs.set(pair, (this.createdPairs.get(pair) ?? 0) + 1);
    this.tell(() => `${what()}: read the verzoek (200), kic shows the relation (${count}) → 201 ${oio.url}`);
    return {
      status: 201,
      body: strip(oio),
      headers: { location: oio.url },
      answered: (at) => this.emit('created', oio, at),
    };
  }

  private async remove(uuid: string): Promise<Answer> {
    const oio = this.oios.get(uuid);
    const what = () => `DELETE objectinformatieobjecten/${uuid}`;
    if (!oio) {
      this.tell(() => `${what()} → 404`);
      return { status: 404, body: notFound() };
    }
    const count = await this.relationCount(oio.object, oio.informatieobject);
    if (count !== 0) {
      const reason = 'The canonical remote relation still exists, this relation cannot be deleted.';
      this.tell(() => `${what()} → 400 remote-relation-exists: ${reason}`);
      return validationError('nonFieldErrors', 'remote-relation-exists', reason);
    }
    this.oios.delete(oio.uuid);
    this.tell(() => `${what()}: kic no longer shows the relation → 204`);
    return { status: 204, answered: (at) => this.emit('deleted', oio, at) };
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

  /** GET a URL of kic with the double's own client (a reading applicatie in kic), on a kept-alive connection. */
  private async callback(url: string): Promise<{ status: number; body: unknown }> {
    const started = performance.now();
    const authorization = `Bearer ${await this.token()}`;
    const { status, text } = await this.get(url, authorization).catch(
      (err: NodeJS.ErrnoException & { reused?: boolean }) => {
        // kic closed an idle kept-alive connection just as it was reused: once more on a new one.
        if (err.reused && err.code === 'ECONNRESET') return this.get(url, authorization);
        throw err;
      },
    );
    this.callbackMs.push(performance.now() - started);
    this.callbacks.push({ url, status });
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status, body };
  }

  private get(url: string, authorization: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req: ClientRequest = httpGet(
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
      req.on('error', (err) => reject(Object.assign(err, { reused: req.reusedSocket })));
    });
  }

  private async token(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    if (this.callbackToken && now - this.callbackToken.signedAt < 300) return this.callbackToken.token;
    const { clientId, secret } = this.own;
    const token = await new SignJWT({ iss: clientId, client_id: clientId, user_id: '', user_representation: '' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .sign(new TextEncoder().encode(secret));
    this.callbackToken = { token, signedAt: now };
    return token;
  }

  /** Narration is built only when someone listens: the benchmark does not. */
  private tell(line: () => string): void {
    this.o.narrate?.(line());
  }
}

const INVALID = Symbol('invalid JSON');

async function readJson(req: IncomingMessage): Promise<unknown> {
  let raw = '';
  req.setEncoding('utf8');
  for await (const chunk of req) raw += chunk as string;
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return INVALID;
  }
}

function send(res: ServerResponse, { status, body, headers }: Answer): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const strip = ({ uuid: _uuid, ...o }: Oio) => o;

const notFound = () => ({ code: 'not_found', title: 'Niet gevonden.', status: 404, detail: 'Niet gevonden.' });

function problem(status: number, code: string, title: string, detail: string): Answer {
  return { status, body: { code, title, status, detail } };
}

function validationError(name: string, code: string, reason: string): Answer {
  return {
    status: 400,
    body: {
      type: 'ValidationError',
      code: 'invalid',
      title: 'Invalid input.',
      status: 400,
      detail: reason,
      instance: `urn:uuid:${randomUUID()}`,
      invalidParams: [{ name, code, reason }],
    },
  };
}

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
