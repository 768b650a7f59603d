import { expect } from 'chai';
import { loadSpec } from '../../src/api/spec.js';
import { FormBuilder, formToInput, inputToForm, problemsByField } from '../../src/admin/forms.js';

describe('admin forms from the spec', () => {
  const forms = new FormBuilder(loadSpec('klantinteracties.yaml').definition);

  it('has every writable field of a schema, nested objects flattened, with limits and choices', () => {
    const fields = forms.fields('ContactMoment');
    const names = fields.map((f) => f.name);
    expect(names).not.to.include('url'); // read-only
    expect(names).to.include.members([
      'bronorganisatie',
      'kanaal',
      'onderwerpLinks',
      'medewerkerIdentificatie.achternaam',
    ]);
    expect(fields.find((f) => f.name === 'bronorganisatie')).to.include({ required: true, maxLength: 9, kind: 'text' });
    expect(fields.find((f) => f.name === 'initiatiefnemer')!.options).to.deep.equal(['gemeente', 'klant']);
    expect(fields.find((f) => f.name === 'onderwerpLinks')!.kind).to.equal('lines');
    expect(fields.find((f) => f.name === 'interactiedatum')!.kind).to.equal('datetime');
  });

  it('turns form values into API input: "" only where the API takes it, empty nested objects left out', () => {
    const fields = [...forms.fields('Klant'), ...forms.fields('NatuurlijkPersoon', 'subjectIdentificatie')];
    const input = formToInput(fields, {
      voornaam: ' Anna ',
      emailadres: '',
      subject: '',
      subjectType: 'natuurlijk_persoon',
      'subjectIdentificatie.inpBsn': '111222333',
      'subjectIdentificatie.inpANummer': '',
      'subjectIdentificatie.verblijfsadres.aoaHuisnummer': '',
      'subjectIdentificatie.subVerblijfBuitenland.lndLandcode': '6030',
    });
    expect(input).to.include({ voornaam: 'Anna', achternaam: '', subjectType: 'natuurlijk_persoon' });
    expect(input).not.to.have.property('emailadres'); // an e-mail admits no ""
    expect(input).not.to.have.property('subject'); // nor does a URI
    const id = input['subjectIdentificatie'] as Record<string, unknown>;
    expect(id).to.include({ inpBsn: '111222333' });
    expect(id).not.to.have.property('inpANummer'); // a pattern admits no ""
    expect(id).not.to.have.property('verblijfsadres'); // all its fields empty
    // A field with a value keeps its object; its empty required field is left out for the schema check to name.
    expect(id['subVerblijfBuitenland']).to.include({ lndLandcode: '6030' });
  });

  it('keeps a non-number in a number field as text, so the schema check names it', () => {
    const fields = forms.fields('VerblijfsAdres', 'a');
    expect(
      (formToInput(fields, { 'a.aoaHuisnummer': '12' })['a'] as Record<string, unknown>)['aoaHuisnummer'],
    ).to.equal(12);
    expect(
      (formToInput(fields, { 'a.aoaHuisnummer': '12a' })['a'] as Record<string, unknown>)['aoaHuisnummer'],
    ).to.equal('12a');
  });

  it('shows an API representation in the fields and puts problems next to their field', () => {
    const fields = forms.fields('ContactMoment');
    const values = inputToForm(fields, {
      kanaal: 'telefoon',
      onderwerpLinks: ['https://a.example/1', 'https://a.example/2'],
      klant: null,
    });
    expect(values).to.include({
      kanaal: 'telefoon',
      onderwerpLinks: 'https://a.example/1\nhttps://a.example/2',
      klant: '',
    });
    const problems = problemsByField(fields, [
      { name: '.bronorganisatie', code: 'invalid', reason: 'Ongeldig RSIN.' },
      { name: 'medewerkerIdentificatie', code: 'required', reason: 'Vereist.' },
      { name: 'nonFieldErrors', code: 'invalid-medewerker', reason: 'medewerker of medewerkerIdentificatie.' },
    ]);
    expect(problems['bronorganisatie']).to.deep.equal(['Ongeldig RSIN.']);
    expect(problems['medewerkerIdentificatie.identificatie']).to.deep.equal(['Vereist.']);
    expect(problems['']).to.deep.equal(['nonFieldErrors: medewerker of medewerkerIdentificatie.']);
  });
});
