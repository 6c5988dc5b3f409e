#!/usr/bin/env bash
# The TypeScript client: installs the pinned tools (npm ci, from
# package-lock.json), fails when src/schema.d.ts is stale against
# ../../openapi/openapi.json, and type-checks the example with tsc --strict.
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund --loglevel=error

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npx --no-install openapi-typescript ../../openapi/openapi.json --output "$tmp/schema.d.ts" >/dev/null
if ! diff -q src/schema.d.ts "$tmp/schema.d.ts" >/dev/null; then
  diff -u src/schema.d.ts "$tmp/schema.d.ts" | head -60 >&2 || true
  echo "clients/typescript/src/schema.d.ts is stale: run 'npm run generate' in clients/typescript and commit it" >&2
  exit 1
fi

npx --no-install tsc --strict --noEmit -p .
echo "TypeScript client: schema.d.ts current, tsc --strict clean"
