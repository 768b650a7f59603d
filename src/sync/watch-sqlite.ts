import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../logger.js';

export interface SqliteWriteWatcher {
  stop(): void;
}

/**
 * SQLite's answer to PostgreSQL's NOTIFY: every commit to a WAL-mode database appends to its
 * `-wal` file, whoever writes (kic serve beside a separate kic worker, the sqlite3 shell, an
 * import), so a watch on that file wakes the worker at once instead of at its next poll. The
 * directory is watched, not the file, so the watch outlives the file being removed and made
 * again. Without inotify (or past its limits) the worker just polls.
 */
export function watchSqliteWrites(o: { filename: string; wake: () => void; log: Logger }): SqliteWriteWatcher {
  if (o.filename === ':memory:' || o.filename === '') return { stop: () => undefined };
  const path = resolve(o.filename);
  const wal = `${basename(path)}-wal`;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
      if (name === wal) o.wake();
    });
    watcher.on('error', (err) => {
      o.log.warn({ err }, 'cannot watch the SQLite file for writes any more; polling only');
      watcher?.close();
    });
  } catch (err) {
    o.log.warn({ err }, 'cannot watch the SQLite file for writes; polling only');
  }
  return { stop: () => watcher?.close() };
}
