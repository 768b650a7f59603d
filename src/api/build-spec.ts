// Run by `npm run build` after tsc: writes the JSON form of every spec/*.yaml next to the build
// (dist/spec/<name>.json and its source hash), so that the server need not parse YAML at start.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtHashUrl, builtJsonUrl, sha256, yamlToJson } from './spec.js';

const specDir = new URL('../../../spec/', import.meta.url);
mkdirSync(fileURLToPath(new URL('.', builtJsonUrl('x'))), { recursive: true });
for (const name of readdirSync(specDir).filter((f) => f.endsWith('.yaml'))) {
  const text = readFileSync(new URL(name, specDir), 'utf8');
  writeFileSync(builtJsonUrl(name), yamlToJson(text));
  writeFileSync(builtHashUrl(name), `${sha256(text)}\n`);
}
