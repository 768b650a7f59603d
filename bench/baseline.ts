import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import express from 'express';

// The bare minimum the component is compared with: express + better-sqlite3 running the same SQL
// for the same two requests (a klant read, a contactmoment create) on the same database file,
// with the same pragmas, and answering the same JSON shape, but without validation, auth, ETag,
// content negotiation, or a query builder. Prints `listening <port>` once it is ready.
//   DB_FILE=/tmp/x.sqlite PUBLIC_URL=http://127.0.0.1:8000 PORT=0 node --import tsx bench/baseline.ts

type Row = Record<string, unknown>;

const file = process.env['DB_FILE'];
if (!file) throw new Error('DB_FILE is required');
const publicUrl = process.env['PUBLIC_URL'] ?? 'http://127.0.0.1:8000';
const apiRoot = `${publicUrl}/api/v1`;

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');

// The statements the component's knex queries compile to.
const klantByUuid = db.prepare('select * from `klanten` where `uuid` = ? limit 1');
const klantExists = db.prepare('select `id` from `klanten` where `uuid` = ? limit 1');
const insertContactmoment = db.prepare(
  'insert into `contactmomenten` (`uuid`, `bronorganisatie`, `klant_uuid`, `interactiedatum`, `kanaal`, `voorkeurskanaal`, `tekst`, `onderwerp_links`, ' +
    '`initiatiefnemer`, `medewerker`, `medewerker_identificatie`, `created_at`, `updated_at`) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
);
const contactmomentByUuid = db.prepare('select * from `contactmomenten` where `uuid` = ? limit 1');

const json = (v: unknown): unknown => (typeof v === 'string' && v !== '' ? JSON.parse(v) : null);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const klant = (r: Row) => ({
  url: `${apiRoot}/klanten/${r['uuid'] as string}`,
  voornaam: r['voornaam'],
  achternaam: r['achternaam'],
  adres: r['adres'],
  telefoonnummer: r['telefoonnummer'],
  ...(r['emailadres'] ? { emailadres: r['emailadres'] } : {}),
  functie: r['functie'],
  ...(r['subject'] ? { subject: r['subject'] } : {}),
  subjectType: r['subject_type'] ?? null,
  ...(r['subject_type'] ? { subjectIdentificatie: json(r['subject_identificatie']) } : {}),
});

const contactmoment = (r: Row) => ({
  url: `${apiRoot}/contactmomenten/${r['uuid'] as string}`,
  bronorganisatie: r['bronorganisatie'],
  klant: r['klant_uuid'] ? `${apiRoot}/klanten/${r['klant_uuid'] as string}` : null,
  interactiedatum: r['interactiedatum'],
  kanaal: r['kanaal'],
  voorkeurskanaal: r['voorkeurskanaal'],
  tekst: r['tekst'],
  onderwerpLinks: json(r['onderwerp_links']) ?? [],
  ...(r['initiatiefnemer'] ? { initiatiefnemer: r['initiatiefnemer'] } : {}),
  ...(r['medewerker'] ? { medewerker: r['medewerker'] } : {}),
  medewerkerIdentificatie: json(r['medewerker_identificatie']),
});

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json());

app.get('/api/v1/klanten/:uuid', (req, res) => {
  const row = klantByUuid.get(req.params.uuid) as Row | undefined;
  if (!row) return void res.status(404).end();
  res.json(klant(row));
});

app.post('/api/v1/contactmomenten', (req, res) => {
  const b = req.body as Row;
  const klantUuid = typeof b['klant'] === 'string' ? b['klant'].split('/').pop()! : null;
  if (klantUuid && !klantExists.get(klantUuid)) return void res.status(400).end();
  const uuid = randomUUID();
  const now = Date.now();
  insertContactmoment.run(
    uuid,
    str(b['bronorganisatie']),
    klantUuid,
    str(b['interactiedatum']),
    str(b['kanaal']),
    str(b['voorkeurskanaal']),
    str(b['tekst']),
    JSON.stringify(b['onderwerpLinks'] ?? []),
    str(b['initiatiefnemer']),
    str(b['medewerker']),
    b['medewerkerIdentificatie'] ? JSON.stringify(b['medewerkerIdentificatie']) : null,
    now,
    now,
  );
  const body = contactmoment(contactmomentByUuid.get(uuid) as Row);
  res.status(201).location(body.url).json(body);
});

const server = app.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => (db.close(), process.exit(0))));
