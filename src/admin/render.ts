import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';

// The templates sit next to this module in the source tree; the build runs from dist/src/admin.
const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
export const assetDir = (name: 'views' | 'static'): string =>
  [here(`./${name}/`), here(`../../../src/admin/${name}/`)].find((d) => existsSync(d))!;

/**
 * Nunjucks: template inheritance and macros for the shared layout and form fields, and every
 * value HTML-escaped unless a template says otherwise (none does).
 */
export function createViews(): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(assetDir('views'), { noCache: false }), {
    autoescape: true,
    throwOnUndefined: false,
  });
  env.addFilter('datetime', (ms: unknown) =>
    typeof ms === 'number' && Number.isFinite(ms)
      ? new Date(ms).toLocaleString('nl-NL', { timeZone: 'Europe/Amsterdam' })
      : '',
  );
  env.addFilter('json', (v: unknown) => (v === null || v === undefined ? '' : JSON.stringify(v, null, 2)));
  return env;
}
