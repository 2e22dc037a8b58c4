#!/usr/bin/env bash
# Start a local PostgreSQL server for the tests and print the URL to use as FONET_TEST_PG_URL.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi
su postgres -c "psql -q -v ON_ERROR_STOP=1" >&2 <<'SQL'
DO $$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fonet') THEN
    CREATE ROLE fonet LOGIN PASSWORD 'fonet-test';
  END IF;
END$$;
SQL
if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='fonet_test'\"" | grep -q 1; then
  su postgres -c "createdb -O fonet fonet_test" >&2
fi
port=$(pg_lsclusters -h | awk '$4=="online"{print $3; exit}')
echo "postgresql+psycopg://fonet:fonet-test@127.0.0.1:${port}/fonet_test"
