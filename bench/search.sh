#!/usr/bin/env bash
# Search latency over the databases bench/search-data.sh made (1,000,000
# generated articles), with the response cache off so every request runs its
# queries. Baseline: /healthz in the same run. One-word queries of the
# generator's Zipf vocabulary at ranks 1, 10, 100 and 1000 (matching about
# 95 %, 40 %, 5 % and 0.5 % of the articles), a two-word query, and the same
# word as `q` inside the article list. The rate limiter is off
# (BELPORTAL_RATE_LIMIT=0): every request comes from one address.
#   bench/search.sh                       # both backends
#   BACKENDS=sqlite DURATION=5s bench/search.sh
#   SQLITE_URL=sqlite:///elsewhere/gen.db PG_URL=postgres://.../db BIN=/path/belportal SKIP_BUILD=1 bench/search.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-2}"
THREADS="${THREADS:-2}"
PORT="${PORT:-8182}"
PG_ADMIN="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
OUT="${OUT:-bench/results/search-$(date -u +%Y%m%d-%H%M%S).tsv}"
BIN="${BIN:-target/release/belportal}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
printf 'backend\tendpoint\tmatches\trequests_per_s\tp50\tp99\tratio_to_baseline\n' > "$OUT"
source bench/lib.sh
trap stop_server EXIT
for backend in $BACKENDS; do
  case $backend in
    sqlite) url="${SQLITE_URL:-sqlite://bench/results/bp_bench_search.db}" ;;
    postgres) url="${PG_URL:-${PG_ADMIN%/*}/bp_bench_search}" ;;
  esac
  DATABASE_URL=$url BELPORTAL_DEMO=false BELPORTAL_ADDR=127.0.0.1:$PORT \
    BELPORTAL_RESPONSE_CACHE_MS=0 BELPORTAL_RATE_LIMIT=0 RUST_LOG=warn "$BIN" serve &
  server_pid=$!
  # A first start after the search-window migration rebuilds the SQLite index.
  wait_ready "$PORT"
  base="http://127.0.0.1:$PORT"
  read -r b_rps b50 b99 < <(run_wrk "$base/healthz")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "healthz (baseline)" "-" "$b_rps" "$b50" "$b99" "1.000" >> "$OUT"
  for spec in "search rank 1|/v1/search?q=tuvebe" "search rank 10|/v1/search?q=lasoko" \
              "search rank 30|/v1/search?q=zaguve" "search rank 100|/v1/search?q=damovi" \
              "search rank 300|/v1/search?q=kakuri" "search rank 500|/v1/search?q=magami" \
              "search rank 1000|/v1/search?q=talatu" "search rank 3000|/v1/search?q=lazini" \
              "search two words (ranks 10+100)|/v1/search?q=lasoko%20damovi" \
              "article list q rank 100|/v1/articles?q=damovi" "article list q rank 1000|/v1/articles?q=talatu"; do
    IFS='|' read -r name path <<<"$spec"
    matches=$(curl -s "$base$path" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("meta", {}).get("total", "error"))' || echo error)
    read -r rps p50 p99 < <(run_wrk "$base$path")
    ratio=$(ratio "$rps" "$b_rps")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$name" "$matches" "$rps" "$p50" "$p99" "$ratio" >> "$OUT"
  done
  stop_server
done
column -t -s$'\t' "$OUT"
