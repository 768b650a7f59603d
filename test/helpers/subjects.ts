// The natuurlijk_persoon the Klanten API tests and the benchmark use as a klant's subject.

/** Its identification, as subjectIdentificatie holds it (without addresses). */
export const PERSOON = {
  inpBsn: '111222333',
  anpIdentificatie: 'ANP-42',
  inpANummer: '1234567890',
  geslachtsnaam: 'Jansen',
  voorvoegselGeslachtsnaam: 'van',
  voorletters: 'J.',
  voornamen: 'Jan',
  geslachtsaanduiding: 'm',
  geboortedatum: '1970-01-01',
};

/** Its verblijfsadres. */
export const VERBLIJFSADRES = {
  aoaIdentificatie: '0363200000123456',
  wplWoonplaatsNaam: 'Amsterdam',
  gorOpenbareRuimteNaam: 'Keizersgracht',
  aoaPostcode: '1015CJ',
  aoaHuisnummer: 117,
  aoaHuisletter: 'A',
  aoaHuisnummertoevoeging: 'bis',
  inpLocatiebeschrijving: 'Achterom',
};
