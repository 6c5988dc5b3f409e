# Shared by the bench scripts (sourced after `cd` to the repository root): the
# server under test and wrk. Callers set THREADS, CONNS and DURATION, and may
# set WRK_TIMEOUT (a request slower than this counts as an error; default 10s).

server_pid=""

# Stops the server started as `... serve & server_pid=$!` (if any) and waits for it.
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

# Waits until the server on port $1 is ready, at most $2 tenths of a second
# (default 6000: a first start may rebuild a search index).
wait_ready() { # port [tenths]
  local _
  for _ in $(seq 1 "${2:-6000}"); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    sleep 0.1
  done
}

# One second of warm-up (caches, connections), not recorded, then DURATION.
run_wrk() { # url [header...] -> "rps p50 p99"
  local url=$1 h
  shift
  local hdrs=()
  for h in "$@"; do [ -n "$h" ] && hdrs+=(-H "$h"); done
  wrk -t"$THREADS" -c"$CONNS" -d1s "${hdrs[@]}" "$url" >/dev/null
  local out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency --timeout "${WRK_TIMEOUT:-10s}" "${hdrs[@]}" "$url")
  grep -q "Non-2xx or 3xx" <<<"$out" && echo "warning: $url answered errors" >&2
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out")"
}

# $1 / $2 with four decimals (a rate over the baseline's).
ratio() { # a b
  awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f", a / b}'
}

# The 1-minute load average: other work on the machine shows in p99 first.
load_avg() { awk '{print $1}' /proc/loadavg; }

# Needs wrk; sets BIN to the release build (built now) unless BIN is given.
release_bin() {
  command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
  if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN="${CARGO_TARGET_DIR:-target}/release/belportal"
  fi
}

# A new empty database for the backend, named $2 (SQLite: a file in
# bench/results; PostgreSQL: a database beside PG_ADMIN's); prints its URL.
new_database() { # backend name -> DATABASE_URL
  case $1 in
    sqlite)
      rm -f "bench/results/$2.db" "bench/results/$2.db-wal" "bench/results/$2.db-shm"
      echo "sqlite://bench/results/$2.db" ;;
    postgres)
      psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $2 WITH (FORCE)" -c "CREATE DATABASE $2" >/dev/null
      echo "${PG_ADMIN%/*}/$2" ;;
  esac
}

drop_database() { # backend name
  case $1 in
    sqlite) rm -f "bench/results/$2.db" "bench/results/$2.db-wal" "bench/results/$2.db-shm" ;;
    postgres) psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $2 WITH (FORCE)" >/dev/null ;;
  esac
}
