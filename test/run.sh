#!/usr/bin/env bash
# `npm test`: make sure what the suite talks to is there (PostgreSQL, the sqlite3 shell, Chromium),
# installing it with apt-get on a fresh machine, then build and run mocha.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_install() {
  echo "test: installing $*"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

pg_answers() {
  command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p "$1" -t 3
}

# PostgreSQL: KIC_TEST_PG_URL when given; else the server on 127.0.0.1:5432 when it answers; else a
# private server on port 55432 (installed and started here).
if [ -z "${KIC_TEST_PG_URL:-}" ]; then
  PGPORT=5432
  if ! pg_answers "$PGPORT"; then
    PGPORT=${KIC_TEST_PRIVATE_PGPORT:-55432}
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    PGDATA=${KIC_TEST_PGDATA:-/tmp/kic-test-pgdata}
    run_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else bash -c "$1"; fi; }
    mkdir -p "$PGDATA"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    [ -s "$PGDATA/PG_VERSION" ] ||
      run_pg "$PGBIN/initdb -D '$PGDATA' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
    if ! pg_answers "$PGPORT"; then
      echo "test: starting a private PostgreSQL on 127.0.0.1:$PGPORT"
      run_pg "$PGBIN/pg_ctl -D '$PGDATA' -l '$PGDATA/server.log' -w -t 60 start -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off'" >/dev/null
    fi
  fi
  echo "test: using the PostgreSQL server on 127.0.0.1:$PGPORT"
  export KIC_TEST_PG_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
fi

# The sqlite3 shell: a test proves that rows inserted with it are mirrored too.
command -v sqlite3 >/dev/null 2>&1 || apt_install sqlite3
# Headless Chromium for the admin's browser tests (playwright-core drives it and downloads nothing).
[ -n "${KIC_CHROMIUM:-}" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
  apt_install chromium

npm run build
TZ=UTC exec npx mocha "$@"
