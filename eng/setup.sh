#!/usr/bin/env bash
# Installs and starts what Switchboard needs on a Debian/Ubuntu machine without Docker:
# redis-server, the PostgreSQL cluster (role + databases), Chromium for the browser tests.
# Idempotent: run it as often as you like. Root, or a user with sudo.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

REDIS_PORT="${SWITCHBOARD_REDIS_PORT:-6379}"
PG_USER="${SWITCHBOARD_PG_USER:-switchboard}"
PG_PASSWORD="${SWITCHBOARD_PG_PASSWORD:-switchboard}"
need=()

command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is required (https://dot.net): install it, then run this again" >&2
  exit 1
fi

# Redis: a local server on 127.0.0.1 (no persistence: it holds streams that consumers drain, snapshots
# the router rewrites, and counters that expire).
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "setup: starting redis-server on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --logfile /tmp/switchboard-redis-$REDIS_PORT.log >/dev/null
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# PostgreSQL: the distribution's first cluster, started, with a password role for TCP logins.
PG_VERSION=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
if [ -z "$PG_VERSION" ]; then echo "setup: PostgreSQL is not installed" >&2; exit 1; fi
if ! pg_lsclusters -h | awk '{print $2}' | grep -qx main; then
  $SUDO pg_createcluster "$PG_VERSION" main >/dev/null
fi
if ! pg_lsclusters -h | awk '$2=="main"{print $4}' | grep -qx online; then
  echo "setup: starting PostgreSQL $PG_VERSION/main"
  $SUDO pg_ctlcluster "$PG_VERSION" main start
fi
psql_admin() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "psql -v ON_ERROR_STOP=1 -qtAX $*"; else sudo -u postgres psql -v ON_ERROR_STOP=1 -qtAX "$@"; fi; }
# Tests create and drop throwaway databases, so the role may create databases.
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'\"")" != "1" ]; then
  psql_admin "-c \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\"" >/dev/null
fi
for db in metricsdb controldb; do
  if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname='$db'\"")" != "1" ]; then
    psql_admin "-c \"CREATE DATABASE $db OWNER $PG_USER\"" >/dev/null
  fi
done

echo "setup: redis 127.0.0.1:$REDIS_PORT, postgresql $PG_VERSION/main (role $PG_USER), chromium $(chromium --version 2>/dev/null | awk '{print $2}')"
