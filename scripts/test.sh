#!/usr/bin/env bash
# Quick start 2: install what the tests need (Python packages, Chromium, PostgreSQL, Azurite),
# start the services they use, then run linters, the type checker and the whole test suite.
source "$(dirname "$0")/_venv.sh" "dev,postgres,azure,bench"

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

# Azurite 3.35 is the last release that runs on Node 20; 3.36+ needs Node 21.
if [ ! -x node_modules/.bin/azurite ]; then
    if command -v node >/dev/null && command -v npm >/dev/null; then
        echo "==> installing Azurite (the Azure Storage emulator) into node_modules"
        npm install --no-save --no-audit --no-fund --silent azurite@3.35.0 >/dev/null \
            || echo "!! could not install Azurite: the Azure adapter tests will be skipped"
    else
        echo "!! node/npm not found: the Azure adapter tests will be skipped (and fail with CI=true)"
    fi
fi

wait_for_port() {  # $1: a port on 127.0.0.1; gives up after 30 s
    local deadline=$((SECONDS + 30))
    until (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

workdir=$(mktemp -d /tmp/photogate-test.XXXXXX)
chmod 755 "$workdir"  # the postgres user must reach its data dir inside
cleanup() {
    if [ -n "${pgdata:-}" ] && [ -f "$pgdata/postmaster.pid" ]; then
        as_root runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true
    fi
    if [ -f "$workdir/azurite.pid" ]; then
        azurite_pid=$(cat "$workdir/azurite.pid")
        kill "$azurite_pid" 2>/dev/null || true
        wait "$azurite_pid" 2>/dev/null || true
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

if [ -x node_modules/.bin/azurite ] && (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; then
    echo "!! 127.0.0.1:10000 is taken: not starting Azurite (to test against the emulator already"
    echo "   running there, export PHOTOGATE_TEST_AZURITE=UseDevelopmentStorage=true yourself)"
elif [ -x node_modules/.bin/azurite ]; then
    echo "==> starting Azurite on 127.0.0.1:10000 (blobs) and 127.0.0.1:10001 (queues)"
    # --skipApiVersionCheck: the current SDK speaks a newer API version than 3.35 knows;
    # --disableTelemetry: it would otherwise try to reach the internet.
    node_modules/.bin/azurite --silent --disableTelemetry --skipApiVersionCheck --loose \
        --location "$workdir/azurite" --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
        >"$workdir/azurite.log" 2>&1 &
    echo $! >"$workdir/azurite.pid"
    if wait_for_port 10000 && wait_for_port 10001; then
        export PHOTOGATE_TEST_AZURITE="UseDevelopmentStorage=true"
    else
        echo "!! Azurite did not start in 30 s: the Azure adapter tests will be skipped"
        cat "$workdir/azurite.log" >&2 || true
    fi
fi

echo "==> ruff"
.venv/bin/ruff check src tests benchmarks
.venv/bin/ruff format --check src tests benchmarks
echo "==> mypy (strict)"
.venv/bin/mypy
echo "==> pytest"
.venv/bin/pytest "$@"
