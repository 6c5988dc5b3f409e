#!/usr/bin/env bash
# An S3-compatible server for the media tests: moto's server (PyPI, pinned) in a
# virtualenv, on 127.0.0.1:9000, with one bucket for the test run.
#   scripts/s3.sh start   installs moto if missing, starts it, waits, creates the bucket
#   scripts/s3.sh stop    stops it (the virtualenv stays for the next start)
#   scripts/s3.sh clean   stops it and removes the virtualenv too
# Settings: S3_PORT (9000), S3_BUCKET (belportal-test),
# S3_DIR (state and virtualenv, default ${TMPDIR:-/tmp}/belportal-s3-$UID).
# Tests read TEST_S3_ENDPOINT=http://127.0.0.1:9000 and TEST_S3_BUCKET (what
# `.ci/run` exports); any key id and secret are accepted.
set -euo pipefail

# Pinned so CI always tests against the same server behaviour.
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
port="${S3_PORT:-9000}"
bucket="${S3_BUCKET:-belportal-test}"
dir="${S3_DIR:-${TMPDIR:-/tmp}/belportal-s3-$(id -u)}"
venv="$dir/venv"

install() {
  if [ -x "$venv/bin/moto_server" ] \
    && [ "$("$venv/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" = "$MOTO_VERSION" ]; then
    return 0
  fi
  echo "installing moto[server]==${MOTO_VERSION} into $venv" >&2
  mkdir -p "$dir"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==${MOTO_VERSION}"
}

running() {
  [ -f "$dir/moto.pid" ] && kill -0 "$(cat "$dir/moto.pid")" 2>/dev/null
}

start() {
  install
  if running; then
    echo "moto already running (pid $(cat "$dir/moto.pid"))" >&2
  else
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
    echo $! >"$dir/moto.pid"
  fi
  local up=""
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then up=1; break; fi
    running || break
    sleep 0.1
  done
  if [ -z "$up" ]; then
    echo "moto did not start; log:" >&2
    cat "$dir/moto.log" >&2 || true
    exit 1
  fi
  # boto3 comes with moto: create the run's bucket (an existing one is kept).
  "$venv/bin/python" - "$port" "$bucket" <<'PY'
import sys, boto3
port, bucket = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
if bucket not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
    s3.create_bucket(Bucket=bucket)
PY
  echo "moto ${MOTO_VERSION} (S3) on http://127.0.0.1:${port}, bucket ${bucket}, pid $(cat "$dir/moto.pid")"
}

stop() {
  if [ -f "$dir/moto.pid" ]; then
    local pid
    pid="$(cat "$dir/moto.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/moto.pid" "$dir/moto.log"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  clean) stop; rm -rf "$dir" ;;
  *) echo "usage: $0 start|stop|clean" >&2; exit 2 ;;
esac
