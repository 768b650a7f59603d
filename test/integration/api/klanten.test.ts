import { randomUUID } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import { loadSpec } from '../../../src/api/spec.js';
import { describeApi } from '../../helpers/app.js';
import { PERSOON, VERBLIJFSADRES } from '../../helpers/subjects.js';
import { CLIENTS } from '../../helpers/tokens.js';

const KLANTEN = '/api/v1/klanten';
const MISSING = `${KLANTEN}/6f3a5b1e-2f55-4a5d-9d7c-0c1f3b7a9e11`;
const SUBJECT = 'https://personen.example/api/v1/ingeschrevenpersonen/111222333';
const CM = { bronorganisatie: '123456782', medewerker: 'https://medewerkers.example/api/v1/medewerkers/1' };

const BUITENLAND = {
  lndLandcode: '6030',
  lndLandnaam: 'Nederland',
  subAdresBuitenland1: 'Rue de la Loi 1',
  subAdresBuitenland2: '1000 Brussel',
  subAdresBuitenland3: 'België',
};
const NATUURLIJK_PERSOON = {
  ...PERSOON,
  verblijfsadres: VERBLIJFSADRES,
  subVerblijfBuitenland: BUITENLAND,
};
const NIET_NATUURLIJK_PERSOON = {
  innNnpId: '123456782',
  annIdentificatie: 'ANN-7',
  statutaireNaam: 'Bakkerij Jansen B.V.',
  innRechtsvorm: 'besloten_vennootschap',
  bezoekadres: 'Dorpsstraat 1, Ergens',
  subVerblijfBuitenland: BUITENLAND,
};
const VESTIGING = {
  vestigingsNummer: '000012345678',
  handelsnaam: ['Bakkerij Jansen', 'Jansen Brood'],
  verblijfsadres: VERBLIJFSADRES,
  subVerblijfBuitenland: BUITENLAND,
};
const CONTACT = {
  voornaam: 'Jan',
  achternaam: 'Jansen',
  adres: 'Keizersgracht 117A',
  telefoonnummer: '0612345678',
  emailadres: 'jan@example.nl',
  functie: 'eigenaar',
};
const TOP_KEYS = [
  'url',
  'voornaam',
  'achternaam',
  'adres',
  'telefoonnummer',
  'emailadres',
  'functie',
  'subject',
  'subjectType',
];
const IDENTIFICATION_KEYS: Record<string, string[]> = {
  natuurlijk_persoon: Object.keys(NATUURLIJK_PERSOON),
  niet_natuurlijk_persoon: Object.keys(NIET_NATUURLIJK_PERSOON),
  vestiging: Object.keys(VESTIGING),
};

// The response check of the harness sees only the Klant schema (its discriminator is not
// evaluated); the polymorphic part is checked here against the spec's variant schemas.
const spec = loadSpec('klantinteracties.yaml').definition;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(spec, 'spec');
const variants = new Map<string, ValidateFunction>();

type Body = Record<string, any>;

/** Fails unless `klant` is a complete representation of its variant, in the reference's key order. */
function expectKlantMatchesSpec(klant: Body): void {
  const type = klant['subjectType'] as string | null;
  // emailadres and subject admit no "" (format email / uri): without a value they are left out.
  const keys = TOP_KEYS.filter((k) => k in klant || !['emailadres', 'subject'].includes(k));
  expect(Object.keys(klant)).to.deep.equal(type ? [...keys, 'subjectIdentificatie'] : keys);
  const schema = type ?? 'Klant';
  let validate = variants.get(schema);
  if (!validate) {
    validate = ajv.compile({ $ref: `spec#/components/schemas/${schema}` });
    variants.set(schema, validate);
  }
  // Decided deviation (the reference's representation): a missing identification or address is
  // null, although those schemas are not nullable; everything else must be as the spec says.
  const identification = klant['subjectIdentificatie'] as Body | null | undefined;
  const checked: Body = { ...klant };
  if (identification === null) delete checked['subjectIdentificatie'];
  if (identification) {
    checked['subjectIdentificatie'] = Object.fromEntries(
      Object.entries(identification).filter(
        ([k, v]) => !(v === null && ['verblijfsadres', 'subVerblijfBuitenland'].includes(k)),
      ),
    );
  }
  expect(validate(checked), JSON.stringify(validate.errors)).to.equal(true);
  if (type && identification) {
    // Every property that has an empty value is present; enums and patterns without a value are left out.
    const optionalWithoutEmpty = ['geslachtsaanduiding', 'inpANummer', 'innRechtsvorm'];
    const expected = IDENTIFICATION_KEYS[type]!.filter((k) => k in identification || !optionalWithoutEmpty.includes(k));
    expect(Object.keys(identification)).to.deep.equal(expected);
  }
}

const codes = (body: Body): { name: string; code: string }[] =>
  (body['invalidParams'] as { name: string; code: string }[]).map(({ name, code }) => ({ name, code }));

describeApi('klanten', (t) => {
  const create = async (body: Body) => {
    const res = await t.api().post(KLANTEN, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as Body;
  };
  const count = async (table: string) => (await t.db()(table)).length;

  describe('klant_create', () => {
    it('stores a natuurlijk_persoon with its full identification, addresses included, and returns it completely', async () => {
      const res = await t
        .api()
        .post(KLANTEN, { ...CONTACT, subjectType: 'natuurlijk_persoon', subjectIdentificatie: NATUURLIJK_PERSOON });
      expect(res.status).to.equal(201);
      expect(res.headers.get('location')).to.equal(res.body.url);
      expect(res.body.url).to.match(new RegExp(`^${t.api().config.publicUrl}/api/v1/klanten/[0-9a-f-]{36}$`));
      expect(res.body).to.deep.equal({
        url: res.body.url,
        ...CONTACT,
        subjectType: 'natuurlijk_persoon',
        subjectIdentificatie: NATUURLIJK_PERSOON,
      });
      expect(res.body).to.not.have.property('subject');
      expectKlantMatchesSpec(res.body);
      const read = await t.api().get(res.body.url);
      expect(read.body).to.deep.equal(res.body);
      const [row] = await t.db()('klanten');
      expect(row.subject_type).to.equal('natuurlijk_persoon');
      expect(JSON.parse(row.subject_identificatie)).to.deep.equal(NATUURLIJK_PERSOON);
    });

    it('stores a niet_natuurlijk_persoon with its full identification', async () => {
      const body = await create({
        subjectType: 'niet_natuurlijk_persoon',
        subjectIdentificatie: NIET_NATUURLIJK_PERSOON,
      });
      expect(body['subjectIdentificatie']).to.deep.equal(NIET_NATUURLIJK_PERSOON);
      expect(body).to.include({
        voornaam: '',
        achternaam: '',
        adres: '',
        telefoonnummer: '',
        functie: '',
        subjectType: 'niet_natuurlijk_persoon',
      });
      expect(body).to.not.have.any.keys('emailadres', 'subject');
      expectKlantMatchesSpec(body);
      expect((await t.api().get(body['url'])).body).to.deep.equal(body);
    });

    it('stores a vestiging with its handelsnamen and addresses', async () => {
      const body = await create({ subjectType: 'vestiging', subjectIdentificatie: VESTIGING });
      expect(body['subjectIdentificatie']).to.deep.equal(VESTIGING);
      expectKlantMatchesSpec(body);
      expect((await t.api().get(body['url'])).body).to.deep.equal(body);
    });

    it('completes a partial identification: missing strings become "", missing objects null, an empty handelsnaam []', async () => {
      const np = await create({ subjectType: 'natuurlijk_persoon', subjectIdentificatie: { geslachtsnaam: 'Jansen' } });
      expect(np['subjectIdentificatie']).to.deep.equal({
        inpBsn: '',
        anpIdentificatie: '',
        geslachtsnaam: 'Jansen',
        voorvoegselGeslachtsnaam: '',
        voorletters: '',
        voornamen: '',
        geboortedatum: '',
        verblijfsadres: null,
        subVerblijfBuitenland: null,
      });
      expectKlantMatchesSpec(np);

      const v = await create({
        subjectType: 'vestiging',
        subjectIdentificatie: {
          vestigingsNummer: '1',
          verblijfsadres: { ...VERBLIJFSADRES, aoaPostcode: undefined, aoaHuisletter: undefined },
        },
      });
      expect(v['subjectIdentificatie']).to.deep.equal({
        vestigingsNummer: '1',
        handelsnaam: [],
        verblijfsadres: { ...VERBLIJFSADRES, aoaPostcode: '', aoaHuisletter: '' },
        subVerblijfBuitenland: null,
      });
      expectKlantMatchesSpec(v);

      const nnp = await create({
        subjectType: 'niet_natuurlijk_persoon',
        subjectIdentificatie: { subVerblijfBuitenland: { lndLandcode: '5010', lndLandnaam: 'België' } },
      });
      expect(nnp['subjectIdentificatie']).to.deep.equal({
        innNnpId: '',
        annIdentificatie: '',
        statutaireNaam: '',
        bezoekadres: '',
        subVerblijfBuitenland: {
          lndLandcode: '5010',
          lndLandnaam: 'België',
          subAdresBuitenland1: '',
          subAdresBuitenland2: '',
          subAdresBuitenland3: '',
        },
      });
      expectKlantMatchesSpec(nnp);
    });

    it('answers subjectIdentificatie null for a typed klant that only has a subject', async () => {
      const body = await create({ subject: SUBJECT, subjectType: 'vestiging' });
      expect(body).to.deep.include({ subject: SUBJECT, subjectType: 'vestiging', subjectIdentificatie: null });
      expectKlantMatchesSpec(body);
      const [row] = await t.db()('klanten');
      expect(row.subject_identificatie).to.equal(null);
    });

    it('leaves subjectIdentificatie out for a klant without subjectType, and ignores one that is sent', async () => {
      const body = await create({
        ...CONTACT,
        subject: SUBJECT,
        subjectType: null,
        subjectIdentificatie: NATUURLIJK_PERSOON,
      });
      expect(body).to.deep.equal({ url: body['url'], ...CONTACT, subject: SUBJECT, subjectType: null });
      expectKlantMatchesSpec(body);
      const [row] = await t.db()('klanten');
      expect(row.subject_type).to.equal(null);
      expect(row.subject_identificatie).to.equal(null);
    });

    it('refuses a body without the subjectType key with 400 required (the reference answers 500)', async () => {
      const res = await t.api().post(KLANTEN, { subject: SUBJECT });
      expect(res.status).to.equal(400);
      expect(res.body.code).to.equal('invalid');
      expect(res.body.invalidParams).to.deep.equal([
        { name: 'subjectType', code: 'required', reason: 'Dit veld is vereist.' },
      ]);
      expect(await count('klanten')).to.equal(0);
    });

    it('refuses a klant with neither subject nor identification with invalid-subject', async () => {
      const cases: Body[] = [
        { subjectType: null },
        { subjectType: 'natuurlijk_persoon' },
        { subjectType: 'natuurlijk_persoon', subjectIdentificatie: {} },
        { subjectType: 'vestiging', subject: '', subjectIdentificatie: null },
        { subjectType: null, subjectIdentificatie: NATUURLIJK_PERSOON }, // ignored without a type
      ];
      for (const body of cases) {
        const res = await t.api().post(KLANTEN, { ...CONTACT, ...body });
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.invalidParams).to.deep.equal([
          {
            name: 'nonFieldErrors',
            code: 'invalid-subject',
            reason: 'subject or subjectIdentificatie must be provided',
          },
        ]);
      }
      expect(await count('klanten')).to.equal(0);
    });

    it('names nested address errors by their full path (required, max_value, max_length)', async () => {
      const { aoaHuisnummer: _n, ...withoutNumber } = VERBLIJFSADRES;
      const missing = await t.api().post(KLANTEN, {
        subjectType: 'natuurlijk_persoon',
        subjectIdentificatie: { verblijfsadres: withoutNumber, subVerblijfBuitenland: { lndLandnaam: 'België' } },
      });
      expect(missing.status).to.equal(400);
      expect(codes(missing.body)).to.have.deep.members([
        { name: 'subjectIdentificatie.verblijfsadres.aoaHuisnummer', code: 'required' },
        { name: 'subjectIdentificatie.subVerblijfBuitenland.lndLandcode', code: 'required' },
      ]);

      const tooHigh = await t.api().post(KLANTEN, {
        subjectType: 'vestiging',
        subjectIdentificatie: { verblijfsadres: { ...VERBLIJFSADRES, aoaHuisnummer: 100000, aoaHuisletter: 'AB' } },
      });
      expect(tooHigh.status).to.equal(400);
      expect(codes(tooHigh.body)).to.have.deep.members([
        { name: 'subjectIdentificatie.verblijfsadres.aoaHuisnummer', code: 'max_value' },
        { name: 'subjectIdentificatie.verblijfsadres.aoaHuisletter', code: 'max_length' },
      ]);

      const negative = await t.api().post(KLANTEN, {
        subjectType: 'vestiging',
        subjectIdentificatie: { verblijfsadres: { ...VERBLIJFSADRES, aoaHuisnummer: -1 } },
      });
      expect(codes(negative.body)).to.deep.equal([
        { name: 'subjectIdentificatie.verblijfsadres.aoaHuisnummer', code: 'min_value' },
      ]);
      expect(await count('klanten')).to.equal(0);
    });

    it('refuses a BSN or RSIN in the identification that fails the 11-proof, with the RSIN codes', async () => {
      const cases: [Body, string, string][] = [
        [
          { subjectType: 'natuurlijk_persoon', subjectIdentificatie: { inpBsn: '123456789' } },
          'subjectIdentificatie.inpBsn',
          'invalid',
        ],
        [
          { subjectType: 'natuurlijk_persoon', subjectIdentificatie: { inpBsn: '12345678' } },
          'subjectIdentificatie.inpBsn',
          'invalid-length',
        ],
        [
          { subjectType: 'natuurlijk_persoon', subjectIdentificatie: { inpBsn: '12345678a' } },
          'subjectIdentificatie.inpBsn',
          'only-digits',
        ],
        [
          { subjectType: 'niet_natuurlijk_persoon', subjectIdentificatie: { innNnpId: '123456789' } },
          'subjectIdentificatie.innNnpId',
          'invalid',
        ],
      ];
      for (const [body, name, code] of cases) {
        const res = await t.api().post(KLANTEN, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(codes(res.body), JSON.stringify(body)).to.deep.equal([{ name, code }]);
      }
      expect(await count('klanten')).to.equal(0);
    });

    it('refuses an A-nummer that is not ten digits with a-nummer-incorrect-format', async () => {
      for (const inpANummer of ['0123456789', '12345', '12345678x0']) {
        const res = await t
          .api()
          .post(KLANTEN, { subjectType: 'natuurlijk_persoon', subjectIdentificatie: { inpANummer } });
        expect(res.status, inpANummer).to.equal(400);
        expect(res.body.invalidParams, inpANummer).to.deep.equal([
          {
            name: 'subjectIdentificatie.inpANummer',
            code: 'a-nummer-incorrect-format',
            reason: 'inpA_nummer must consist of 10 digits',
          },
        ]);
      }
      expect(await count('klanten')).to.equal(0);
    });

    it('refuses a malformed e-mail address or subject URL with invalid', async () => {
      const res = await t
        .api()
        .post(KLANTEN, { subjectType: null, subject: 'not a url', emailadres: 'jan-at-example.nl' });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.have.deep.members([
        { name: 'emailadres', code: 'invalid' },
        { name: 'subject', code: 'invalid' },
      ]);
      expect(await count('klanten')).to.equal(0);
    });

    it('refuses values over their maximum length with max_length, top-level and nested', async () => {
      const top = await t.api().post(KLANTEN, {
        subject: SUBJECT,
        subjectType: null,
        voornaam: 'x'.repeat(201),
        telefoonnummer: '0'.repeat(21),
        adres: 'a'.repeat(1001),
      });
      expect(top.status).to.equal(400);
      expect(codes(top.body)).to.have.deep.members([
        { name: 'voornaam', code: 'max_length' },
        { name: 'telefoonnummer', code: 'max_length' },
        { name: 'adres', code: 'max_length' },
      ]);
      const nested = await t.api().post(KLANTEN, {
        subjectType: 'vestiging',
        subjectIdentificatie: { vestigingsNummer: '1'.repeat(25), handelsnaam: ['ok', 'h'.repeat(626)] },
      });
      expect(nested.status).to.equal(400);
      expect(codes(nested.body)).to.have.deep.members([
        { name: 'subjectIdentificatie.vestigingsNummer', code: 'max_length' },
        { name: 'subjectIdentificatie.handelsnaam.1', code: 'max_length' },
      ]);
      expect(await count('klanten')).to.equal(0);
    });

    it('refuses a value outside its enum with invalid_choice, top-level and nested', async () => {
      const top = await t.api().post(KLANTEN, { subject: SUBJECT, subjectType: 'persoon' });
      expect(top.status).to.equal(400);
      expect(codes(top.body)).to.deep.equal([{ name: 'subjectType', code: 'invalid_choice' }]);
      const nested = await t
        .api()
        .post(KLANTEN, { subjectType: 'natuurlijk_persoon', subjectIdentificatie: { geslachtsaanduiding: 'x' } });
      expect(codes(nested.body)).to.deep.equal([
        { name: 'subjectIdentificatie.geslachtsaanduiding', code: 'invalid_choice' },
      ]);
      const rechtsvorm = await t
        .api()
        .post(KLANTEN, { subjectType: 'niet_natuurlijk_persoon', subjectIdentificatie: { innRechtsvorm: 'bv' } });
      expect(codes(rechtsvorm.body)).to.deep.equal([
        { name: 'subjectIdentificatie.innRechtsvorm', code: 'invalid_choice' },
      ]);
      expect(await count('klanten')).to.equal(0);
    });

    it('refuses a subjectIdentificatie that is not an object', async () => {
      const res = await t.api().post(KLANTEN, { subjectType: 'vestiging', subjectIdentificatie: 'KvK 12345' });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.deep.equal([{ name: 'subjectIdentificatie', code: 'invalid' }]);
    });

    it('ignores a url in the body and a property the spec does not have', async () => {
      const body = await create({
        url: 'https://elsewhere.example/klanten/1',
        subject: SUBJECT,
        subjectType: null,
        klantnummer: '42',
      });
      expect(body['url']).to.match(new RegExp(`^${t.api().config.publicUrl}/`));
      expect(body).to.not.have.property('klantnummer');
    });
  });

  describe('klant_list', () => {
    it('returns a plain array of every klant in creation order, each matching the spec', async () => {
      expect((await t.api().get(KLANTEN)).body).to.deep.equal([]);
      const created = [
        await create({ ...CONTACT, subjectType: 'natuurlijk_persoon', subjectIdentificatie: NATUURLIJK_PERSOON }),
        await create({ subject: SUBJECT, subjectType: null }),
        await create({ subjectType: 'niet_natuurlijk_persoon', subjectIdentificatie: NIET_NATUURLIJK_PERSOON }),
        await create({ subject: SUBJECT, subjectType: 'vestiging' }),
        await create({ subjectType: 'vestiging', subjectIdentificatie: VESTIGING }),
      ];
      // An update does not move a klant in the list.
      await t.api().patch(created[0]!['url'], { voornaam: 'Piet' });
      created[0] = { ...created[0], voornaam: 'Piet' };
      const res = await t.api().get(KLANTEN);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.body).to.deep.equal(created);
      for (const klant of res.body) expectKlantMatchesSpec(klant);
    });

    it('returns a list longer than one batch completely and in order', async () => {
      const uuids = Array.from({ length: 1001 }, () => randomUUID());
      const now = Date.now();
      await t.db().batchInsert(
        'klanten',
        uuids.map((uuid, i) => ({ uuid, voornaam: `klant ${i}`, subject: SUBJECT, created_at: now, updated_at: now })),
        250,
      );
      const res = await t.api().get(KLANTEN);
      expect(res.status).to.equal(200);
      expect(res.body).to.have.length(1001);
      expect(res.body.map((k: Body) => k['url'])).to.deep.equal(
        uuids.map((u) => `${t.api().config.publicUrl}/api/v1/klanten/${u}`),
      );
      expect(res.body[1000]).to.deep.include({ voornaam: 'klant 1000', subjectType: null });
      expectKlantMatchesSpec(res.body[500]);
    });
  });

  describe('klant_read', () => {
    it('returns the klant with an ETag; HEAD gives the same headers without a body', async () => {
      const klant = await create({ ...CONTACT, subjectType: 'vestiging', subjectIdentificatie: VESTIGING });
      const read = await t.api().get(klant['url']);
      expect(read.status).to.equal(200);
      expect(read.body).to.deep.equal(klant);
      const etag = read.headers.get('etag')!;
      expect(etag).to.match(/^"[0-9a-f]{32}"$/);
      expect((await t.api().get(klant['url'])).headers.get('etag')).to.equal(etag);
      const head = await t.api().head(klant['url']);
      expect(head.status).to.equal(200);
      expect(head.headers.get('etag')).to.equal(etag);
      expect(head.headers.get('api-version')).to.equal('1.0.0-rc1');
      expect(head.text).to.equal('');
    });

    it('answers 304 when If-None-Match lists the current tag among others or is *, and 200 otherwise', async () => {
      const klant = await create({ subject: SUBJECT, subjectType: null });
      const etag = (await t.api().get(klant['url'])).headers.get('etag')!;
      for (const header of [etag, `"stale", ${etag}`, `W/"x", W/${etag}, "y"`, '*']) {
        const res = await t.api().get(klant['url'], { headers: { 'if-none-match': header } });
        expect(res.status, header).to.equal(304);
        expect(res.headers.get('etag')).to.equal(etag);
        expect(res.text).to.equal('');
      }
      const other = await t.api().get(klant['url'], { headers: { 'if-none-match': '"stale", "other"' } });
      expect(other.status).to.equal(200);
      expect(other.body).to.deep.equal(klant);
    });

    it('gives a new ETag after an update, and the old one no longer answers 304', async () => {
      const klant = await create({ subject: SUBJECT, subjectType: 'natuurlijk_persoon' });
      const etag = (await t.api().get(klant['url'])).headers.get('etag')!;
      expect((await t.api().patch(klant['url'], { voornaam: 'Jan' })).status).to.equal(200);
      const after = await t.api().get(klant['url'], { headers: { 'if-none-match': etag } });
      expect(after.status).to.equal(200);
      expect(after.headers.get('etag'))
        .to.match(/^"[0-9a-f]{32}"$/)
        .and.not.equal(etag);
      expect(after.body.voornaam).to.equal('Jan');
    });

    it('answers 404 for an unknown or malformed uuid', async () => {
      expect((await t.api().get(MISSING)).body).to.include({ status: 404, code: 'not_found' });
      expect((await t.api().get(`${KLANTEN}/not-a-uuid`)).status).to.equal(404);
      expect((await t.api().head(MISSING)).status).to.equal(404);
    });
  });

  describe('klant_update', () => {
    it('replaces the klant: every omitted optional field is cleared', async () => {
      const klant = await create({
        ...CONTACT,
        subject: SUBJECT,
        subjectType: 'natuurlijk_persoon',
        subjectIdentificatie: NATUURLIJK_PERSOON,
      });
      const res = await t.api().put(klant['url'], {
        achternaam: 'Pietersen',
        subjectType: 'natuurlijk_persoon',
        subjectIdentificatie: { geslachtsnaam: 'Pietersen' },
      });
      expect(res.status).to.equal(200);
      const expected = {
        url: klant['url'],
        voornaam: '',
        achternaam: 'Pietersen',
        adres: '',
        telefoonnummer: '',
        functie: '',
        subjectType: 'natuurlijk_persoon',
        subjectIdentificatie: {
          inpBsn: '',
          anpIdentificatie: '',
          geslachtsnaam: 'Pietersen',
          voorvoegselGeslachtsnaam: '',
          voorletters: '',
          voornamen: '',
          geboortedatum: '',
          verblijfsadres: null,
          subVerblijfBuitenland: null,
        },
      };
      expect(res.body).to.deep.equal(expected);
      expectKlantMatchesSpec(res.body);
      expect((await t.api().get(klant['url'])).body).to.deep.equal(expected);
    });

    it('accepts its own representation back unchanged', async () => {
      const klant = await create({
        ...CONTACT,
        subjectType: 'niet_natuurlijk_persoon',
        subjectIdentificatie: NIET_NATUURLIJK_PERSOON,
      });
      const res = await t.api().put(klant['url'], klant);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal(klant);
    });

    it('validates the replacement like a create: subjectType required, invalid-subject, nested errors', async () => {
      const klant = await create({ ...CONTACT, subject: SUBJECT, subjectType: 'vestiging' });
      const noType = await t.api().put(klant['url'], { subject: SUBJECT });
      expect(codes(noType.body)).to.deep.equal([{ name: 'subjectType', code: 'required' }]);
      const noSubject = await t.api().put(klant['url'], { ...CONTACT, subjectType: 'vestiging' });
      expect(codes(noSubject.body)).to.deep.equal([{ name: 'nonFieldErrors', code: 'invalid-subject' }]);
      const nested = await t.api().put(klant['url'], {
        subjectType: 'vestiging',
        subjectIdentificatie: { verblijfsadres: { aoaHuisnummer: 1 } },
      });
      expect(codes(nested.body)).to.have.deep.members([
        { name: 'subjectIdentificatie.verblijfsadres.aoaIdentificatie', code: 'required' },
        { name: 'subjectIdentificatie.verblijfsadres.wplWoonplaatsNaam', code: 'required' },
        { name: 'subjectIdentificatie.verblijfsadres.gorOpenbareRuimteNaam', code: 'required' },
      ]);
      expect((await t.api().get(klant['url'])).body).to.deep.equal(klant);
    });

    it('refuses to change the subjectType with wijzigen-niet-toegelaten and keeps the klant', async () => {
      const klant = await create({ subject: SUBJECT, subjectType: 'natuurlijk_persoon' });
      const res = await t
        .api()
        .put(klant['url'], { subject: SUBJECT, subjectType: 'vestiging', subjectIdentificatie: VESTIGING });
      expect(res.status).to.equal(400);
      expect(res.body.invalidParams).to.deep.equal([
        { name: 'subjectType', code: 'wijzigen-niet-toegelaten', reason: 'Dit veld mag niet gewijzigd worden.' },
      ]);
      const untyped = await create({ subject: SUBJECT, subjectType: null });
      const typed = await t.api().put(untyped['url'], { subject: SUBJECT, subjectType: 'vestiging' });
      expect(codes(typed.body)).to.deep.equal([{ name: 'subjectType', code: 'wijzigen-niet-toegelaten' }]);
      expect((await t.api().get(klant['url'])).body).to.deep.equal(klant);
      expect((await t.api().get(untyped['url'])).body).to.deep.equal(untyped);
    });

    it('answers 404 for an unknown klant', async () => {
      expect((await t.api().put(MISSING, { subject: SUBJECT, subjectType: null })).status).to.equal(404);
    });
  });

  describe('klant_partial_update', () => {
    it('changes only the given fields and keeps the identification', async () => {
      const klant = await create({
        ...CONTACT,
        subject: SUBJECT,
        subjectType: 'natuurlijk_persoon',
        subjectIdentificatie: NATUURLIJK_PERSOON,
      });
      const res = await t.api().patch(klant['url'], { telefoonnummer: '0201234567', emailadres: '' });
      expect(res.status).to.equal(200);
      const { emailadres: _cleared, ...rest } = klant;
      expect(res.body).to.deep.equal({ ...rest, telefoonnummer: '0201234567' });
      expectKlantMatchesSpec(res.body);
      expect((await t.api().get(klant['url'])).body).to.deep.equal(res.body);
    });

    it('updates a klant whose identification has no addresses (nulls in the stored representation)', async () => {
      const klant = await create({ subjectType: 'natuurlijk_persoon', subjectIdentificatie: { inpBsn: '111222333' } });
      const res = await t.api().patch(klant['url'], { voornaam: 'Jan' });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body).to.deep.equal({ ...klant, voornaam: 'Jan' });
      const vestiging = await create({ subjectType: 'vestiging', subjectIdentificatie: { vestigingsNummer: '1' } });
      const v = await t.api().patch(vestiging['url'], { functie: 'balie' });
      expect(v.status, JSON.stringify(v.body)).to.equal(200);
      expect(v.body['subjectIdentificatie']).to.deep.equal(vestiging['subjectIdentificatie']);
    });

    it('updates the identification it is given and keeps the subjectType', async () => {
      const klant = await create({ subject: SUBJECT, subjectType: 'vestiging' });
      const res = await t.api().patch(klant['url'], { subjectIdentificatie: VESTIGING });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ...klant, subjectIdentificatie: VESTIGING });
      expectKlantMatchesSpec(res.body);
    });

    it('updates a klant without subjectType (the reference answers 500)', async () => {
      const klant = await create({ subject: SUBJECT, subjectType: null });
      const res = await t.api().patch(klant['url'], { achternaam: 'Jansen' });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ...klant, achternaam: 'Jansen' });
    });

    it('refuses to change the subjectType, accepts the same value', async () => {
      const klant = await create({ subject: SUBJECT, subjectType: 'niet_natuurlijk_persoon' });
      const res = await t.api().patch(klant['url'], { subjectType: 'natuurlijk_persoon' });
      expect(res.status).to.equal(400);
      expect(codes(res.body)).to.deep.equal([{ name: 'subjectType', code: 'wijzigen-niet-toegelaten' }]);
      const same = await t.api().patch(klant['url'], { subjectType: 'niet_natuurlijk_persoon', functie: 'x' });
      expect(same.status).to.equal(200);
      expect(same.body).to.deep.equal({ ...klant, functie: 'x' });
    });

    it('refuses to remove the last subject with invalid-subject, and validates the fields it is given', async () => {
      const klant = await create({ subject: SUBJECT, subjectType: null });
      const res = await t.api().patch(klant['url'], { subject: '' });
      expect(codes(res.body)).to.deep.equal([{ name: 'nonFieldErrors', code: 'invalid-subject' }]);
      const bad = await t.api().patch(klant['url'], { emailadres: 'nope', functie: 'f'.repeat(201) });
      expect(codes(bad.body)).to.have.deep.members([
        { name: 'emailadres', code: 'invalid' },
        { name: 'functie', code: 'max_length' },
      ]);
      expect((await t.api().get(klant['url'])).body).to.deep.equal(klant);
    });

    it('answers 404 for an unknown klant', async () => {
      expect((await t.api().patch(MISSING, { voornaam: 'x' })).status).to.equal(404);
    });
  });

  describe('klant_delete', () => {
    it('deletes the klant with its contactmomenten and verzoeken and everything under them', async () => {
      const klant = await create({ subject: SUBJECT, subjectType: null });
      const other = await create({ subject: SUBJECT, subjectType: null });
      const cm = await t.api().post('/api/v1/contactmomenten', { ...CM, klant: klant['url'] });
      const keptCm = await t.api().post('/api/v1/contactmomenten', { ...CM, klant: other['url'] });
      const anonymousCm = await t.api().post('/api/v1/contactmomenten', CM);
      const verzoek = await t
        .api()
        .post('/api/v1/verzoeken', { bronorganisatie: '123456782', status: 'ontvangen', klant: klant['url'] });
      const keptVerzoek = await t
        .api()
        .post('/api/v1/verzoeken', { bronorganisatie: '123456782', status: 'ontvangen', klant: other['url'] });
      expect([cm.status, keptCm.status, anonymousCm.status, verzoek.status, keptVerzoek.status]).to.deep.equal([
        201, 201, 201, 201, 201,
      ]);
      const vcm = await t
        .api()
        .post('/api/v1/verzoekcontactmomenten', { verzoek: keptVerzoek.body.url, contactmoment: cm.body.url });
      expect(vcm.status).to.equal(201);

      const res = await t.api().delete(klant['url']);
      expect(res.status).to.equal(204);
      expect(res.text).to.equal('');
      expect((await t.api().get(klant['url'])).status).to.equal(404);
      expect((await t.db()('klanten')).map((r) => r.uuid)).to.deep.equal([other['url'].split('/').pop()]);
      expect((await t.db()('contactmomenten').orderBy('id')).map((r) => r.uuid)).to.deep.equal(
        [keptCm.body.url, anonymousCm.body.url].map((u: string) => u.split('/').pop()),
      );
      expect((await t.db()('verzoeken')).map((r) => r.uuid)).to.deep.equal([keptVerzoek.body.url.split('/').pop()]);
      expect(await count('verzoekcontactmomenten')).to.equal(0);
      expect((await t.api().get(cm.body.url)).status).to.equal(404);
      expect((await t.api().get(verzoek.body.url)).status).to.equal(404);
    });

    it('answers 404 for an unknown klant and for a second delete', async () => {
      expect((await t.api().delete(MISSING)).status).to.equal(404);
      const klant = await create({ subject: SUBJECT, subjectType: null });
      expect((await t.api().delete(klant['url'])).status).to.equal(204);
      expect((await t.api().delete(klant['url'])).status).to.equal(404);
    });
  });

  describe('scopes', () => {
    it('lets klanten.lezen list, read and HEAD, but not create, update or delete', async () => {
      const klant = await create({ subject: SUBJECT, subjectType: null });
      const reader = { client: CLIENTS.reader };
      expect((await t.api().get(KLANTEN, reader)).body).to.deep.equal([klant]);
      expect((await t.api().get(klant['url'], reader)).status).to.equal(200);
      expect((await t.api().head(klant['url'], reader)).status).to.equal(200);
      const refused = [
        await t.api().post(KLANTEN, { subject: SUBJECT, subjectType: null }, reader),
        await t.api().put(klant['url'], { subject: SUBJECT, subjectType: null, voornaam: 'x' }, reader),
        await t.api().patch(klant['url'], { voornaam: 'x' }, reader),
        await t.api().delete(klant['url'], reader),
      ];
      for (const res of refused) expect(res.body).to.include({ status: 403, code: 'permission_denied' });
      expect((await t.api().get(KLANTEN)).body).to.deep.equal([klant]);
    });

    it('lets a client with the four scopes do every operation', async () => {
      const writer = { client: CLIENTS.writer };
      const created = await t.api().post(KLANTEN, { subject: SUBJECT, subjectType: null }, writer);
      expect(created.status).to.equal(201);
      expect((await t.api().get(KLANTEN, writer)).status).to.equal(200);
      expect((await t.api().get(created.body.url, writer)).status).to.equal(200);
      expect(
        (await t.api().put(created.body.url, { subject: SUBJECT, subjectType: null, voornaam: 'a' }, writer)).status,
      ).to.equal(200);
      expect((await t.api().patch(created.body.url, { voornaam: 'b' }, writer)).body.voornaam).to.equal('b');
      expect((await t.api().delete(created.body.url, writer)).status).to.equal(204);
      expect(await count('klanten')).to.equal(0);
    });

    it('refuses every operation to a client without scopes and to a request without token', async () => {
      const klant = await create({ subject: SUBJECT, subjectType: null });
      for (const o of [{ client: CLIENTS.none }, { client: null }]) {
        const answers = [
          await t.api().get(KLANTEN, o),
          await t.api().get(klant['url'], o),
          await t.api().head(klant['url'], o),
          await t.api().post(KLANTEN, { subject: SUBJECT, subjectType: null }, o),
          await t.api().put(klant['url'], { subject: SUBJECT, subjectType: null }, o),
          await t.api().patch(klant['url'], { voornaam: 'x' }, o),
          await t.api().delete(klant['url'], o),
        ];
        expect(answers.map((r) => r.status)).to.deep.equal([403, 403, 403, 403, 403, 403, 403]);
      }
      expect((await t.api().get(klant['url'])).body).to.deep.equal(klant);
    });
  });
});
