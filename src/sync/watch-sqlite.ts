import { watch, type FSWatcher } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '../logger.js';

/**
 * At most one wake-up per this many ms: every commit of the API (a contactmoment, a klant) appends
 * to the WAL too, and each wake-up costs the worker a claim, which on SQLite takes the write lock.
 */
const MIN_GAP_MS = 20;
/** When the WAL file went away (the last other connection closed it), how soon to watch it again. */
const REWATCH_MS = 200;

export interface SqliteWriteWatcher {
  stop(): void;
}

/**
 * SQLite's answer to PostgreSQL's NOTIFY: every commit to a WAL-mode database appends to its
 * `-wal` file, whoever writes (kic serve beside a separate kic worker, the sqlite3 shell, an
 * import), so a watch on that file wakes the worker at once instead of at its next poll. A burst
 * of commits wakes it at once and then once more at the end of each MIN_GAP_MS. Without inotify
 * (or past its limits) the worker just polls.
 */
export function watchSqliteWrites(o: { filename: string; wake: () => void; log: Logger }): SqliteWriteWatcher {
  if (o.filename === ':memory:' || o.filename === '') return { stop: () => undefined };
  const wal = `${resolve(o.filename)}-wal`;
  let watcher: FSWatcher | undefined;
  let stopped = false;
  let lastWake = 0;
  let pending: NodeJS.Timeout | undefined;
  let rewatch: NodeJS.Timeout | undefined;
  let warned = false;

  const wake = () => {
    pending = undefined;
    lastWake = Date.now();
    o.wake();
  };
  const onChange = () => {
    if (pending) return;
    const wait = lastWake + MIN_GAP_MS - Date.now();
    if (wait <= 0) return wake();
    pending = setTimeout(wake, wait);
    pending.unref();
  };
  const start = () => {
    rewatch = undefined;
    if (stopped) return;
    try {
      watcher = watch(wal, { persistent: false }, (event) => {
        if (event === 'change') return onChange();
        // Renamed or removed: watch the file that takes its place.
        watcher?.close();
        onChange();
        again();
      });
      watcher.on('error', () => {
        watcher?.close();
        again();
      });
      warned = false;
    } catch (err) {
      // Not there (yet): SQLite makes the WAL file at the first write after opening.
      if (!warned) o.log.debug({ err }, 'the SQLite WAL file cannot be watched yet; polling meanwhile');
      warned = true;
      again();
    }
  };
  const again = () => {
    if (stopped || rewatch) return;
    rewatch = setTimeout(start, REWATCH_MS);
    rewatch.unref();
  };

  start();
  return {
    stop: () => {
      stopped = true;
      if (pending) clearTimeout(pending);
      if (rewatch) clearTimeout(rewatch);
      watcher?.close();
    },
  };
}
