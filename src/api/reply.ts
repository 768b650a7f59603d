import { hash } from 'node:crypto';

/** What a handler answers; one place (the backend's postResponseHandler) writes it. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A list answered as a JSON array streamed item by item (flat memory for any length). */
  items?: AsyncIterable<unknown>;
  contentType?: string;
}

export const reply = (status: number, body?: unknown, headers?: Record<string, string>): Reply => ({
  status,
  body,
  headers,
});

/** The serialised JSON and its ETag: a quoted md5 over exactly the bytes we send. */
export function withEtag(body: unknown): { json: string; etag: string } {
  const json = JSON.stringify(body);
  return { json, etag: `"${hash('md5', json)}"` };
}

/**
 * Weak comparison as Django's If-None-Match handling: `*` matches anything, otherwise any listed
 * entity tag (with or without W/) equal to ours; malformed entries are ignored.
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const ours = etag.replace(/^W\//, '');
  return header
    .split(',')
    .map((t) => t.trim())
    .filter((t) => /^(W\/)?"[^"]*"$/.test(t))
    .some((t) => t.replace(/^W\//, '') === ours);
}
