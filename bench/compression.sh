#!/usr/bin/env bash
# Bytes and CPU time per compression level on typical responses (the article
# list of 20 and of 100, one article) from a database of generated articles:
# what docs/PERFORMANCE.md "Compression levels" is based on.
#
#   bench/compression.sh                 # 10,000 generated articles on SQLite
#
# Runs examples/compression_levels.rs (release) on each body; single-threaded,
# 200 runs per level. The server runs with BELPORTAL_RATE_LIMIT=0.
set -euo pipefail
cd "$(dirname "$0")/.."

ARTICLES="${ARTICLES:-10000}"
PORT="${PORT:-8182}"
T="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin belportal --example compression_levels
dir=$(mktemp -d)
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
url="sqlite://$dir/c.db"
DATABASE_URL=$url RUST_LOG=warn "$T/release/belportal" generate --articles "$ARTICLES" --seed 42 >/dev/null
DATABASE_URL=$url BELPORTAL_DEMO=false BELPORTAL_ADDR=127.0.0.1:$PORT BELPORTAL_RATE_LIMIT=0 \
  RUST_LOG=warn "$T/release/belportal" serve &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
for path in "/v1/articles" "/v1/articles?limit=100" "/v1/articles/$(( ARTICLES / 2 ))"; do
  curl -sf "http://127.0.0.1:$PORT$path" > "$dir/body.json"
  echo "## $path"
  "$T/release/examples/compression_levels" "$dir/body.json"
  echo
done
