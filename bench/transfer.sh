#!/usr/bin/env bash
# Times `belportal export` of a generated database and `belportal import` of
# that dump into an empty SQLite file and an empty PostgreSQL database (dropped
# afterwards), with /usr/bin/time (wall seconds, max RSS) and the load average
# at the start of each step. Every step is bounded by `timeout`; an import
# that is stopped rolls back. Results are appended to $DATA/transfer.tsv.
#
#   # a source database first (see bench/search-data.sh), e.g. 1,000,000 articles:
#   DATABASE_URL=sqlite:///work/bench-data/gen1m.db belportal generate --articles 1000000 --seed 42
#   SOURCE=sqlite:///work/bench-data/gen1m.db DATA=/work/bench-data bench/transfer.sh
#   # or import an existing dump, only its first 100,000 lines, into PostgreSQL only:
#   DUMP=/work/bench-data/dump-1m.ndjson LINES=100000 BACKENDS=postgres bench/transfer.sh
#
# BIN       the binary (default target/release/belportal; copy it elsewhere if
#           others build in the same target directory)
# SOURCE    database URL to export (skipped when DUMP is set and exists)
# DUMP      the NDJSON file (default $DATA/dump.ndjson)
# DATA      where dumps, databases and results go (default bench/results, git-ignored)
# LINES     import only the first LINES lines of the dump (default: all)
# BACKENDS  import targets (default "sqlite postgres")
# LIMIT     seconds any one step may take (default 3600)
# BENCH_POSTGRES_URL  a PostgreSQL URL whose server may create databases
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-target/release/belportal}"
DATA="${DATA:-bench/results}"
DUMP="${DUMP:-$DATA/dump.ndjson}"
LIMIT="${LIMIT:-3600}"
BACKENDS="${BACKENDS:-sqlite postgres}"
PG_ADMIN="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
PG_DB=bp_bench_transfer_$$
RESULTS="$DATA/transfer.tsv"
mkdir -p "$DATA"
[ -x "$BIN" ] || { echo "no binary at $BIN (cargo build --release, or set BIN)" >&2; exit 1; }

target_db="$DATA/transfer-target-$$.db"
part=""
cleanup() {
  rm -f "$target_db" "$target_db-wal" "$target_db-shm"
  [ -z "$part" ] || rm -f "$part"
  if [[ " $BACKENDS " == *" postgres "* ]]; then
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

[ -s "$RESULTS" ] || printf 'finished_at\tstep\tbackend\tlines\twall_s\tmax_rss_kb\tload1_at_start\tstatus\n' >"$RESULTS"

# step backend lines command...: runs the command under time and timeout, logs a row.
measure() {
  local step=$1 backend=$2 lines=$3
  shift 3
  local load status=ok tfile
  load=$(cut -d' ' -f1 /proc/loadavg)
  tfile=$(mktemp)
  if ! /usr/bin/time -o "$tfile" -f '%e %M' timeout --signal=INT "$LIMIT" "$@"; then
    status=failed
  fi
  local wall rss
  read -r wall rss < <(tail -n 1 "$tfile")
  rm -f "$tfile"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$step" "$backend" "$lines" \
    "$wall" "$rss" "$load" "$status" | tee -a "$RESULTS"
  [ "$status" = ok ]
}

export BELPORTAL_DEMO=false RUST_LOG=warn

if [ ! -s "$DUMP" ]; then
  [ -n "${SOURCE:-}" ] || { echo "no dump at $DUMP: set SOURCE to a database URL to export" >&2; exit 1; }
  DATABASE_URL="$SOURCE" measure export "${SOURCE%%:*}" - sh -c '"$0" export > "$1"' "$BIN" "$DUMP"
fi

input="$DUMP"
if [ -n "${LINES:-}" ]; then
  part="$DATA/transfer-first-$LINES.ndjson"
  head -n "$LINES" "$DUMP" >"$part"
  input="$part"
fi
lines=$(wc -l <"$input")

for backend in $BACKENDS; do
  case $backend in
    sqlite)
      rm -f "$target_db" "$target_db-wal" "$target_db-shm"
      url="sqlite://$target_db" ;;
    postgres)
      psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB" >/dev/null
      url="${PG_ADMIN%/*}/$PG_DB" ;;
    *) echo "unknown backend $backend" >&2; exit 1 ;;
  esac
  # Migrations and reference data first, so the import's time is the import's.
  DATABASE_URL="$url" "$BIN" migrate >/dev/null
  DATABASE_URL="$url" measure import "$backend" "$lines" sh -c '"$0" import "$1" > /dev/null' "$BIN" "$input" || true
done
