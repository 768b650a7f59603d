import type { Response, Router } from 'express';
import * as outbox from '../db/outbox.js';
import { isUuid } from '../domain/urls.js';
import { notFound } from '../errors.js';
import { reconcile } from '../sync/reconcile.js';
import type { AdminKit } from './router.js';
import { hasRole } from './session.js';

/** The DRC mirroring in view: backlog, failing deliveries, retry and reconcile. */
export function syncPages(kit: AdminKit): Router {
  const { db, ctx, http } = kit.deps;
  const { router, get, post } = kit.routes();

  const showSync = async (res: Response, o: { report?: unknown; verzoek?: string } = {}) => {
    const summary = await outbox.summary(db);
    const open = await outbox.listOpen(db, 500);
    const now = Date.now();
    kit.render(res, 'sync.njk', {
      title: 'Synchronisatie',
      section: 'sync',
      summary,
      canRetry: hasRole(kit.me(res).role, 'editor'),
      report: o.report,
      rows: open.map((r) => {
        const payload = JSON.parse(r.payload) as { verzoek?: string; informatieobject?: string };
        return {
          id: r.id,
          event: r.event,
          state: r.state === 'failed' ? 'failing' : r.last_error ? 'failing' : 'pending',
          permanent: r.state === 'failed',
          verzoek: payload.verzoek && isUuid(payload.verzoek) ? payload.verzoek : undefined,
          informatieobject: payload.informatieobject,
          attempts: r.attempts,
          lastError: r.last_error,
          nextAttempt: r.state === 'failed' ? undefined : Number(r.available_at),
          due: Number(r.available_at) <= now,
          createdAt: Number(r.created_at),
        };
      }),
      verzoek: o.verzoek ?? '',
    });
  };

  get('/sync', 'viewer', (_req, res) => showSync(res));

  /** A safe place to return to: an admin path only. */
  const back = (value: unknown) =>
    typeof value === 'string' && /^\/admin\/[\w/-]*$/.test(value) ? value : '/admin/sync';

  post('/sync/alles-opnieuw', 'editor', async (_req, res) => {
    const n = await outbox.retryNow(db, Date.now());
    ctx.sync?.nudge();
    await kit.audit(res, { action: 'sync.retry-all', after: { deliveries: n } });
    res.redirect(303, '/admin/sync?ok=opnieuw');
  });

  post('/sync/:id/opnieuw', 'editor', async (req, res) => {
    const id = Number(req.params['id']);
    if (!Number.isInteger(id) || !(await outbox.find(db, id))) throw notFound('Deze aflevering bestaat niet.');
    const n = await outbox.retryNow(db, Date.now(), id);
    ctx.sync?.nudge();
    await kit.audit(res, { action: 'sync.retry', target: `outbox #${id}`, after: { deliveries: n } });
    res.redirect(303, `${back((req.body as Record<string, unknown>)['back'])}?ok=opnieuw`);
  });

  post('/sync/reconcile', 'editor', async (req, res) => {
    const verzoek = String((req.body as Record<string, unknown>)['verzoek'] ?? '')
      .trim()
      .toLowerCase();
    const uuid = isUuid(verzoek) ? verzoek : ctx.urls.parse(verzoek).uuid;
    // The outcome shows on the sync page itself (the answer to a POST: nothing to replay on reload).
    if (!uuid || !(await db('verzoeken').where({ uuid }).first('id'))) {
      return showSync(res, {
        report: { error: 'Geef de uuid of URL van een bestaand verzoek.', errors: [] },
        verzoek,
      });
    }
    const report = await reconcile(db, http, { verzoekUrl: (u) => ctx.urls.of('verzoeken', u), verzoek: uuid });
    ctx.sync?.nudge();
    await kit.audit(res, { action: 'sync.reconcile', target: ctx.urls.of('verzoeken', uuid), after: report });
    await showSync(res, { report, verzoek: uuid });
  });

  return router;
}
