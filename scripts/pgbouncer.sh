#!/usr/bin/env bash
# PgBouncer in transaction mode on 127.0.0.1:6432 in front of PostgreSQL on
# 127.0.0.1:5432, as the current user, with its config in a temporary directory.
#   scripts/pgbouncer.sh start   installs PgBouncer if missing, starts it, waits for it
#   scripts/pgbouncer.sh stop    stops it and removes the directory
# Settings: PGBOUNCER_PORT (6432), PGBOUNCER_UPSTREAM_HOST/PORT (127.0.0.1/5432),
# PGBOUNCER_USERS ("postgres $USER"), PGBOUNCER_DIR (state directory, default ${TMPDIR:-/tmp}/belportal-pgbouncer-$UID).
set -euo pipefail

# Debian bookworm's package (what docs/OPERATIONS.md recommends); pinned so
# CI runs the version the README describes.
PGBOUNCER_VERSION="${PGBOUNCER_VERSION:-1.18.0-1+deb12u1}"
port="${PGBOUNCER_PORT:-6432}"
up_host="${PGBOUNCER_UPSTREAM_HOST:-127.0.0.1}"
up_port="${PGBOUNCER_UPSTREAM_PORT:-5432}"
dir="${PGBOUNCER_DIR:-${TMPDIR:-/tmp}/belportal-pgbouncer-$(id -u)}"

find_bin() {
  command -v pgbouncer || { [ -x /usr/sbin/pgbouncer ] && echo /usr/sbin/pgbouncer; } || true
}

install() {
  [ -n "$(find_bin)" ] && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing pgbouncer=${PGBOUNCER_VERSION}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "pgbouncer=${PGBOUNCER_VERSION}" >/dev/null
  # The package starts a system instance on 6432; this script runs its own.
  if command -v systemctl >/dev/null 2>&1; then $sudo systemctl stop pgbouncer 2>/dev/null || true; fi
  if [ -x /etc/init.d/pgbouncer ]; then $sudo /etc/init.d/pgbouncer stop >/dev/null 2>&1 || true; fi
}

start() {
  install
  local bin
  bin="$(find_bin)"
  [ -n "$bin" ] || { echo "pgbouncer not found after install" >&2; exit 1; }
  if [ -f "$dir/pgbouncer.pid" ] && kill -0 "$(cat "$dir/pgbouncer.pid")" 2>/dev/null; then
    echo "pgbouncer already running (pid $(cat "$dir/pgbouncer.pid"))" >&2
    return 0
  fi
  mkdir -p "$dir"
  # Trust auth (loopback, test server): the users PgBouncer lets through.
  : >"$dir/userlist.txt"
  for u in ${PGBOUNCER_USERS:-postgres $(id -un)}; do
    printf '"%s" ""\n' "$u" >>"$dir/userlist.txt"
  done
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=${up_host} port=${up_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${dir}/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
max_db_connections = 60
server_reset_query =
query_wait_timeout = 30
ignore_startup_parameters = extra_float_digits
logfile = ${dir}/pgbouncer.log
pidfile = ${dir}/pgbouncer.pid
INI
  # PgBouncer refuses to run as root: then it runs as an unprivileged user.
  local as_user=()
  if [ "$(id -u)" = 0 ]; then
    local u=postgres
    id "$u" >/dev/null 2>&1 || u=nobody
    chown -R "$u" "$dir"
    as_user=(-u "$u")
  fi
  "$bin" -d "${as_user[@]}" "$dir/pgbouncer.ini"
  for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "pgbouncer (transaction mode) on 127.0.0.1:${port} -> ${up_host}:${up_port}, pid $(cat "$dir/pgbouncer.pid")"
      return 0
    fi
    sleep 0.1
  done
  echo "pgbouncer did not start; log:" >&2
  cat "$dir/pgbouncer.log" >&2 || true
  exit 1
}

stop() {
  if [ -f "$dir/pgbouncer.pid" ]; then
    local pid
    pid="$(cat "$dir/pgbouncer.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
