import { LRUCache } from 'lru-cache';
import type { Service } from '../db/services.js';

export type { Service };

/**
 * The registered services, looked up by URL: the longest API root that prefixes the URL wins,
 * as zds-client picks credentials. Rows are re-read after a few seconds, so `kic service add`
 * from another process takes effect without a restart.
 */
export class ServiceRegistry {
  private readonly cache: LRUCache<'all', Service[]>;

  constructor(
    private readonly load: () => Promise<Service[]>,
    ttlMs = 5_000,
  ) {
    this.cache = new LRUCache({ max: 1, ttl: ttlMs });
  }

  async match(url: string): Promise<Service | undefined> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (parsed.username || parsed.password) return undefined; // never send our credentials along with someone else's
    const href = parsed.href;
    let best: Service | undefined;
    for (const s of await this.all()) {
      const root = normalRoot(s.apiRoot);
      if (root && href.startsWith(root) && (!best || root.length > normalRoot(best.apiRoot)!.length)) best = s;
    }
    return best;
  }

  private async all(): Promise<Service[]> {
    const hit = this.cache.get('all');
    if (hit) return hit;
    const rows = await this.load();
    this.cache.set('all', rows);
    return rows;
  }

  /** Forgets the cached rows (after a change made in this process). */
  invalidate(): void {
    this.cache.clear();
  }
}

/**
 * A stored API root in the form `new URL().href` gives a URL (lower-case host, no default port),
 * always ending in a slash, so that `https://ZRC.example:443/api/v1` matches
 * `https://zrc.example/api/v1/zaken/…` and never `…/api/v10/…`. Undefined for a root that is no URL.
 */
function normalRoot(apiRoot: string): string | undefined {
  try {
    const href = new URL(apiRoot).href;
    return href.endsWith('/') ? href : `${href}/`;
  } catch {
    return undefined;
  }
}
