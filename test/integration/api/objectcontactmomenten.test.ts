import { describeObjectRelation } from './object-relations.suite.js';

// objectcontactmomenten: a contactmoment linked to a zaak whose ZRC lists the same zaakcontactmoment.
describeObjectRelation({
  path: 'objectcontactmomenten',
  field: 'contactmoment',
  zrcCollection: 'zaakcontactmomenten',
  localBody: {
    bronorganisatie: '123456782',
    kanaal: 'telefoon',
    medewerker: 'https://medewerkers.example/api/v1/medewerkers/1',
  },
  operationId: 'objectcontactmoment',
});
