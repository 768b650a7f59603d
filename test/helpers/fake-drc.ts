import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { SignJWT, jwtVerify } from 'jose';
import type { Knex } from 'knex';
import * as applicaties from '../../src/db/applicaties.js';
import * as services from '../../src/db/services.js';
import { eio } from './fake-remote.js';

interface Oio {
  uuid: string;
  url: string;
  informatieobject: string;
  object: string;
  objectType: string;
}

/** Credentials the double uses to call back into kic, registered there as a reading client. */
export const DRC_CLIENT = { clientId: 'drc-double', secret: 'drc-double-secret' };
/** Credentials kic uses for the double. */
export const KIC_AT_DRC = { clientId: 'kic-at-drc', secret: 'kic-at-drc-secret' };

/**
 * A test double of a Documenten API that behaves like Open Zaak for objectinformatieobjecten:
 * it only answers callers with a valid JWT of kic's credentials (KIC_AT_DRC); before it creates
 * one it reads the verzoek and asks kic whether the relation exists
 * (`verzoekinformatieobjecten?verzoek=&informatieobject=`), and before it deletes one it asks
 * again and refuses while the relation still exists. It can be taken down entirely (`down`) or
 * only its objectinformatieobjecten endpoints (`oioDown`, documents stay readable), slowed
 * (`delayMs`), held (`hold()`), or made to refuse objectType "verzoek" as a DRC 1.0 does.
 */
export class FakeDrc {
  readonly oios = new Map<string, Oio>();
  /** Every POST that created something, by "object informatieobject": duplicates show here. */
  readonly created: string[] = [];
  readonly requests: { method: string; path: string; clientId?: string }[] = [];
  /** Every call the double made back into kic, with kic's status. */
  readonly callbacks: { url: string; status: number }[] = [];
  down = false;
  /** Only the objectinformatieobjecten endpoints answer 503; documents stay readable. */
  oioDown = false;
  delayMs = 0;
  objectTypes = ['besluit', 'zaak', 'verzoek'];
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;
  private server: Server | undefined;
  baseUrl = '';

  get apiRoot(): string {
    return `${this.baseUrl}/api/v1/`;
  }

  document(n: number | string): string {
    return `${this.apiRoot}enkelvoudiginformatieobjecten/${n}`;
  }

  /** The mirrors of one verzoek URL. */
  mirrorsOf(verzoekUrl: string): Oio[] {
    return [...this.oios.values()].filter((o) => o.object === verzoekUrl);
  }

  /** Requests to the objectinformatieobjecten endpoints with this method (e.g. how many POSTs). */
  oioCalls(method: string): number {
    return this.requests.filter((r) => r.method === method && r.path.startsWith('/api/v1/objectinformatieobjecten'))
      .length;
  }

  /** "object informatieobject" pairs created more than once. */
  duplicates(): string[] {
    return this.created.filter((c, i) => this.created.indexOf(c) !== i);
  }

  /** An objectinformatieobject made by someone else (no relation in kic), as reconciliation finds it. */
  stray(object: string, informatieobject: string): Oio {
    const uuid = randomUUID();
    const oio: Oio = {
      uuid,
      url: `${this.apiRoot}objectinformatieobjecten/${uuid}`,
      informatieobject,
      object,
      objectType: 'verzoek',
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

  async start(): Promise<this> {
    const app = express();
    app.use(express.json());
    app.use((req, res, next) => {
      void (async () => {
        const clientId = await bearerClient(req.headers.authorization);
        this.requests.push({ method: req.method, path: req.path, ...(clientId ? { clientId } : {}) });
        const oio = req.path.startsWith('/api/v1/objectinformatieobjecten');
        if (oio && this.held) await this.held;
        if (this.down || (oio && this.oioDown))
          return void res.status(503).json({ code: 'unavailable', title: 'Down for maintenance' });
        if (clientId !== KIC_AT_DRC.clientId)
          return void res.status(403).json({ code: 'permission_denied', title: 'No valid JWT of kic' });
        if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
        next();
      })();
    });
    app.get(
      '/api/v1/enkelvoudiginformatieobjecten/:id',
      (req, res) => void res.json(eio(`${this.apiRoot}enkelvoudiginformatieobjecten/${req.params['id']}`)),
    );
    app.get('/api/v1/objectinformatieobjecten', (req, res) => {
      const { object, informatieobject } = req.query as Record<string, string | undefined>;
      res.json(
        [...this.oios.values()]
          .filter(
            (o) => (!object || o.object === object) && (!informatieobject || o.informatieobject === informatieobject),
          )
          .map(strip),
      );
    });
    app.post(
      '/api/v1/objectinformatieobjecten',
      (req, res) => void this.create(req, res).catch((err: Error) => res.status(500).json({ detail: err.message })),
    );
    app.delete(
      '/api/v1/objectinformatieobjecten/:uuid',
      (req, res) => void this.remove(req, res).catch((err: Error) => res.status(500).json({ detail: err.message })),
    );
    this.server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.release?.();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Registers both directions: the double as a service of kic, and kic's reading client for the double. */
  async register(db: Knex): Promise<void> {
    await services.upsert(db, {
      apiRoot: this.apiRoot,
      label: 'DRC test double',
      ...KIC_AT_DRC,
      userId: '',
      userRepresentation: '',
    });
    await applicaties.upsert(db, {
      ...DRC_CLIENT,
      label: 'DRC test double',
      heeftAlleAutorisaties: false,
      scopes: ['klanten.lezen'],
    });
  }

  reset(): void {
    this.release?.();
    this.oios.clear();
    this.created.length = 0;
    this.requests.length = 0;
    this.callbacks.length = 0;
    this.down = false;
    this.oioDown = false;
    this.delayMs = 0;
    this.objectTypes = ['besluit', 'zaak', 'verzoek'];
  }

  private async callback(url: string): Promise<{ status: number; body: unknown }> {
    const token = await new SignJWT({ client_id: DRC_CLIENT.clientId, iss: DRC_CLIENT.clientId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt()
      .sign(new TextEncoder().encode(DRC_CLIENT.secret));
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    const text = await res.text();
    this.callbacks.push({ url, status: res.status });
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  private async relationCount(object: string, informatieobject: string): Promise<number | undefined> {
    const root = object.slice(0, object.indexOf('/verzoeken/'));
    const query = new URLSearchParams({ verzoek: object, informatieobject }).toString();
    const res = await this.callback(`${root}/verzoekinformatieobjecten?${query}`);
    return res.status === 200 && Array.isArray(res.body) ? res.body.length : undefined;
  }

  private async create(req: Request, res: Response): Promise<void> {
    const { informatieobject, object, objectType } = (req.body ?? {}) as Record<string, string>;
    if (!this.objectTypes.includes(objectType ?? '')) {
      res.status(400).json(fout('objectType', 'invalid_choice', `"${objectType}" is een ongeldige keuze.`));
      return;
    }
    const verzoek = await this.callback(object ?? '');
    if (verzoek.status !== 200) {
      res.status(400).json(fout('object', 'bad-url', `The URL ${object} responded with HTTP ${verzoek.status}.`));
      return;
    }
    if ((await this.relationCount(object!, informatieobject!)) !== 1) {
      res
        .status(400)
        .json(fout('nonFieldErrors', 'inconsistent-relation', 'The relation does not exist in the source API.'));
      return;
    }
    if ([...this.oios.values()].some((o) => o.object === object && o.informatieobject === informatieobject)) {
      res
        .status(400)
        .json(fout('nonFieldErrors', 'unique', 'De velden object, informatieobject moeten een unieke set zijn.'));
      return;
    }
    const uuid = randomUUID();
    const oio: Oio = {
      uuid,
      url: `${this.apiRoot}objectinformatieobjecten/${uuid}`,
      informatieobject: informatieobject!,
      object: object!,
      objectType: objectType!,
    };
    this.oios.set(uuid, oio);
    this.created.push(`${object} ${informatieobject}`);
    res.status(201).json(strip(oio));
  }

  private async remove(req: Request, res: Response): Promise<void> {
    const oio = this.oios.get(String(req.params['uuid']));
    if (!oio) {
      res.status(404).json({ code: 'not_found' });
      return;
    }
    const count = await this.relationCount(oio.object, oio.informatieobject);
    if (count !== 0) {
      res
        .status(400)
        .json(
          fout(
            'nonFieldErrors',
            'remote-relation-exists',
            'The canonical remote relation still exists, this relation cannot be deleted.',
          ),
        );
      return;
    }
    this.oios.delete(oio.uuid);
    res.status(204).end();
  }
}

const strip = ({ uuid: _uuid, ...o }: Oio) => o;

/** The client_id of a valid kic JWT (KIC_AT_DRC's secret), else undefined. */
async function bearerClient(authorization: string | undefined): Promise<string | undefined> {
  if (!authorization?.startsWith('Bearer ')) return undefined;
  try {
    const { payload } = await jwtVerify(authorization.slice(7), new TextEncoder().encode(KIC_AT_DRC.secret), {
      algorithms: ['HS256'],
    });
    return typeof payload['client_id'] === 'string' ? payload['client_id'] : undefined;
  } catch {
    return undefined;
  }
}

function fout(name: string, code: string, reason: string) {
  return {
    type: 'ValidationError',
    code: 'invalid',
    title: 'Invalid input.',
    status: 400,
    detail: reason,
    instance: `urn:uuid:${randomUUID()}`,
    invalidParams: [{ name, code, reason }],
  };
}

/** Polls `condition` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
