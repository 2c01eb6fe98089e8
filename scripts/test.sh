#!/usr/bin/env bash
# Quick start 2: install what the tests need (Python packages, Chromium, PostgreSQL), start the
# services they use, then run linters, the type checker and the whole test suite.
source "$(dirname "$0")/_venv.sh" "dev,postgres,azure"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_updated=""
apt_install() {
    [ -n "$apt_updated" ] || { as_root apt-get update -qq && apt_updated=1; }
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x /usr/bin/chromium ]; then
    echo "==> installing Debian's chromium for the browser tests"
    apt_install chromium || echo "!! could not install chromium: browser tests will be skipped"
fi

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pgbin" ]; then
    echo "==> installing PostgreSQL for the catalog contract tests"
    apt_install postgresql || echo "!! could not install PostgreSQL: its tests will be skipped"
    pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
fi

workdir=$(mktemp -d /tmp/photogate-test.XXXXXX)
chmod 755 "$workdir"  # the postgres user must reach its data dir inside
cleanup() {
    if [ -n "${pgdata:-}" ] && [ -f "$pgdata/postmaster.pid" ]; then
        as_root runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

if [ -n "$pgbin" ] && [ "$(id -u)" = 0 ]; then
    echo "==> starting a throwaway PostgreSQL on 127.0.0.1:54329"
    pgdata="$workdir/pg"
    install -d -o postgres -g postgres "$pgdata"
    runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p 54329 -k $pgdata -c fsync=off" start >/dev/null
    export PHOTOGATE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:54329/postgres"
fi

echo "==> ruff"
.venv/bin/ruff check src tests benchmarks 2>/dev/null || .venv/bin/ruff check src tests
.venv/bin/ruff format --check src tests
echo "==> mypy (strict)"
.venv/bin/mypy
echo "==> pytest"
.venv/bin/pytest "$@"
