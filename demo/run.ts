/**
 * `npm run demo`: kic on a fresh SQLite file together with the DRC test double on loopback, both
 * sides' credentials registered, and the curl commands that show a verzoekinformatieobject being
 * mirrored into the DRC as an objectinformatieobject. Runs until Ctrl-C.
 *
 * Settings (optional): DEMO_PORT (kic, default a free port), DEMO_DRC_PORT (the double, default a
 * free port), LOG_LEVEL (kic's log file, default info).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signZgwToken } from '../src/auth/jwt-zgw.js';
import { SCOPES } from '../src/auth/scopes.js';
import { loadConfig } from '../src/config.js';
import * as applicaties from '../src/db/applicaties.js';
import { createDb } from '../src/db/knex.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/server.js';
import { DrcTestDouble } from '../test/helpers/drc-double.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KIC_AT_DRC = { clientId: 'kic', secret: randomBytes(18).toString('base64url') };
const DOUBLE_AT_KIC = { clientId: 'drc-test-double', secret: randomBytes(18).toString('base64url') };
const DEMO = { clientId: 'demo', secret: randomBytes(18).toString('base64url') };

const say = (text = '') => process.stdout.write(`${text}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

async function main(): Promise<void> {
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dataDir = resolve(ROOT, 'data');
  await mkdir(dataDir, { recursive: true });
  const dbFile = resolve(dataDir, `demo-${stamp}.sqlite`);
  const logFile = resolve(dataDir, `demo-${stamp}.log`);
  const rel = (p: string) => relative(process.cwd(), p) || p;

  const double = new DrcTestDouble({
    kicCredentials: KIC_AT_DRC,
    ownCredentials: DOUBLE_AT_KIC,
    anonymousReads: true, // the curl commands below look without a token
    narrate: (line) => say(`  [DRC test double] ${line}`),
  });
  await double.start(Number(process.env['DEMO_DRC_PORT'] ?? 0));

  const kicPort = Number(process.env['DEMO_PORT'] ?? 0) || (await freePort());
  const publicUrl = `http://127.0.0.1:${kicPort}`;
  // Only the demo's own settings: a KIC_AC_URL or DATABASE_URL from the shell must not leak in.
  const config = loadConfig({
    DATABASE_URL: `sqlite:${dbFile}`,
    HOST: '127.0.0.1',
    PORT: String(kicPort),
    KIC_PUBLIC_URL: publicUrl,
    KIC_CREATE_DEMO_CLIENT: 'false',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
  });

  // Both sides' credentials, as `kic service add` and `kic applicatie add` would store them.
  const db = createDb(config.database);
  try {
    await migrateToLatest(db);
    await double.register(db);
    await applicaties.upsert(db, { ...DEMO, label: 'Demo client', heeftAlleAutorisaties: false, scopes: [...SCOPES] });
  } finally {
    await db.destroy();
  }

  const logStream = createWriteStream(logFile, { flags: 'a' });
  const running = await startServer(config, createLogger(config.logLevel, logStream));
  const token = await signZgwToken({
    clientId: DEMO.clientId,
    secret: DEMO.secret,
    userId: 'demo',
    userRepresentation: 'Demo',
  });
  const kicApi = `${publicUrl}/api/v1`;
  const drcApi = double.apiRoot.replace(/\/$/, '');
  const doc1 = double.document(randomUUID());
  const doc2 = double.document(randomUUID());
  const json = `-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json'`;
  const urlOf = `node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).url'`;
  const kicCli = `DATABASE_URL=sqlite:${rel(dbFile)} npm run -s kic --`;

  say(`
kic demo: verzoekinformatieobjecten mirrored into a Documenten API (kic-001)

  kic                     ${kicApi}    (SQLite ${rel(dbFile)}; log ${rel(logFile)})
  DRC test double         ${drcApi}    (a stand-in for a DRC, NOT a real Documenten API)

Registered in kic:
  service     ${double.apiRoot}  kic calls the DRC test double as client_id "${KIC_AT_DRC.clientId}" (kic service add)
  applicatie  ${DOUBLE_AT_KIC.clientId}  klanten.lezen: the double reads the verzoek and the relation back before it accepts (kic applicatie add)
  applicatie  ${DEMO.clientId}  all four klanten.* scopes: yours, in the token below

Try it in another terminal (the token is valid for an hour; a new one: ${kicCli} token --client-id ${DEMO.clientId}):

  export KIC=${kicApi} DRC=${drcApi}
  export TOKEN=${token}
  export DOC=${doc1}    # a document the double holds

  # 1. Create a verzoek:
  VERZOEK=$(curl -s -X POST "$KIC/verzoeken" ${json} -d '{"bronorganisatie":"123456782","status":"ontvangen"}' | ${urlOf}); echo "$VERZOEK"

  # 2. Link the document to it (201; kic has mirrored it by the time it answers):
  VIO=$(curl -s -X POST "$KIC/verzoekinformatieobjecten" ${json} -d "{\\"verzoek\\":\\"$VERZOEK\\",\\"informatieobject\\":\\"$DOC\\"}" | ${urlOf}); echo "$VIO"

  # 3. The DRC now has the objectinformatieobject (objectType "verzoek"):
  curl -s "$DRC/objectinformatieobjecten"; echo

  # 4. Remove the link (204 at once); the worker removes the DRC's copy right after:
  curl -s -o /dev/null -w '%{http_code}\\n' -X DELETE "$VIO" -H "Authorization: Bearer $TOKEN"
  sleep 1; curl -s "$DRC/objectinformatieobjecten"; echo

More: the DRC goes down while you remove a link. kic answers 204 anyway, keeps the remote delete
in its outbox and retries until the DRC is back (creating a link needs the DRC up: kic reads the document first):
  export DOC2=${doc2}
  VIO2=$(curl -s -X POST "$KIC/verzoekinformatieobjecten" ${json} -d "{\\"verzoek\\":\\"$VERZOEK\\",\\"informatieobject\\":\\"$DOC2\\"}" | ${urlOf}); echo "$VIO2"
  curl -s -X POST ${double.baseUrl}/_double/down; echo
  curl -s -o /dev/null -w '%{http_code}\\n' -X DELETE "$VIO2" -H "Authorization: Bearer $TOKEN"
  ${kicCli} sync status
  curl -s -X POST ${double.baseUrl}/_double/up; echo
  ${kicCli} sync retry --all    # or wait for the worker's next attempt (exponential backoff)
  sleep 2; curl -s "$DRC/objectinformatieobjecten?informatieobject=$DOC2"; echo    # [] once the worker has delivered

Running until Ctrl-C. What the DRC test double does:`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second Ctrl-C: stop at once
    stopping = true;
    say(`\n${signal}: stopping kic and the DRC test double…`);
    running
      .close()
      .then(() => double.stop())
      .then(() => new Promise<void>((done) => logStream.end(done)))
      .then(
        () => {
          say(
            `Stopped. The database stays in ${rel(dbFile)} (data/ is git-ignored; remove it with: rm ${rel(dataDir)}/demo-*).`,
          );
          process.exit(0);
        },
        (err: unknown) => {
          process.stderr.write(`demo: shutdown failed: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
