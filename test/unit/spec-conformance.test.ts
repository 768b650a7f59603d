import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const shared = fileURLToPath(new URL('../../../shared', import.meta.url));

const CHECKS = [
  {
    reference: 'kic-openapi-1.0.0-rc1.yaml',
    ours: 'spec/klantinteracties.yaml',
    expected: '38/38 operations present, 0 differences',
  },
  {
    reference: 'klanten-openapi-1.0.0.yaml',
    ours: 'spec/klanten.yaml',
    expected: '8/8 operations present, 0 differences',
  },
];

describe('spec conformance with the standard', () => {
  for (const c of CHECKS) {
    it(`${c.ours} has the contract of ${c.reference}`, async function () {
      const tool = `${shared}/tools/oas-conformance.py`;
      if (!existsSync(tool)) {
        // Outside the development workplace the reference documents are not around.
        console.log(`      (notice: ${tool} is absent; conformance not checked)`);
        this.skip();
      }
      const { stdout } = await run('python3', [tool, `${shared}/reference/${c.reference}`, `${root}/${c.ours}`]).catch(
        (err: { stdout: string }) => ({ stdout: err.stdout }),
      );
      expect(stdout.trim().split('\n').at(-1)).to.equal(c.expected, stdout);
    });
  }
});
