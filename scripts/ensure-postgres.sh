#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and that the test database exists,
# then prints the URL to use. Installs the server from Debian's packages on a machine that has
# none and starts it when it is stopped. Idempotent.
#
# This machine's image trusts local TCP connections; a fresh Debian install asks for a
# password instead, so when a password-less connection is refused the postgres role is given
# one (through the local socket, as the postgres system user) and the URL carries it.
set -euo pipefail

host=127.0.0.1
port=5432
db=${ATTEST_TEST_DB_NAME:-attest_test}
password=${ATTEST_TEST_DB_PASSWORD:-attest-test}

ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1 || ! ls -d /etc/postgresql/*/main >/dev/null 2>&1; then
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

url="postgres://postgres@$host:$port"
if ! psql "$url/postgres" -tAc 'select 1' >/dev/null 2>&1; then
    su postgres -c "psql -qtAc \"alter role postgres password '$password'\"" >&2
    url="postgres://postgres:$password@$host:$port"
    psql "$url/postgres" -tAc 'select 1' >/dev/null \
        || { echo "ensure-postgres: cannot connect to $host:$port as postgres" >&2; exit 1; }
fi

if [ "$(psql "$url/postgres" -tAc "select 1 from pg_database where datname = '$db'")" != "1" ]; then
    psql "$url/postgres" -qc "create database $db" >&2
fi
echo "$url/$db"
