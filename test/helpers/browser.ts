import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (npm test installs it when missing); KIC_CHROMIUM points elsewhere. */
export const CHROMIUM =
  process.env['KIC_CHROMIUM'] ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Where tests leave files for people to look at (screenshots); not in git. */
export const OUTPUT_DIR = process.env['KIC_TEST_OUTPUT'] ?? join(process.cwd(), 'test-output');

let browser: Promise<Browser> | undefined;

/** One headless browser for the whole run (each test opens its own context); closed by the root hook. */
export function sharedBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('no chromium: install it (apt-get install chromium) or set KIC_CHROMIUM');
  browser ??= chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root (CI) Chromium's sandbox cannot start; the pages are our own.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  return browser;
}

export async function closeBrowser(): Promise<void> {
  const b = browser;
  browser = undefined;
  if (b) await (await b).close();
}

/** Saves a full-page screenshot as <OUTPUT_DIR>/<folder>/<name>.png. */
export async function screenshot(page: Page, folder: string, name: string): Promise<string> {
  const dir = join(OUTPUT_DIR, folder);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
