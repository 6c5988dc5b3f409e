#!/usr/bin/env bash
# Generates the 1,000,000-article databases the search benchmark reads (kept in
# bench/results, which git ignores): SQLite file and PostgreSQL database
# bp_bench_search. Prints the time of generation and of the index build.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-1000000}"
PG_ADMIN="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
BIN="${BIN:-target/release/belportal}"
[ -n "${SKIP_BUILD:-}" ] || cargo build --release --quiet
mkdir -p bench/results
for backend in ${BACKENDS:-sqlite postgres}; do
  case $backend in
    sqlite)
      rm -f bench/results/bp_bench_search.db*
      url="sqlite://bench/results/bp_bench_search.db" ;;
    postgres)
      psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS bp_bench_search WITH (FORCE)" -c "CREATE DATABASE bp_bench_search" >/dev/null
      url="${PG_ADMIN%/*}/bp_bench_search" ;;
  esac
  start=$(date +%s)
  DATABASE_URL=$url RUST_LOG=warn "$BIN" generate --articles "$N" --seed 42
  echo "# $backend: generated and indexed $N articles in $(( $(date +%s) - start )) s"
done
