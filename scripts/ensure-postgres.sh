#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and that the test database exists.
# Installs the server from Debian's packages on a machine that has none, starts it when it is
# stopped, and prints the URL to use. Idempotent.
set -euo pipefail

host=127.0.0.1
port=5432
db=${ATTEST_TEST_DB_NAME:-attest_test}

ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "ensure-postgres: installing PostgreSQL from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

if ! ready; then
    echo "ensure-postgres: starting PostgreSQL" >&2
    for version in $(ls /etc/postgresql); do
        pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
    done
    for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
ready || { echo "ensure-postgres: PostgreSQL does not answer on $host:$port" >&2; exit 1; }

# Trust authentication for local TCP is how this machine is set up; on a fresh install we
# connect through the socket as the postgres user to create what the tests need.
psql_admin() {
    if psql -h "$host" -p "$port" -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        psql -h "$host" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"
    else
        su postgres -c "psql -d postgres -v ON_ERROR_STOP=1 -qtAc \"$1\""
    fi
}
if [ "$(psql_admin "select 1 from pg_database where datname = '$db'")" != "1" ]; then
    psql_admin "create database $db" >&2
fi
echo "postgres://postgres@$host:$port/$db"
