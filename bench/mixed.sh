#!/usr/bin/env bash
# Real traffic against the response cache (issue 17): GETs over about 2,000
# distinct URLs (article lists with filters, numbered pages and cursors,
# articles, place lists and items, radius searches, /v1/nearby, search, the
# search box; bench/mixed-urls.py) drawn Zipf-like (bench/mixed.lua), with a
# browser's Accept-Encoding, while an editor PATCHes one article a second,
# against the same mix with no writes. Rounds alternate read-only and
# with-writes on one server process; each row gives req/s, p50/p99, the
# response cache's hit ratio over the round (from /metrics) and the server's
# RSS after it. Targets: hit ratio >= 90 % and, with writes, >= 60 % of the
# read-only req/s.
#
#   bench/mixed.sh                                   # both backends, about 6 minutes
#   BACKENDS=sqlite ROUNDS=1 DURATION=10s bench/mixed.sh
#   BIN=/path/to/belportal bench/mixed.sh            # another build (no cargo build)
#   DB=bp_bench_mixed_2 PORT=8282 bench/mixed.sh     # beside another run
#
# The server runs with its default response cache (30 s fresh on one node,
# stale-while-revalidate; CACHE_MS=1000 for the 1 s of before)
# and BELPORTAL_RATE_LIMIT=0 (the rate limiter off: wrk's connections come from
# one address). Each wrk run is bounded by DURATION and stops by itself.
# Results: bench/results/mixed-*.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."

BACKENDS="${BACKENDS:-sqlite postgres}"
ARTICLES="${ARTICLES:-10000}"
PLACES="${PLACES:-10000}"
URLS="${URLS:-2000}"
ROUNDS="${ROUNDS:-2}"
DURATION="${DURATION:-20s}"
CONNS="${CONNS:-32}"
THREADS="${THREADS:-2}"
PORT="${PORT:-8182}"
CACHE_MS="${CACHE_MS:-}"
DB="${DB:-bp_bench_mixed}"
PG_ADMIN="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
OUT="${OUT:-bench/results/mixed-$(date -u +%Y%m%d-%H%M%S).tsv}"

source bench/lib.sh
release_bin
mkdir -p bench/results
printf 'backend\tround\twrites\trequests\trequests_per_s\tp50\tp99\tnon_2xx_3xx\tcache_hits\tcache_misses\thit_ratio\tpatches\trss_mb\tload_avg\n' > "$OUT"

editor_pid=""
stop_all() {
  if [ -n "$editor_pid" ]; then
    kill -TERM "$editor_pid" 2>/dev/null || true
    wait "$editor_pid" 2>/dev/null || true
    editor_pid=""
  fi
  stop_server
}
trap stop_all EXIT

base="http://127.0.0.1:$PORT"
# (A new query string each time: builds before a0ffeed kept /metrics in the
# response cache, and with a long freshness answered it unchanged.)
counter() { # result -> belportal_response_cache_total{result=...}
  curl -s "$base/metrics?at=$(date +%s%N)" | awk -v r="result=\"$1\"" 'index($0, "belportal_response_cache_total{") == 1 && index($0, r) {v = $2} END {print v + 0}'
}
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$server_pid/status"; }

# An editor saving one article a second, as the issue describes; counts its 2xx.
editor() { # key articles patches-file
  local key=$1 n=$2 log=$3 i=0
  while true; do
    i=$((i + 1))
    local id=$(( (i * 7919) % n + 1 ))
    curl -s -o /dev/null -w '%{http_code}\n' -X PATCH "$base/v1/articles/$id" \
      -H "Authorization: Bearer $key" -H 'Content-Type: application/merge-patch+json' \
      --data "{\"lead\": \"Edited by the mixed benchmark, save $i.\"}" >> "$log"
    sleep 1
  done
}

for backend in $BACKENDS; do
  url=$(new_database "$backend" "$DB")
  start=$(date +%s)
  DATABASE_URL=$url RUST_LOG=warn "$BIN" generate --articles "$ARTICLES" --places "$PLACES" --seed 42 >/dev/null
  echo "# $backend: generated $ARTICLES articles and $PLACES places in $(( $(date +%s) - start )) s" | tee -a "$OUT.log"
  key=$(DATABASE_URL=$url "$BIN" keys create --role editor --name mixed-bench | tail -1)

  # env: the cache setting is passed only when CACHE_MS is set (env execs the
  # server, so $! is its pid).
  env DATABASE_URL="$url" BELPORTAL_DEMO=false BELPORTAL_ADDR=127.0.0.1:$PORT \
    ${CACHE_MS:+BELPORTAL_RESPONSE_CACHE_MS=$CACHE_MS} BELPORTAL_RATE_LIMIT=0 RUST_LOG=warn "$BIN" serve &
  server_pid=$!
  wait_ready "$PORT"
  urls=$(mktemp)
  python3 bench/mixed-urls.py "$base" "$URLS" > "$urls"
  # Warm-up (not recorded): every URL once, then the mix for a few seconds.
  xargs -P 4 -I{} curl -s -o /dev/null "$base{}" < "$urls"
  MIXED_URLS=$urls wrk -t"$THREADS" -c"$CONNS" -d3s -s bench/mixed.lua "$base" >/dev/null

  for round in $(seq 1 "$ROUNDS"); do
    for writes in no yes; do
      patches=$(mktemp)
      if [ "$writes" = yes ]; then
        editor "$key" "$ARTICLES" "$patches" &
        editor_pid=$!
      fi
      hits0=$(counter hit); misses0=$(counter miss)
      out=$(MIXED_URLS=$urls wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency --timeout 5s -s bench/mixed.lua "$base")
      hits1=$(counter hit); misses1=$(counter miss)
      if [ -n "$editor_pid" ]; then
        kill -TERM "$editor_pid" 2>/dev/null || true
        wait "$editor_pid" 2>/dev/null || true
        editor_pid=""
      fi
      ok=$(grep -c '^20' "$patches" || true)
      total_patches=$(wc -l < "$patches")
      rm -f "$patches"
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      requests=$(awk '/requests in/ {print $1}' <<<"$out")
      p50=$(awk '$1=="50%" {print $2}' <<<"$out")
      p99=$(awk '$1=="99%" {print $2}' <<<"$out")
      errors=$(awk '/Non-2xx or 3xx/ {print $NF}' <<<"$out")
      hits=$(( ${hits1%.*} - ${hits0%.*} )); misses=$(( ${misses1%.*} - ${misses0%.*} ))
      ratio=$(awk -v h="$hits" -v m="$misses" 'BEGIN {printf "%.3f", (h + m) ? h / (h + m) : 0}')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$round" "$writes" "$requests" "$rps" "$p50" "$p99" "${errors:-0}" \
        "$hits" "$misses" "$ratio" "$ok/$total_patches" "$(rss_mb)" "$(load_avg)" >> "$OUT"
    done
  done
  rm -f "$urls"
  stop_all
  drop_database "$backend" "$DB"
done
column -t -s $'\t' "$OUT"
# With writes against the read-only rounds: mean req/s and hit ratio per backend.
awk -F'\t' 'NR > 1 {n[$1, $3]++; r[$1, $3] += $5; h[$1, $3] += $11; b[$1] = 1}
  END {for (k in b) printf "%s: with writes %.0f req/s = %.2f of read-only (%.0f); hit ratio %.3f with writes, %.3f without\n",
    k, r[k, "yes"] / n[k, "yes"], (r[k, "yes"] / n[k, "yes"]) / (r[k, "no"] / n[k, "no"]), r[k, "no"] / n[k, "no"], h[k, "yes"] / n[k, "yes"], h[k, "no"] / n[k, "no"]}' "$OUT" | tee -a "$OUT.log"
echo "results: $OUT"
