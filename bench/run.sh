#!/usr/bin/env bash
# Load tests against /healthz as the baseline measured in the same run, on SQLite
# and PostgreSQL, with the response cache off (every request reaches the
# database) and on (the default, 1 s):
#   news:   article list, article item and a 304 revalidation at each of SIZES articles
#   places: a `near` radius search and /v1/nearby at PLACES generated places
# Every URL is measured twice: with a browser's `Accept-Encoding: gzip, deflate,
# br, zstd` (what real clients send; the row says "browser") and without it
# ("none"). The ratio is always to /healthz without Accept-Encoding, measured by
# the same server process a few seconds earlier.
#
#   bench/run.sh                                   # everything (about 25 minutes)
#   SCENARIOS=news SIZES=10000 BACKENDS=sqlite DURATION=5s bench/run.sh
#   BIN=/path/to/other/belportal bench/run.sh     # another build (no cargo build)
#   ENCODINGS=browser bench/run.sh                 # only with the browser's header
#
# Needs wrk (Debian: apt-get install wrk) and, for PostgreSQL, a server at
# BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); it creates
# and drops its own databases. Each wrk run is bounded by DURATION (plus one
# second of warm-up) and stops by itself. Results: bench/results/*.tsv.
# The server runs with BELPORTAL_RATE_LIMIT=0 (the rate limiter off: wrk's 32
# connections from one address would otherwise be refused with 429 after the
# burst); bench/ratelimit.sh measures what the limiter costs. After each server's
# runs, its resident memory (VmRSS) goes to the .log beside the results.
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIOS="${SCENARIOS:-news places}"
SIZES="${SIZES:-10000 1000000}"
PLACES="${PLACES:-100000}"
BACKENDS="${BACKENDS:-sqlite postgres}"
CACHES="${CACHES:-0 1000}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-32}"
THREADS="${THREADS:-2}"
PORT="${PORT:-8181}"
PG_ADMIN="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
ENCODINGS="${ENCODINGS:-browser none}"
BROWSER_AE="Accept-Encoding: gzip, deflate, br, zstd"
OUT="${OUT:-bench/results/run-$(date -u +%Y%m%d-%H%M%S).tsv}"

source bench/lib.sh # stop_server, run_wrk, release_bin, new_database, drop_database
release_bin
mkdir -p bench/results
printf 'scenario\tbackend\trows\tresponse_cache_ms\tendpoint\taccept_encoding\trequests_per_s\tp50\tp99\tratio_to_baseline\n' > "$OUT"

WRK_TIMEOUT=5s
trap stop_server EXIT

# scenario backend rows url endpoint-specs...; a spec is name|path|header
measure() {
  local scenario=$1 backend=$2 rows=$3 url=$4
  shift 4
  for cache in $CACHES; do
    DATABASE_URL=$url BELPORTAL_DEMO=false BELPORTAL_ADDR=127.0.0.1:$PORT \
      BELPORTAL_RESPONSE_CACHE_MS=$cache BELPORTAL_RATE_LIMIT=0 RUST_LOG=warn "$BIN" serve &
    server_pid=$!
    for _ in $(seq 1 100); do
      curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
      sleep 0.1
    done
    local base="http://127.0.0.1:$PORT"
    read -r b_rps b50 b99 < <(run_wrk "$base/healthz")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$backend" "$rows" "$cache" "healthz (baseline)" "none" "$b_rps" "$b50" "$b99" "1.000" >> "$OUT"
    for spec in "$@"; do
      IFS='|' read -r name path header <<<"$spec"
      if [ "$header" = "ETAG" ]; then
        # Same headers as wrk (no Accept), so the ETag is that of wrk's requests.
        header="If-None-Match: $(curl -sI -H 'Accept:' "$base$path" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')"
      fi
      for enc in $ENCODINGS; do
        local ae=""
        [ "$enc" = browser ] && ae=$BROWSER_AE
        read -r rps p50 p99 < <(run_wrk "$base$path" "$header" "$ae")
        ratio=$(awk -v a="$rps" -v b="$b_rps" 'BEGIN {printf "%.3f", a / b}')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$backend" "$rows" "$cache" "$name" "$enc" "$rps" "$p50" "$p99" "$ratio" >> "$OUT"
      done
    done
    # Resident memory of the serving process after its runs (issue 17: under 150 MB).
    echo "# $backend $scenario $rows rows, response cache $cache ms: RSS after the runs $(awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$server_pid/status")" | tee -a "$OUT.log"
    stop_server
  done
}

for backend in $BACKENDS; do
  for scenario in $SCENARIOS; do
    case $scenario in
      news)
        for n in $SIZES; do
          url=$(new_database "$backend" "bp_bench_news_$n")
          start=$(date +%s)
          DATABASE_URL=$url RUST_LOG=warn "$BIN" generate --articles "$n" --seed 42 >/dev/null
          echo "# $backend: generated $n articles in $(( $(date +%s) - start )) s" | tee -a "$OUT.log"
          measure news "$backend" "$n" "$url" \
            "list 20|/v1/articles|" "item|/v1/articles/$(( n / 2 ))|" "304 revalidation|/v1/articles|ETAG"
          drop_database "$backend" "bp_bench_news_$n"
        done ;;
      places)
        url=$(new_database "$backend" "bp_bench_places")
        start=$(date +%s)
        DATABASE_URL=$url RUST_LOG=warn "$BIN" generate --places "$PLACES" --seed 42 >/dev/null
        echo "# $backend: generated $PLACES places in $(( $(date +%s) - start )) s" | tee -a "$OUT.log"
        measure places "$backend" "$PLACES" "$url" \
          "near 25 km|/v1/tourist-sites?near=53.9006,27.5590&radius_km=25|" \
          "near 100 km|/v1/tourist-sites?near=53.9006,27.5590&radius_km=100|" \
          "nearby 25 km|/v1/nearby?lat=53.9006&lon=27.5590&radius_km=25|"
        drop_database "$backend" "bp_bench_places" ;;
    esac
  done
done
column -t -s $'\t' "$OUT"
echo "results: $OUT"
