#!/bin/bash
# Peak server RSS (VmHWM) after 8 parallel uploads of a 7000x7000 PNG.
# usage: bench/upload-rss.sh [DECODES|default]   (cargo build --release first)
# Writes into a temporary directory; needs python3, curl, bc.
set -eu
D=${1:-default}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/belportal}
PORT=${PORT:-18977}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 - "$W/big.png" <<'PY'
import struct, sys, zlib
w = h = 7000
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
c = zlib.compressobj(9)
a = bytes([0]) + bytes(x * 255 // w for x in range(w) for _ in range(3))
b = bytes([0]) + bytes((w - x) * 255 // w for x in range(w) for _ in range(3))
idat = b"".join(c.compress(a if (y // 100) % 2 == 0 else b) for y in range(h)) + c.flush()
ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
PY
export DATABASE_URL=sqlite://$W/db.sqlite BELPORTAL_DEMO=false BELPORTAL_ADDR=127.0.0.1:$PORT \
  BELPORTAL_MEDIA_DIR=$W/media BELPORTAL_RATE_LIMIT=0 RUST_LOG=warn
[ "$D" != default ] && export BELPORTAL_MEDIA_DECODES=$D
"$BIN" migrate >/dev/null 2>&1
KEY=$("$BIN" keys create --role editor --name rss 2>/dev/null | tail -n 1)
"$BIN" serve >"$W/server.log" 2>&1 &
PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/readyz" && break; sleep 0.2; done
echo "decodes=$D idle $(grep VmHWM /proc/$PID/status)"
START=$(date +%s.%N)
PIDS=()
for i in $(seq 8); do
  curl -s -o /dev/null -w "%{http_code} %{time_total}s\n" -X POST "http://127.0.0.1:$PORT/v1/media" \
    -H "Authorization: Bearer $KEY" -F "file=@$W/big.png" -F "alt=rss $i" &
  PIDS+=($!)
done
wait "${PIDS[@]}"
echo "peak $(grep VmHWM /proc/$PID/status)   wall $(echo "$(date +%s.%N) - $START" | bc) s"
kill $PID
wait $PID 2>/dev/null || true
