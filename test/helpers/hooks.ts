import { closeBrowser } from './browser.js';
import { buildTemplates, dropTemplates } from './databases.js';

// Mocha root hooks: the migrated SQLite and PostgreSQL templates are built once per run.
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60_000);
    await buildTemplates();
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await closeBrowser();
    await dropTemplates();
  },
};
