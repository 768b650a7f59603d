import type { Request, Response, Router } from 'express';
import { page, related, type Condition } from '../db/admin-lists.js';
import * as resource from '../domain/resource.js';
import type { DomainContext, Json, Row } from '../domain/resource.js';
import { isUuid } from '../domain/urls.js';
import * as workingCopies from '../domain/working-copies.js';
import { invalid, notFound, Problem } from '../errors.js';
import { formToInput, getPath, inputToForm, problemsByField, type Field } from './forms.js';
import { mirrorState } from './mirror.js';
import { adminResource, bsnOf, identificationSchema, maskBsn, type AdminResource } from './resources.js';
import type { AdminKit } from './router.js';
import { hasRole } from './session.js';

const PAGE_SIZE = 25;

interface Cell {
  text: string;
  href?: string;
}

/** How the admin audit log names a write. */
const LOGGED_AS = { create: 'create', update: 'update', partial_update: 'update', destroy: 'delete' } as const;

/** Lists, detail pages, create/edit/delete for the eight resources, and klant working copies. */
export function dataPages(kit: AdminKit): Router {
  const { ctx, db } = kit.deps;
  const urls = ctx.urls;
  const { router, get, post } = kit.routes();

  /** A value as a cell: our own resource URLs link to their admin page. */
  const cell = (v: unknown): Cell => {
    if (v === null || v === undefined) return { text: '' };
    if (typeof v === 'object') return { text: JSON.stringify(v) };
    const text = String(v);
    const parsed = urls.parse(text);
    return parsed.resource ? { text, href: `/admin/${parsed.resource}/${parsed.uuid}` } : { text };
  };

  /**
   * The domain context of a write made here: it reaches the klanten' audit trail as the person who
   * made it and, with `logged`, the admin audit log as `<resource>.create|update|delete` inside the
   * write's own transaction.
   */
  const as = (res: Response, o: { toelichting?: string; logged?: boolean } = {}): DomainContext => {
    const { username } = kit.me(res);
    return {
      ...ctx,
      actor: {
        clientId: '',
        userId: username,
        userRepresentation: username,
        toelichting: o.toelichting ?? '',
        logrecordId: '',
        applicatieWeergave: 'kic beheeromgeving',
      },
      ...(o.logged === false
        ? {}
        : {
            onWrite: (c, def, change) =>
              kit.audit(
                res,
                {
                  action: `${def.singular}.${LOGGED_AS[change.action]}`,
                  target: urls.of(def.name, (change.after ?? change.before)!.uuid),
                  before: change.before && def.toApi(change.before, urls),
                  after: change.after && def.toApi(change.after, urls),
                },
                c.db,
              ),
          }),
    };
  };

  const resourceOf = (req: Request): AdminResource => {
    const r = adminResource(String(req.params['resource']));
    if (!r) throw notFound('Deze pagina bestaat niet.');
    return r;
  };
  const uuidParam = (req: Request, name = 'uuid'): string => {
    const uuid = String(req.params[name]).toLowerCase();
    if (!isUuid(uuid)) throw notFound('Deze pagina bestaat niet.');
    return uuid;
  };

  /** The form of a resource; a klant's identification fields follow its subjectType. */
  const formOf = (
    r: AdminResource,
    subjectType?: string,
  ): { fields: Field[]; groups: { legend?: string; fields: Field[] }[] } => {
    const base = kit.forms.fields(r.schema);
    if (r.def.name !== 'klanten') return { fields: base, groups: [{ fields: base }] };
    const schema = identificationSchema(subjectType);
    const own = base.map((f) => (f.name === 'subjectType' ? { ...f, fixed: true } : f));
    const ident = schema ? kit.forms.fields(schema, 'subjectIdentificatie') : [];
    return {
      fields: [...own, ...ident],
      groups: [
        { fields: own },
        ...(ident.length ? [{ legend: `subjectIdentificatie (${schema})`, fields: ident }] : []),
      ],
    };
  };

  /** The request-schema check the API applies before the domain rules, with the same spec. */
  const checkShape = (r: AdminResource, input: Json) => {
    const params = ctx.shapes.check(r.schema, input, '').map((p) => ({ ...p, name: p.name.replace(/^\./, '') }));
    if (params.length) throw invalid(params);
  };

  const fieldsOfRow = (api: Json, showBsn: boolean): (Cell & { label: string })[] => {
    const out: (Cell & { label: string })[] = [];
    const walk = (value: unknown, path: string) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value as Json)) walk(v, path ? `${path}.${k}` : k);
        return;
      }
      if (Array.isArray(value)) return void out.push({ label: path, text: value.map(String).join(', ') });
      const c = cell(value);
      if (path === 'subjectIdentificatie.inpBsn' && !showBsn) c.text = maskBsn(c.text);
      out.push({ label: path, ...c });
    };
    walk(api, '');
    return out;
  };

  const rowCells = (r: AdminResource, row: Row): Cell[] => {
    const api = r.def.toApi(row, urls);
    return r.columns.map((c) => cell(c.value(api, row)));
  };

  // --- working copies overview ---
  get('/werkkopieen', 'viewer', async (_req, res) => {
    kit.render(res, 'werkkopieen.njk', {
      title: 'Werkkopieën',
      section: 'werkkopieen',
      copies: await workingCopies.listPending(ctx),
    });
  });

  // --- lists ---
  get('/:resource', 'viewer', async (req, res) => {
    const r = resourceOf(req);
    const filters = r.filters;
    const query: Record<string, string> = {};
    const conditions: Condition[] = [];
    let orderBy: string | undefined;
    for (const f of filters) {
      const v = req.query[f.name];
      if (typeof v !== 'string' || v.trim() === '') continue;
      query[f.name] = v;
      const c = f.condition(v, urls);
      if (c) conditions.push(c);
      orderBy ??= f.orderBy;
    }
    const afterRaw = Number(req.query['na']);
    const after = Number.isInteger(afterRaw) && afterRaw > 0 ? afterRaw : undefined;
    const result = await page(db, r.def.name, {
      conditions,
      limit: PAGE_SIZE,
      ...(after ? { after } : {}),
      ...(orderBy ? { orderBy } : {}),
    });
    const qs = (extra: Record<string, string>) => new URLSearchParams({ ...query, ...extra }).toString();
    kit.render(res, 'list.njk', {
      title: r.title,
      section: r.def.name,
      r,
      filters,
      query,
      after,
      canCreate: hasRole(kit.me(res).role, 'editor'),
      rows: result.rows.map((row) => ({ uuid: row.uuid, cells: rowCells(r, row) })),
      nextHref: result.next ? `/admin/${r.def.name}?${qs({ na: String(result.next) })}` : undefined,
      scannedTo: result.scannedTo,
      firstHref: `/admin/${r.def.name}?${qs({})}`,
    });
  });

  // --- create ---
  const renderForm = (
    res: Response,
    r: AdminResource,
    o: {
      mode: 'create' | 'edit';
      uuid?: string;
      subjectType?: string;
      values: Record<string, string>;
      problems?: Record<string, string[]>;
      hidden?: { name: string; value: string }[];
      status?: number;
    },
  ) => {
    const { groups } = formOf(r, o.subjectType);
    const problems = o.problems ?? {};
    const copy = r.workingCopies && o.mode === 'edit';
    kit.render(
      res,
      'form.njk',
      {
        title: o.mode === 'create' ? `Nieuw: ${r.singularTitle}` : `${r.singularTitle} bewerken`,
        section: r.def.name,
        heading:
          o.mode === 'create'
            ? `Nieuw: ${r.singularTitle.toLowerCase()}`
            : copy
              ? 'Wijziging voorstellen'
              : `${r.singularTitle} bewerken`,
        intro: copy
          ? 'Je wijziging wordt een werkkopie; pas na goedkeuring door een tweede persoon krijgt de klant de nieuwe gegevens.'
          : undefined,
        groups,
        values: o.values,
        problems,
        hasProblems: Object.keys(problems).length > 0,
        hidden: o.hidden ?? [],
        action: o.mode === 'create' ? `/admin/${r.def.name}/nieuw` : `/admin/${r.def.name}/${o.uuid}/bewerken`,
        back: o.mode === 'create' ? `/admin/${r.def.name}` : `/admin/${r.def.name}/${o.uuid}`,
        submit: copy ? 'Opslaan als werkkopie' : 'Opslaan',
      },
      o.status ?? 200,
    );
  };

  const fieldProblems = (err: unknown, fields: Field[]): Record<string, string[]> | undefined =>
    err instanceof Problem && err.status === 400 && err.invalidParams
      ? problemsByField(fields, err.invalidParams)
      : undefined;

  get('/:resource/nieuw', 'editor', async (req, res) => {
    const r = resourceOf(req);
    const chosen = typeof req.query['subjectType'] === 'string' ? req.query['subjectType'] : undefined;
    // "geen": a klant known only by its subject URL, without identification fields.
    const subjectType = chosen === 'geen' ? undefined : chosen;
    if (r.def.name === 'klanten' && chosen !== 'geen' && !identificationSchema(subjectType)) {
      return kit.render(res, 'choose.njk', {
        title: 'Nieuwe klant',
        section: 'klanten',
        options: ['natuurlijk_persoon', 'niet_natuurlijk_persoon', 'vestiging'],
      });
    }
    const { fields } = formOf(r, subjectType);
    const preset: Json = subjectType ? { subjectType } : {};
    for (const f of fields) {
      const v = req.query[f.name];
      if (typeof v === 'string' && f.name !== 'subjectType') preset[f.name] = v; // e.g. ?verzoek=<url>
    }
    const values = {
      ...inputToForm(fields, {}),
      ...Object.fromEntries(Object.entries(preset).map(([k, v]) => [k, String(v)])),
    };
    renderForm(res, r, { mode: 'create', subjectType, values });
  });

  post('/:resource/nieuw', 'editor', async (req, res) => {
    const r = resourceOf(req);
    const body = req.body as Record<string, unknown>;
    const subjectType = typeof body['subjectType'] === 'string' ? body['subjectType'] : undefined;
    const { fields } = formOf(r, subjectType);
    const input = formToInput(fields, body);
    try {
      checkShape(r, input);
      const row = await resource.create(as(res), r.def, input);
      res.redirect(303, `/admin/${r.def.name}/${row.uuid}?ok=opgeslagen`);
    } catch (err) {
      const problems = fieldProblems(err, fields);
      if (!problems) throw err;
      renderForm(res, r, { mode: 'create', subjectType, values: stringValues(fields, body), problems, status: 400 });
    }
  });

  // --- detail ---
  const showDetail = async (
    req: Request,
    res: Response,
    o: { showBsn?: boolean; linkProblems?: string[]; linkValue?: string; status?: number } = {},
  ) => {
    const r = resourceOf(req);
    const uuid = uuidParam(req);
    const row = await resource.get(ctx, r.def, uuid);
    const api = r.def.toApi(row, urls);
    const me = kit.me(res);
    const children = [];
    for (const c of r.children) {
      if (c.resource === 'verzoekinformatieobjecten') continue; // shown with their mirroring state below
      const child = adminResource(c.resource)!;
      const rows = await related(db, c.resource, c.column, uuid, 51);
      const linkField = child.filters.find(
        (f) =>
          f.condition(uuid, urls)?.kind === 'eq' && (f.condition(uuid, urls) as { column: string }).column === c.column,
      );
      children.push({
        title: c.title,
        resource: c.resource,
        singularTitle: child.singularTitle,
        columns: child.columns.map((col) => col.label),
        rows: rows.slice(0, 50).map((cr) => ({ uuid: cr.uuid, cells: rowCells(child, cr) })),
        more: rows.length > 50,
        filter: linkField ? new URLSearchParams({ [linkField.name]: uuid }).toString() : '',
        // A new related row starts with its link to this one filled in (e.g. ?verzoek=<url>).
        createHref: linkField
          ? `/admin/${c.resource}/nieuw?${new URLSearchParams({ [linkField.name]: urls.of(r.def.name, uuid) }).toString()}`
          : undefined,
      });
    }
    let documents;
    if (r.def.name === 'verzoeken') {
      const vios = await related(db, 'verzoekinformatieobjecten', 'verzoek_uuid', uuid, 200);
      documents = await Promise.all(
        vios.map(async (v) => ({
          uuid: v.uuid,
          informatieobject: v['informatieobject'],
          mirror: await mirrorState(db, v.uuid),
        })),
      );
    }
    kit.render(
      res,
      'detail.njk',
      {
        title: `${r.singularTitle} ${heading(r, api)}`,
        section: r.def.name,
        r,
        uuid,
        heading: heading(r, api),
        apiUrl: urls.of(r.def.name, uuid),
        fields: fieldsOfRow(api, o.showBsn === true),
        alsoShown: r.alsoShown && {
          title: r.alsoShown.title,
          fields: fieldsOfRow(r.alsoShown.values(row, urls), false),
        },
        hasBsn: r.def.name === 'klanten' && bsnOf(api) !== undefined,
        bsnShown: o.showBsn === true,
        copy: r.workingCopies ? await workingCopies.find(ctx, uuid) : undefined,
        canEdit: hasRole(me.role, 'editor'),
        canApprove: hasRole(me.role, 'approver'),
        children,
        documents,
        linkProblems: o.linkProblems,
        linkValue: o.linkValue,
      },
      o.status ?? 200,
    );
  };

  get('/:resource/:uuid', 'viewer', (req, res) => showDetail(req, res));

  // Showing a whole BSN is an explicit, recorded action (a POST, so no link or prefetch does it).
  post('/:resource/:uuid/bsn', 'viewer', async (req, res) => {
    if (req.params['resource'] !== 'klanten') throw notFound();
    await resource.get(ctx, adminResource('klanten')!.def, uuidParam(req)); // no record of a klant that is not there
    await kit.audit(res, { action: 'klant.bsn-getoond', target: urls.of('klanten', uuidParam(req)) });
    await showDetail(req, res, { showBsn: true });
  });

  // --- edit ---
  get('/:resource/:uuid/bewerken', 'editor', async (req, res) => {
    const r = resourceOf(req);
    if (!r.editable) throw notFound('Dit soort gegevens kan niet gewijzigd worden; verwijder het en maak het opnieuw.');
    const uuid = uuidParam(req);
    const row = await resource.get(ctx, r.def, uuid);
    let api = r.def.toApi(row, urls);
    const hidden = [{ name: '_versie', value: String(row['updated_at'] ?? '') }];
    if (r.workingCopies) {
      const copy = await workingCopies.find(ctx, uuid);
      if (copy && copy.createdBy !== kit.me(res).username) {
        return kit.render(
          res,
          'error.njk',
          {
            title: 'Werkkopie',
            heading: 'Er wacht al een werkkopie',
            detail: `Er wacht al een werkkopie van ${copy.createdBy} op goedkeuring; die moet eerst goedgekeurd of afgekeurd worden.`,
            back: `/admin/klanten/${uuid}/werkkopie`,
          },
          409,
        );
      }
      if (copy) api = { ...copy.input, subjectType: api['subjectType'] };
    }
    const subjectType = api['subjectType'] as string | undefined;
    const { fields } = formOf(r, subjectType);
    renderForm(res, r, { mode: 'edit', uuid, subjectType, values: inputToForm(fields, api), hidden });
  });

  post('/:resource/:uuid/bewerken', 'editor', async (req, res) => {
    const r = resourceOf(req);
    if (!r.editable) throw notFound();
    const uuid = uuidParam(req);
    const existing = await resource.get(ctx, r.def, uuid);
    const before = r.def.toApi(existing, urls);
    const subjectType = (before['subjectType'] as string | null) ?? undefined;
    const body = req.body as Record<string, unknown>;
    const { fields } = formOf(r, subjectType);
    const input = formToInput(fields, { ...body, subjectType: subjectType ?? '' });
    const hidden = [{ name: '_versie', value: String(body['_versie'] ?? '') }];
    try {
      checkShape(r, input);
      if (r.workingCopies) {
        await workingCopies.propose(
          ctx,
          uuid,
          input,
          { username: kit.me(res).username, seenUpdatedAt: Number(body['_versie']) },
          (trx, outcome) =>
            kit.audit(
              res,
              {
                action: `klant.werkkopie-${outcome === 'saved' ? 'aangemaakt' : 'aangepast'}`,
                target: urls.of('klanten', uuid),
                before,
                after: input,
              },
              trx,
            ),
        );
        return res.redirect(303, `/admin/klanten/${uuid}?ok=werkkopie`);
      }
      await resource.update(as(res), r.def, uuid, input, false);
      res.redirect(303, `/admin/${r.def.name}/${uuid}?ok=opgeslagen`);
    } catch (err) {
      const problems = fieldProblems(err, fields);
      if (!problems) throw err;
      renderForm(res, r, {
        mode: 'edit',
        uuid,
        subjectType,
        values: stringValues(fields, body, subjectType),
        problems,
        hidden,
        status: 400,
      });
    }
  });

  // --- delete ---
  get('/:resource/:uuid/verwijderen', 'editor', async (req, res) => {
    const r = resourceOf(req);
    if (r.workingCopies && !hasRole(kit.me(res).role, 'approver')) return refuseKlantDelete(res);
    const uuid = uuidParam(req);
    const row = await resource.get(ctx, r.def, uuid);
    kit.render(res, 'confirm.njk', {
      title: `${r.singularTitle} verwijderen`,
      section: r.def.name,
      heading: `${r.singularTitle} ${heading(r, r.def.toApi(row, urls))} verwijderen`,
      question: `Weet je het zeker? Dit verwijdert het ${r.singularTitle.toLowerCase()} en alles wat ervan afhangt, zoals via de API.`,
      action: `/admin/${r.def.name}/${uuid}/verwijderen`,
      back: `/admin/${r.def.name}/${uuid}`,
      submit: 'Definitief verwijderen',
    });
  });

  post('/:resource/:uuid/verwijderen', 'editor', async (req, res) => {
    const r = resourceOf(req);
    if (r.workingCopies && !hasRole(kit.me(res).role, 'approver')) return refuseKlantDelete(res);
    const uuid = uuidParam(req);
    await resource.remove(as(res), r.def, uuid);
    res.redirect(303, `/admin/${r.def.name}?ok=verwijderd`);
  });

  // A klant's edits need a second person; deleting one (no copy to review) needs at least an approver.
  const refuseKlantDelete = (res: Response) =>
    kit.render(
      res,
      'error.njk',
      { title: 'Geen toegang', heading: 'Geen toegang', detail: 'Een klant verwijderen vraagt de rol approver.' },
      403,
    );

  // --- klant working copies: review, approve, reject ---
  get('/klanten/:uuid/werkkopie', 'viewer', async (req, res) => {
    const uuid = uuidParam(req);
    const r = adminResource('klanten')!;
    const row = await resource.get(ctx, r.def, uuid);
    const copy = await workingCopies.find(ctx, uuid);
    if (!copy) return res.redirect(303, `/admin/klanten/${uuid}`);
    const api = r.def.toApi(row, urls);
    const { fields } = formOf(r, api['subjectType'] as string | undefined);
    const proposed = { ...copy.input, subjectType: api['subjectType'] };
    const me = kit.me(res);
    kit.render(res, 'werkkopie.njk', {
      title: 'Werkkopie',
      section: 'werkkopieen',
      uuid,
      heading: heading(r, api),
      copy,
      stale: await workingCopies.isStale(ctx, copy),
      own: copy.createdBy === me.username,
      canApprove: hasRole(me.role, 'approver'),
      diff: fields
        .map((f) => {
          const show = (v: unknown) =>
            f.name === 'subjectIdentificatie.inpBsn'
              ? maskBsn(v)
              : v === null || v === undefined
                ? ''
                : Array.isArray(v)
                  ? v.join(', ')
                  : String(v);
          const b = show(getPath(api, f.name));
          const a = show(getPath(proposed, f.name));
          const changed =
            JSON.stringify(getPath(api, f.name) ?? '') !== JSON.stringify(getPath(proposed, f.name) ?? '');
          return { name: f.name, before: b, after: a, changed };
        })
        .filter((d) => d.changed || d.before !== ''), // fields empty on both sides say nothing
    });
  });

  post('/klanten/:uuid/werkkopie/goedkeuren', 'approver', async (req, res) => {
    const uuid = uuidParam(req);
    await workingCopies.approve(
      // The approval records itself (klant.werkkopie-goedgekeurd) in its own transaction.
      as(res, { toelichting: 'Werkkopie goedgekeurd in de beheeromgeving', logged: false }),
      uuid,
      kit.me(res).username,
      (trx, outcome) =>
        kit.audit(
          res,
          {
            action: 'klant.werkkopie-goedgekeurd',
            target: urls.of('klanten', uuid),
            before: outcome.before,
            after: outcome.after,
          },
          trx,
        ),
    );
    res.redirect(303, `/admin/klanten/${uuid}?ok=goedgekeurd`);
  });

  post('/klanten/:uuid/werkkopie/afkeuren', 'editor', async (req, res) => {
    const uuid = uuidParam(req);
    const me = kit.me(res);
    const copy = await workingCopies.find(ctx, uuid);
    if (!copy) throw notFound('Er is geen werkkopie (meer) voor deze klant.');
    // An approver rejects; an editor may only withdraw their own copy.
    if (!hasRole(me.role, 'approver') && copy.createdBy !== me.username) {
      return kit.render(
        res,
        'error.njk',
        { title: 'Geen toegang', heading: 'Geen toegang', detail: 'Hiervoor is de rol approver nodig.' },
        403,
      );
    }
    await workingCopies.reject(ctx, uuid, (trx, removed) =>
      kit.audit(
        res,
        { action: 'klant.werkkopie-afgekeurd', target: urls.of('klanten', uuid), before: removed.input },
        trx,
      ),
    );
    res.redirect(303, `/admin/klanten/${uuid}?ok=afgekeurd`);
  });

  // --- documents of a verzoek: link and unlink through the domain (the outbox mirrors them) ---
  const vioResource = adminResource('verzoekinformatieobjecten')!;
  post('/verzoeken/:uuid/documenten', 'editor', async (req, res) => {
    const uuid = uuidParam(req);
    const informatieobject = String((req.body as Record<string, unknown>)['informatieobject'] ?? '').trim();
    const input = { verzoek: urls.of('verzoeken', uuid), informatieobject };
    try {
      checkShape(vioResource, input);
      await resource.create(as(res), vioResource.def, input);
      res.redirect(303, `/admin/verzoeken/${uuid}?ok=gekoppeld#documenten`);
    } catch (err) {
      if (!(err instanceof Problem && err.status === 400)) throw err;
      req.params['resource'] = 'verzoeken';
      await showDetail(req, res, {
        linkProblems: (err.invalidParams ?? []).map((p) => p.reason),
        linkValue: informatieobject,
        status: 400,
      });
    }
  });

  post('/verzoeken/:uuid/documenten/:vio/ontkoppelen', 'editor', async (req, res) => {
    const uuid = uuidParam(req);
    const vio = uuidParam(req, 'vio');
    const row = await resource.get(ctx, vioResource.def, vio);
    if (row['verzoek_uuid'] !== uuid) throw notFound();
    await resource.remove(as(res), vioResource.def, vio);
    res.redirect(303, `/admin/verzoeken/${uuid}?ok=ontkoppeld#documenten`);
  });

  return router;
}

/** A short name for a row in headings. */
function heading(r: AdminResource, api: Json): string {
  if (r.def.name === 'klanten')
    return `${String(api['voornaam'] ?? '')} ${String(api['achternaam'] ?? '')}`.trim() || '(zonder naam)';
  if (r.def.name === 'verzoeken') return String(api['identificatie'] ?? '');
  if (r.def.name === 'contactmomenten')
    return `${String(api['kanaal'] ?? '')} ${String(api['interactiedatum'] ?? '')}`.trim();
  return '';
}

/** The posted values back into the form after a problem (nothing typed is lost). */
function stringValues(fields: Field[], body: Record<string, unknown>, subjectType?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) out[f.name] = typeof body[f.name] === 'string' ? (body[f.name] as string) : '';
  if (subjectType) out['subjectType'] = subjectType;
  return out;
}
