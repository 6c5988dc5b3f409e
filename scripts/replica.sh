#!/usr/bin/env bash
# A throwaway PostgreSQL primary with one streaming replica on loopback, for
# the read-replica tests (tests/replica.rs) and bench/cluster.sh. Uses the
# machine's PostgreSQL binaries (initdb, pg_ctl, pg_basebackup -R); never
# touches the server on 5432.
#   scripts/replica.sh start          new primary (initdb) + standby (pg_basebackup -R), waits until it streams
#   scripts/replica.sh stop           stops both and removes the directory
#   scripts/replica.sh urls           prints TEST_REPLICA_PRIMARY_URL=... and TEST_REPLICA_URL=...
#   scripts/replica.sh stop-primary   stops the primary at once (failover drills)
#   scripts/replica.sh promote        promotes the standby to a primary
#   scripts/replica.sh stop-replica | start-replica
# Settings: REPLICA_PG_BIN (/usr/lib/postgresql/15/bin), REPLICA_PRIMARY_PORT
# (5433), REPLICA_PORT (5434), REPLICA_DIR (${TMPDIR:-/tmp}/belportal-replica-$UID).
# PostgreSQL refuses to run as root: then the servers run as user `postgres`.
set -euo pipefail

bin="${REPLICA_PG_BIN:-/usr/lib/postgresql/15/bin}"
primary_port="${REPLICA_PRIMARY_PORT:-5433}"
replica_port="${REPLICA_PORT:-5434}"
dir="${REPLICA_DIR:-${TMPDIR:-/tmp}/belportal-replica-$(id -u)}"

as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "running as root needs a 'postgres' user" >&2; exit 1; }
  as_pg=(runuser -u postgres --)
fi
pg() { "${as_pg[@]}" "$@"; }

psql_at() { # port sql
  pg "$bin/psql" -X -q -t -A -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2"
}

urls() {
  echo "TEST_REPLICA_PRIMARY_URL=postgres://postgres@127.0.0.1:${primary_port}/postgres"
  echo "TEST_REPLICA_URL=postgres://postgres@127.0.0.1:${replica_port}/postgres"
}

ctl() { # primary|replica start|stop [mode]
  local d="$dir/$1"
  case "$2" in
    start) pg "$bin/pg_ctl" -D "$d" -l "$dir/$1.log" -w -t 60 start >/dev/null ;;
    stop)
      if [ -f "$d/postmaster.pid" ]; then
        pg "$bin/pg_ctl" -D "$d" -m "${3:-fast}" -w -t 60 stop >/dev/null || true
      fi
      ;;
  esac
}

start() {
  [ -x "$bin/initdb" ] || { echo "no PostgreSQL binaries in $bin (set REPLICA_PG_BIN)" >&2; exit 1; }
  if [ -f "$dir/primary/postmaster.pid" ]; then
    echo "already running in $dir" >&2
    urls
    return 0
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  [ ${#as_pg[@]} = 0 ] || chown postgres "$dir"
  pg "$bin/initdb" -D "$dir/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  # Loopback only, sockets in our directory, WAL for one standby; fsync off:
  # a throwaway cluster, never real data.
  pg tee -a "$dir/primary/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = ${primary_port}
unix_socket_directories = '${dir}'
max_connections = 300
shared_buffers = 64MB
wal_level = replica
max_wal_senders = 5
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
fsync = off
log_min_messages = warning
CONF
  pg tee -a "$dir/primary/pg_hba.conf" >/dev/null <<HBA
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
HBA
  ctl primary start
  pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/replica" -R -X stream -c fast
  pg tee -a "$dir/replica/postgresql.conf" >/dev/null <<CONF
port = ${replica_port}
CONF
  ctl replica start
  for _ in $(seq 1 100); do
    if [ "$(psql_at "$primary_port" "select count(*) from pg_stat_replication where state = 'streaming'" 2>/dev/null)" = 1 ]; then
      echo "primary 127.0.0.1:${primary_port}, streaming replica 127.0.0.1:${replica_port} (in $dir)"
      urls
      return 0
    fi
    sleep 0.1
  done
  echo "the replica does not stream; logs:" >&2
  tail -n 20 "$dir/primary.log" "$dir/replica.log" >&2 || true
  exit 1
}

stop() {
  [ -d "$dir" ] || return 0
  ctl replica stop immediate
  ctl primary stop immediate
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  urls) urls ;;
  stop-primary) ctl primary stop immediate ;;
  start-primary) ctl primary start ;;
  stop-replica) ctl replica stop immediate ;;
  start-replica) ctl replica start ;;
  promote) pg "$bin/pg_ctl" -D "$dir/replica" -w promote >/dev/null ;;
  *) echo "usage: $0 start|stop|urls|stop-primary|start-primary|stop-replica|start-replica|promote" >&2; exit 2 ;;
esac
