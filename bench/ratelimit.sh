#!/usr/bin/env bash
# What the rate limiter costs on the cheapest request there is: the cached
# article list (response cache on, the default 1 s), demo content on SQLite.
# The same binary and database, in one run: the limiter off
# (BELPORTAL_RATE_LIMIT=0) and on with a limit so high that nothing is refused
# (1000000/s), alternating ROUNDS times; wrk -t2 -c32 -d10s each.
#   bench/ratelimit.sh
#   ROUNDS=1 DURATION=5s bench/ratelimit.sh
# Needs wrk (Debian: apt-get install wrk). Results: bench/results/ratelimit-*.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-32}"
THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-2}"
PORT="${PORT:-8183}"
OUT="${OUT:-bench/results/ratelimit-$(date -u +%Y%m%d-%H%M%S).tsv}"
BIN="${BIN:-target/release/belportal}"
DB=bench/results/bp_bench_ratelimit.db

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release --quiet
mkdir -p bench/results
rm -f "$DB" "$DB-wal" "$DB-shm"
printf 'rate_limit\tround\trequests_per_s\tp50\tp99\tnon_2xx\n' > "$OUT"

server_pid=""
# On exit (also on failure): stop the server this script started, drop the database.
trap '[ -z "$server_pid" ] || { kill -TERM "$server_pid"; wait "$server_pid"; } 2>/dev/null; rm -f "$DB" "$DB-wal" "$DB-shm"' EXIT

for round in $(seq 1 "$ROUNDS"); do
  for limit in 0 1000000; do
    DATABASE_URL="sqlite://$DB" BELPORTAL_DEMO=true BELPORTAL_ADDR=127.0.0.1:$PORT \
      BELPORTAL_RATE_LIMIT=$limit RUST_LOG=warn "$BIN" serve &
    server_pid=$!
    for _ in $(seq 1 300); do
      curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
      sleep 0.1
    done
    url="http://127.0.0.1:$PORT/v1/articles"
    wrk -t"$THREADS" -c"$CONNS" -d1s "$url" >/dev/null # warm-up
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$limit" "$round" "$rps" "$p50" "$p99" "${non2xx:-0}" | tee -a "$OUT"
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=""
  done
done
