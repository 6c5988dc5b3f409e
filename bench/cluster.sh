#!/usr/bin/env bash
# Several nodes on one machine over loopback, as issue 14 describes a national
# portal: a PostgreSQL primary with a streaming replica (scripts/replica.sh),
# PgBouncer in transaction mode in front of the primary (scripts/pgbouncer.sh),
# an S3-compatible server holding the media of every node (scripts/s3.sh, moto)
# and two release belportal nodes (rate limiting off: BELPORTAL_RATE_LIMIT=0;
# response cache on, the default 1 s). Prints:
#   - the start race: NODES nodes started at once on an empty database, RUNS runs
#   - staleness on node B after a write on node A (item, list total, section tree)
#   - feed entries under concurrent POSTs split over both nodes (duplicates, gaps)
#   - media: an upload on node A served by node B from the bucket, deleted on B
#   - 5xx while a write lock is held 15 s (`lock table articles in exclusive mode`)
#   - 5xx while the replica is down
#   - 5xx during a primary failover (multi-host URL with
#     target_session_attrs=read-write; the replica is promoted)
# Stops and removes everything it started, also on failure. About 2-3 minutes.
#   bench/cluster.sh
#   SKIP_BUILD=1 NODES=3 RUNS=3 bench/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."

NODES="${NODES:-4}"
RUNS="${RUNS:-3}"
LOCK_SECONDS="${LOCK_SECONDS:-15}"
BIN="${BIN:-${CARGO_TARGET_DIR:-target}/release/belportal}"
PGBIN="${REPLICA_PG_BIN:-/usr/lib/postgresql/15/bin}"
work="${TMPDIR:-/tmp}/belportal-cluster-$(id -u)"
# Ports of their own: CI's replica (5433/5434) and PgBouncer (6432) may run.
export REPLICA_PRIMARY_PORT="${REPLICA_PRIMARY_PORT:-5443}"
export REPLICA_PORT="${REPLICA_PORT:-5444}"
export REPLICA_DIR="$work/pg"
export PGBOUNCER_PORT="${PGBOUNCER_PORT:-6442}"
export PGBOUNCER_DIR="$work/pgbouncer"
export PGBOUNCER_UPSTREAM_HOST=127.0.0.1 PGBOUNCER_UPSTREAM_PORT="$REPLICA_PRIMARY_PORT"
export PGBOUNCER_USERS=postgres
# Its own S3 server (CI's runs on 9000); the virtualenv is kept between runs.
export S3_PORT="${S3_PORT:-9010}"
export S3_BUCKET="${S3_BUCKET:-belportal-cluster}"
export S3_DIR="${S3_DIR:-${TMPDIR:-/tmp}/belportal-s3-cluster-$(id -u)}"
P=$REPLICA_PRIMARY_PORT
R=$REPLICA_PORT
NODE_PORTS=(8291 8292 8293 8294 8295 8296 8297 8298)

[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release --quiet
[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; exit 1; }

pids=()
stop_nodes() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_nodes
  [ -z "${lock_pid:-}" ] || kill "$lock_pid" 2>/dev/null || true
  scripts/pgbouncer.sh stop >/dev/null 2>&1 || true
  scripts/replica.sh stop >/dev/null 2>&1 || true
  scripts/s3.sh stop >/dev/null 2>&1 || true
  # KEEP_LOGS=DIR keeps the nodes' logs.
  if [ -n "${KEEP_LOGS:-}" ]; then mkdir -p "$KEEP_LOGS" && cp "$work"/*.log "$KEEP_LOGS"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work/media"
chmod 777 "$work"

sql() { # port db sql
  psql -X -q -t -A -h 127.0.0.1 -p "$1" -U postgres -d "$2" -c "$3"
}

# start_node NAME PORT DATABASE_URL [VAR=VALUE...]: a release node in the background.
start_node() {
  local name=$1 port=$2 url=$3
  shift 3
  env DATABASE_URL="$url" BELPORTAL_ADDR="127.0.0.1:$port" BELPORTAL_NODE_NAME="$name" \
    BELPORTAL_RATE_LIMIT=0 BELPORTAL_DEMO=true BELPORTAL_MEDIA_URL="s3://$S3_BUCKET/cluster" \
    AWS_ENDPOINT_URL="http://127.0.0.1:$S3_PORT" AWS_ALLOW_HTTP=true AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
    RUST_LOG="${RUST_LOG:-warn}" "$@" "$BIN" serve >>"$work/$name.log" 2>&1 &
  pids+=($!)
}

# wait_ready PORT...: seconds until every node answers /readyz 200 (fails after 120 s).
wait_ready() {
  local t0=$SECONDS
  for port in "$@"; do
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
      if [ $((SECONDS - t0)) -gt 120 ]; then echo "node on $port not ready" >&2; return 1; fi
      sleep 0.1
    done
  done
}

echo "== PostgreSQL primary :$P + streaming replica :$R, PgBouncer :$PGBOUNCER_PORT, S3 (moto) :$S3_PORT"
scripts/replica.sh start >/dev/null
scripts/pgbouncer.sh start >/dev/null
scripts/s3.sh start >/dev/null

echo "== start race: $NODES nodes at once on an empty database (through PgBouncer), $RUNS runs"
for run in $(seq 1 "$RUNS"); do
  sql "$P" postgres "create database race_$run"
  t0=$(date +%s.%N)
  for i in $(seq 1 "$NODES"); do
    start_node "race$run-$i" "${NODE_PORTS[$((i - 1))]}" \
      "postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/race_$run" BELPORTAL_PGBOUNCER=true \
      BELPORTAL_LISTEN_URL="postgres://postgres@127.0.0.1:$P/race_$run"
  done
  ready=0
  for i in $(seq 1 "$NODES"); do
    if wait_ready "${NODE_PORTS[$((i - 1))]}"; then ready=$((ready + 1)); fi
  done
  secs=$(echo "$(date +%s.%N) - $t0" | bc)
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
  articles=$(sql "$P" "race_$run" "select count(*) from articles")
  printf 'start race run %d: %d/%d nodes ready, %d running, in %.1f s; %s articles (seeded once)\n' \
    "$run" "$ready" "$NODES" "$alive" "$secs" "$articles"
  stop_nodes
  sql "$P" postgres "drop database race_$run with (force)"
done

# The two nodes of the remaining checks: writes through PgBouncer, LISTEN on
# the primary directly, anonymous reads from the replica.
sql "$P" postgres "create database belportal"
direct="postgres://postgres@127.0.0.1:$P/belportal"
bouncer="postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/belportal"
replica="postgres://postgres@127.0.0.1:$R/belportal"
A=${NODE_PORTS[0]}
B=${NODE_PORTS[1]}
both() {
  start_node node-a "$A" "$1" "${@:2}"
  start_node node-b "$B" "$1" "${@:2}"
  wait_ready "$A" "$B"
}
both "$bouncer" BELPORTAL_PGBOUNCER=true BELPORTAL_LISTEN_URL="$direct" DATABASE_READ_URL="$replica"
key=$(DATABASE_URL="$direct" "$BIN" keys create --role editor --name cluster-bench 2>/dev/null | tail -n 1)
export A B key P direct

checks() { # python3 part: the HTTP checks, on the nodes at $A and $B
  python3 - "$@" <<'PY'
import json, os, sys, time, threading, urllib.request, urllib.error, statistics
from concurrent.futures import ThreadPoolExecutor

A = f"http://127.0.0.1:{os.environ['A']}"
B = f"http://127.0.0.1:{os.environ['B']}"
KEY = os.environ["key"]

def req(method, url, body=None, key=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        r.add_header("Content-Type", "application/merge-patch+json" if method == "PATCH" else "application/json")
    if key:
        r.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(r, timeout=timeout) as res:
            return res.status, res.read(), res.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers
    except Exception as e:  # connection refused during failover, timeouts
        return 0, str(e).encode(), {}

def article(i, tag):
    return {"slug": f"{tag}-{i}", "section": "culture", "title": f"{tag} {i}",
            "lead": "Cluster bench.", "body_html": "<p>Cluster bench.</p>",
            "publication_status": "published"}

def until(url, ok, limit=10.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        s, b, _ = req("GET", url)
        if s == 200 and ok(json.loads(b)):
            return (time.monotonic() - t0) * 1000
        time.sleep(0.002)
    return float("inf")

def staleness():
    item, total, tree = [], [], []
    for i in range(5):
        s, b, h = req("POST", f"{A}/v1/articles", article(i, "stale"), KEY)
        assert s == 201, (s, b)
        loc = h["Location"]
        until(B + loc, lambda v: True)
        req("GET", B + loc)  # cached on B now
        s, b, _ = req("PATCH", A + loc, {"title": f"changed {i}"}, KEY)
        assert s == 200, (s, b)
        item.append(until(B + loc, lambda v: v["title"] == f"changed {i}"))
        s, b, _ = req("GET", f"{B}/v1/articles?limit=1")
        before = json.loads(b)["meta"]["total"]
        s, b, _ = req("POST", f"{A}/v1/articles", article(i, "total"), KEY)
        assert s == 201, (s, b)
        total.append(until(f"{B}/v1/articles?limit=1", lambda v: v["meta"]["total"] == before + 1))
        req("GET", f"{B}/v1/sections")
        slug = f"bench-section-{i}"
        s, b, _ = req("POST", f"{A}/v1/sections", {"slug": slug, "title": slug, "parent": "news", "position": 50 + i}, KEY)
        assert s == 201, (s, b)
        tree.append(until(f"{B}/v1/sections", lambda v: slug in json.dumps(v)))
    for name, xs in (("item", item), ("list total", total), ("section tree", tree)):
        print(f"staleness on node B after a write on node A, {name}: median {statistics.median(xs):.0f} ms, max {max(xs):.0f} ms (5 writes)")

def concurrent_posts(n=400):
    def post(i):
        return req("POST", f"{(A, B)[i % 2]}/v1/articles", article(i, "concurrent"), KEY)[0]
    with ThreadPoolExecutor(32) as ex:
        codes = list(ex.map(post, range(n)))
    by = {c: codes.count(c) for c in sorted(set(codes))}
    print(f"{n} concurrent POSTs (32 at a time) split over both nodes: {codes.count(201)} created, "
          f"{sum(c >= 500 for c in codes)} 5xx, statuses {by}", flush=True)

def traffic(seconds, writes=True, label=""):
    """Anonymous reads and /readyz on both nodes, and editor writes, for `seconds`."""
    counts, slowest = {}, {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    def note(kind, code, took):
        with lock:
            counts.setdefault(kind, {}).setdefault(code, 0)
            counts[kind][code] += 1
            slowest[kind] = max(slowest.get(kind, 0), took)
    def timed(kind, *args, **kw):
        t0 = time.monotonic()
        s = req(*args, **kw)[0]
        note(kind, s, (time.monotonic() - t0) * 1000)
    def reader(base):
        while time.monotonic() < stop:
            for path in ("/v1/articles?limit=5", "/v1/sections", "/v1/events?limit=3"):
                timed("anonymous GET", "GET", base + path, timeout=20)
            time.sleep(0.01)
    def ready(base):
        while time.monotonic() < stop:
            timed("/readyz", "GET", base + "/readyz", timeout=20)
            time.sleep(0.1)
    def writer(w):
        i = 0
        while time.monotonic() < stop:
            i += 1
            base = (A, B)[i % 2]
            timed("editor POST", "POST", f"{base}/v1/articles", article(f"{w}-{i}-{time.monotonic_ns()}", "traffic"), KEY, timeout=20)
            time.sleep(0.05)
    ts = [threading.Thread(target=reader, args=(b,)) for b in (A, B, A, B)]
    ts += [threading.Thread(target=ready, args=(b,)) for b in (A, B)]
    if writes:
        ts += [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for t in ts: t.start()
    return ts, (counts, slowest)

def report(label, ts, result):
    counts, slowest = result
    for t in ts: t.join()
    for kind, c in counts.items():
        total = sum(c.values())
        fivexx = sum(v for k, v in c.items() if k >= 500)
        other = {k: v for k, v in sorted(c.items()) if k not in (200, 201)}
        print(f"{label}: {kind}: {total} requests, {fivexx} 5xx ({c.get(500, 0)} x 500), "
              f"not 2xx: {other or 'none'}, slowest {slowest[kind]:.0f} ms", flush=True)

cmd = sys.argv[1]
if cmd == "coherence":
    staleness()
    concurrent_posts()
elif cmd == "traffic":
    label, seconds, writes = sys.argv[2], float(sys.argv[3]), sys.argv[4] == "1"
    ts, counts = traffic(seconds, writes)
    report(label, ts, counts)
PY
}

echo "== coherence across nodes (writes on A through PgBouncer, reads on B from the replica)"
before=$(sql "$P" belportal "select coalesce(max(seq), 0) from changes")
checks coherence
sql "$P" belportal "select count(*), count(distinct seq), max(seq) - min(seq) + 1 from changes where seq > $before and slug like 'concurrent-%'" |
  awk -F'|' '{printf "feed entries for those POSTs: %d, distinct %d, duplicates %d, span %d (gaps %d)\n", $1, $2, $1 - $2, $3, $3 - $1}'

echo "== media on the shared bucket (upload on A, read and delete on B)"
png="$work/bench.png"
python3 - "$png" <<'PY'
import struct, sys, zlib
w = h = 64
raw = b"".join(b"\0" + bytes(v for x in range(w) for v in (x * 4 % 256, y * 4 % 256, 128)) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
with open(sys.argv[1], "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
up=$(curl -s -H "Authorization: Bearer $key" -F "file=@$png;type=image/png" "http://127.0.0.1:$A/v1/media")
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$up")
url=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])' <<<"$up")
# The stored original is the upload re-encoded without metadata: compare the
# two nodes' answers with each other.
on_a=$(curl -s -o "$work/from-a.png" -w '%{http_code}' "http://127.0.0.1:$A$url")
on_b=$(curl -s -o "$work/from-b.png" -w '%{http_code}' "http://127.0.0.1:$B$url")
same=$(cmp -s "$work/from-a.png" "$work/from-b.png" && echo "the same $(wc -c <"$work/from-b.png") bytes as A" || echo "DIFFERENT bytes from A")
del=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $key" "http://127.0.0.1:$B/v1/media/$id")
sleep 0.3
after=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A$url")
echo "upload on A: media $id at $url; GET on A: $on_a; GET on B: $on_b ($same); DELETE on B: $del; GET on A afterwards: $after"

echo "== write lock held ${LOCK_SECONDS} s on the primary (lock table articles in exclusive mode)"
sql "$P" belportal "begin; lock table articles in exclusive mode; select pg_sleep($LOCK_SECONDS); commit;" >/dev/null &
lock_pid=$!
sleep 0.2
checks traffic "held write lock" "$LOCK_SECONDS" 1
wait "$lock_pid" || true
lock_pid=""

echo "== replica stopped for 5 s (anonymous reads fall back to the primary)"
( sleep 1; scripts/replica.sh stop-replica; sleep 3; scripts/replica.sh start-replica ) &
outage=$!
checks traffic "replica down" 6 0
wait "$outage"

echo "== failover: primary stopped, replica promoted (multi-host URL, target_session_attrs=read-write)"
stop_nodes
multi="postgres://postgres@127.0.0.1:$P,127.0.0.1:$R/belportal?target_session_attrs=read-write"
both "$multi" BELPORTAL_LISTEN_URL="$multi" DATABASE_READ_URL="$replica"
( sleep 2; t0=$(date +%s.%N); scripts/replica.sh stop-primary; scripts/replica.sh promote
  printf 'primary stopped and replica promoted in %.2f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" ) &
failover=$!
checks traffic "failover" 10 1
wait "$failover"
echo "== done"
