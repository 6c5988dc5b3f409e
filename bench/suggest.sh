#!/usr/bin/env bash
# /v1/suggest latency (what a search box calls on every keystroke) with
# /healthz as the baseline in the same run, on SQLite and PostgreSQL, over a
# generated database of ARTICLES articles and PLACES places (`belportal
# generate`, which also builds the search and suggest indexes), with the
# response cache off (BELPORTAL_RESPONSE_CACHE_MS=0) and rate limiting off, so
# every request runs its queries. Queries: one to four first letters of
# generated words (exact prefixes), a whole word, two words, Cyrillic (брэст),
# a word with a typo (the trigram and edit-distance path), a word no item has.
#   bench/suggest.sh                                    # 1,000,000 articles, 100,000 places
#   ARTICLES=100000 PLACES=10000 DURATION=5s bench/suggest.sh
#   KEEP=1 bench/suggest.sh                             # reuse the databases of a previous run
#   RUNS=2 bench/suggest.sh                             # every endpoint twice (noisy tails)
# Each row carries the 1-minute load average when its run ended (`uptime`):
# other work on the machine shows in p99 first.
# Needs wrk (Debian: apt-get install -y wrk). Results: bench/results/suggest-*.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES="${ARTICLES:-1000000}"
PLACES="${PLACES:-100000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-4}"
THREADS="${THREADS:-2}"
RUNS="${RUNS:-1}"
PORT="${PORT:-8183}"
PG_ADMIN="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
OUT="${OUT:-bench/results/suggest-$(date -u +%Y%m%d-%H%M%S).tsv}"
BIN="${BIN:-target/release/belportal}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
mkdir -p bench/results
printf 'backend\tarticles\tplaces\tendpoint\titems\trequests_per_s\tp50\tp99\tratio_to_baseline\tload_avg\n' > "$OUT"
source bench/lib.sh
trap stop_server EXIT
for backend in $BACKENDS; do
  case $backend in
    sqlite)
      url="sqlite://bench/results/bp_bench_suggest.db"
      [ -n "${KEEP:-}" ] || rm -f bench/results/bp_bench_suggest.db* ;;
    postgres)
      url="${PG_ADMIN%/*}/bp_bench_suggest"
      [ -n "${KEEP:-}" ] || psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS bp_bench_suggest WITH (FORCE)" -c "CREATE DATABASE bp_bench_suggest" >/dev/null ;;
  esac
  if [ -z "${KEEP:-}" ]; then
    start=$(date +%s)
    DATABASE_URL=$url RUST_LOG=warn "$BIN" generate --articles "$ARTICLES" --places "$PLACES" --seed 42
    echo "# $backend: generated and indexed $ARTICLES articles and $PLACES places in $(( $(date +%s) - start )) s (load average $(load_avg))" | tee -a "$OUT.log"
  fi
  DATABASE_URL=$url BELPORTAL_DEMO=false BELPORTAL_ADDR=127.0.0.1:$PORT BELPORTAL_RATE_LIMIT=0 \
    BELPORTAL_RESPONSE_CACHE_MS=0 RUST_LOG=warn "$BIN" serve &
  server_pid=$!
  wait_ready "$PORT"
  base="http://127.0.0.1:$PORT"
  read -r b_rps b50 b99 < <(run_wrk "$base/healthz")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$ARTICLES" "$PLACES" "healthz (baseline)" "-" "$b_rps" "$b50" "$b99" "1.000" "$(load_avg)" >> "$OUT"
  for spec in "1 letter|b" "2 letters|br" "4 letters|bres" "word|brest" "two words|bison%20br" \
              "Cyrillic|%D0%B1%D1%80%D1%8D%D1%81%D1%82" "typo|bresy" "typo, long word|generatd" \
              "nothing|qqqqzzzz" "places only|gen&types=tourist_site,monument" \
              "a locale with few items, 1 letter|b&lang=be"; do
    IFS='|' read -r name q <<<"$spec"
    path="/v1/suggest?q=$q"
    items=$(curl -s "$base$path" | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("data", [])))' || echo error)
    for _ in $(seq 1 "$RUNS"); do
      read -r rps p50 p99 < <(run_wrk "$base$path")
      ratio=$(ratio "$rps" "$b_rps")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$ARTICLES" "$PLACES" "suggest $name ($q)" "$items" "$rps" "$p50" "$p99" "$ratio" "$(load_avg)" >> "$OUT"
    done
  done
  stop_server
done
column -t -s$'\t' "$OUT"
