import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { FakeRemote, zaak } from '../../helpers/fake-remote.js';
import * as services from '../../../src/db/services.js';
import { describeObjectRelation } from './object-relations.suite.js';

// objectverzoeken: a verzoek linked to a zaak whose ZRC lists the same zaakverzoek.
describeObjectRelation({
  path: 'objectverzoeken',
  field: 'verzoek',
  zrcCollection: 'zaakverzoeken',
  localBody: { bronorganisatie: '123456782', status: 'ontvangen' },
  operationId: 'objectverzoek',
  createTests: ({ t, newLocal }) => {
    // A ZRC behind a gateway, registered once for the whole host (its API root is deeper).
    const gateway = new FakeRemote();

    before(async () => {
      await gateway.start();
      await services.upsert(t.db(), {
        apiRoot: `${gateway.baseUrl}/`,
        label: 'gateway',
        clientId: 'kic-gateway',
        secret: 'gw',
        userId: '',
        userRepresentation: '',
      });
    });
    after(async () => {
      await gateway.stop();
    });
    beforeEach(() => {
      gateway.reset();
    });

    it('looks up zaakverzoeken next to the zaak when its service is registered for the whole host', async () => {
      const verzoek = await newLocal();
      const path = `/zaken/api/v1/zaken/${randomUUID()}`;
      const object = `${gateway.baseUrl}${path}`;
      gateway.on(`GET ${path}`, () => ({ status: 200, body: zaak(object) }));
      gateway.on('GET /zaken/api/v1/zaakverzoeken', () => ({
        status: 200,
        body: [{ url: `${gateway.baseUrl}/zaken/api/v1/zaakverzoeken/1`, zaak: object, verzoek }],
      }));

      const res = await t.api().post('/api/v1/objectverzoeken', { verzoek, object, objectType: 'zaak' });

      expect(res.status).to.equal(201);
      expect(gateway.requests.map((r) => [r.path, r.clientId])).to.deep.equal([
        [path, 'kic-gateway'],
        ['/zaken/api/v1/zaakverzoeken', 'kic-gateway'],
      ]);
    });
  },
});
