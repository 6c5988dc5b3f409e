#!/usr/bin/env bash
# Load test of the news API: article list, article item and a 304 revalidation,
# against /healthz as the baseline measured in the same run, on SQLite and
# PostgreSQL, at each article count given (default 10000 and 1000000).
#
#   bench/run.sh                 # both backends, 10k and 1M articles
#   SIZES="10000" BACKENDS=sqlite DURATION=5s bench/run.sh
#
# Needs wrk (Debian: apt-get install wrk) and, for PostgreSQL, a server at
# BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); it creates
# and drops its own database. Every run is bounded by DURATION per endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES="${SIZES:-10000 1000000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
CACHES="${CACHES:-0 1000}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-32}"
THREADS="${THREADS:-2}"
PORT="${PORT:-8181}"
PG_ADMIN="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
OUT="${OUT:-bench/results/news-$(date -u +%Y%m%d-%H%M%S).tsv}"
BIN=target/release/belportal

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
mkdir -p bench/results
printf 'backend\tarticles\tresponse_cache_ms\tendpoint\trequests_per_s\tp50\tp99\tratio_to_baseline\n' > "$OUT"

pg_url_for() { # the admin URL with another database name
  echo "${PG_ADMIN%/*}/$1"
}

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
trap stop_server EXIT

run_wrk() { # name url [header]
  local name=$1 url=$2 header=${3:-}
  local args=(-t"$THREADS" -c"$CONNS" -d"$DURATION" --latency --timeout 5s)
  [ -n "$header" ] && args+=(-H "$header")
  local out
  # One second of warm-up (caches, connections), not recorded.
  wrk -t"$THREADS" -c"$CONNS" -d1s ${header:+-H "$header"} "$url" >/dev/null
  out=$(wrk "${args[@]}" "$url")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  if grep -q "Non-2xx or 3xx" <<<"$out"; then
    echo "warning: $name answered errors" >&2
  fi
  echo "$rps $p50 $p99"
}

for backend in $BACKENDS; do
  for n in $SIZES; do
    case $backend in
      sqlite)
        db_file="bench/results/bench-$n.db"
        rm -f "$db_file" "$db_file-wal" "$db_file-shm"
        url="sqlite://$db_file" ;;
      postgres)
        name="bp_bench_$n"
        psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null
        url=$(pg_url_for "$name") ;;
    esac
    start=$(date +%s)
    DATABASE_URL=$url BELPORTAL_DEMO=false RUST_LOG=warn "$BIN" generate --articles "$n" --seed 42 >/dev/null
    echo "# $backend: generated $n articles in $(( $(date +%s) - start )) s" | tee -a "$OUT.log"
    for cache in $CACHES; do
      DATABASE_URL=$url BELPORTAL_DEMO=false BELPORTAL_ADDR=127.0.0.1:$PORT \
        BELPORTAL_RESPONSE_CACHE_MS=$cache RUST_LOG=warn "$BIN" serve &
      server_pid=$!
      for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
        sleep 0.1
      done
      base="http://127.0.0.1:$PORT"
      item_id=$(( n / 2 ))
      # Same headers as wrk (no Accept), so the warm-up fills the same cache keys.
      etag=$(curl -sI -H 'Accept:' "$base/v1/articles" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')
      curl -sf "$base/v1/articles/$item_id" >/dev/null
      read -r b_rps b50 b99 < <(run_wrk healthz "$base/healthz")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$n" "$cache" "healthz (baseline)" "$b_rps" "$b50" "$b99" "1.00" >> "$OUT"
      for spec in "list|$base/v1/articles|" "item|$base/v1/articles/$item_id|" "304|$base/v1/articles|If-None-Match: $etag"; do
        IFS='|' read -r name url_ header <<<"$spec"
        read -r rps p50 p99 < <(run_wrk "$name" "$url_" "$header")
        ratio=$(awk -v a="$rps" -v b="$b_rps" 'BEGIN {printf "%.3f", a / b}')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$n" "$cache" "$name" "$rps" "$p50" "$p99" "$ratio" >> "$OUT"
      done
      stop_server
    done
    if [ "$backend" = postgres ]; then
      psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS bp_bench_$n WITH (FORCE)" >/dev/null
    else
      rm -f "$db_file" "$db_file-wal" "$db_file-shm"
    fi
  done
done
column -t -s $'\t' "$OUT"
echo "results: $OUT"
