#!/bin/sh
# Response sizes of default list pages (issue 16: fields and include), plain
# and gzip, against a binary serving the demo data on a fresh SQLite file.
# Sizes do not depend on load, so one request each; the limiter is off
# (BELPORTAL_RATE_LIMIT=0) as in every bench script.
# usage: bench/sizes.sh [BINARY] [PORT]   (default target/release/belportal, 18930)
set -eu
BIN=${1:-target/release/belportal}
PORT=${2:-18930}
DIR=$(mktemp -d)
BELPORTAL_ADDR=127.0.0.1:$PORT DATABASE_URL=sqlite://$DIR/db.sqlite BELPORTAL_RATE_LIMIT=0 \
  BELPORTAL_DEMO=true "$BIN" serve >"$DIR/log" 2>&1 &
PID=$!
trap 'kill $PID; rm -rf "$DIR"' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
for p in "/v1/tourist-sites?lang=en" \
         "/v1/tourist-sites?lang=en&include=translations,gallery,description_html" \
         "/v1/tourist-sites?lang=en&fields=name,location" \
         "/v1/articles?lang=en" \
         "/v1/articles?lang=en&include=translations,body_html,related"; do
  plain=$(curl -s "http://127.0.0.1:$PORT$p" | wc -c)
  gz=$(curl -s -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT$p" | wc -c)
  printf '%s\tplain %s\tgzip %s\n' "$p" "$plain" "$gz"
done
