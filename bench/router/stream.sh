#!/usr/bin/env bash
# Router.Worker stream throughput: the built worker (Router.Worker/bin/Release) as its own process, a redis-server
# of its own on a free port and a throwaway controldb. Phase 1 (DRAIN): N outcome events are XADDed before the
# worker starts; the events/s from its first read to an empty backlog (lag 0, nothing pending). Phase 2 (LIVE):
# a producer XADDs RATE events/s for SECONDS while the worker runs; the lag each second shows whether it keeps up.
#   bash bench/router/stream.sh [EVENTS=200000] [RATE=20000] [SECONDS=15]
# Needs: redis-server, redis-cli, python3, PostgreSQL with the role eng/setup.sh creates (switchboard/switchboard),
# and `dotnet build Router.Worker -c Release` done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
events="${1:-200000}"; rate="${2:-20000}"; seconds="${3:-15}"
dll="$root/Router.Worker/bin/Release/net10.0/Router.Worker.dll"
[ -f "$dll" ] || { echo "build Router.Worker -c Release first"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
redis_port=$(free_port); http_port=$(free_port)
db="router_bench_$$"
export PGPASSWORD="${SWITCHBOARD_PG_PASSWORD:-switchboard}"; pg_user="${SWITCHBOARD_PG_USER:-switchboard}"
work=$(mktemp -d)
cleanup() {
  [ -n "${worker_pid:-}" ] && kill "$worker_pid" 2>/dev/null || true
  [ -n "${redis_pid:-}" ] && kill "$redis_pid" 2>/dev/null || true
  psql -h 127.0.0.1 -U "$pg_user" -d postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done
psql -h 127.0.0.1 -U "$pg_user" -d postgres -qc "CREATE DATABASE $db" >/dev/null

# RESP for XADD outcomes * e <json>: 6 deployments, 10 % failures, latencies 50-2000 ms, as the gateway writes them.
gen() { # gen COUNT OFFSET
  python3 - "$1" "$2" <<'PY'
import json, random, sys, datetime
n, off = int(sys.argv[1]), int(sys.argv[2])
deps = [("openai","gpt-4o-2024-08-06"),("anthropic","claude-3-5-sonnet-20241022"),("gemini","gemini-1.5-pro-002"),
        ("deepseek","deepseek-chat"),("qwen","qwen2.5-7b-instruct"),("mistral","mistral-small-2409")]
out = sys.stdout.buffer
for i in range(off, off + n):
    p, m = deps[i % 6]
    fail = random.random() < 0.1
    lat = random.uniform(50, 2000)
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(milliseconds=lat)
    e = {"requestId": f"b{i}", "attempt": 1, "startedAt": now.isoformat(), "route": "chat", "provider": p, "model": m,
         "outcome": "Failure" if fail else "Success", "status": 503 if fail else 200,
         "latencyMs": round(lat, 1), "ttftMs": None if fail else round(lat / 4, 1),
         "inputTokens": 20, "outputTokens": 0 if fail else 40, "clientStatus": 200, "gateway": "bench"}
    if fail: e["error"] = "ServerError"
    else: e["requestsLeft"] = 0.5; e["tokensLeft"] = 0.7
    b = json.dumps({k: v for k, v in e.items() if v is not None}, separators=(",", ":")).encode()
    parts = [b"XADD", b"outcomes", b"*", b"e", b]
    out.write(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in parts))
PY
}
group() { # prints "entries-read lag pending" of the router group, or "- - -"
  redis-cli -p "$redis_port" --raw XINFO GROUPS outcomes 2>/dev/null | python3 -c '
import sys
v=[l.rstrip("\n") for l in sys.stdin]
d=dict(zip(v[0::2], v[1::2])) if v else {}
print(d.get("entries-read") or "-", d.get("lag") or "-", d.get("pending") or "-") if d.get("name")=="router" else print("- - -")'
}

echo "== generating $events events"; gen "$events" 0 | redis-cli -p "$redis_port" --pipe >/dev/null
echo "   stream length $(redis-cli -p "$redis_port" XLEN outcomes); load $(cut -d' ' -f1-3 /proc/loadavg)"
doc='{"providers":{'
for p in openai anthropic gemini deepseek qwen mistral; do doc+="\"$p\":{\"type\":\"openai\",\"baseUrl\":\"http://127.0.0.1:9/v1\",\"apiKey\":\"x\"},"; done
doc="${doc%,}},\"routes\":{\"chat\":{\"targets\":[{\"provider\":\"openai\",\"model\":\"gpt-4o-2024-08-06\"}]}},\"monitoring\":{\"probeIntervalSeconds\":0,\"canaryIntervalSeconds\":0}}"

ConnectionStrings__redis="127.0.0.1:$redis_port" \
ConnectionStrings__controldb="Host=127.0.0.1;Username=$pg_user;Password=$PGPASSWORD;Database=$db" \
Switchboard__AdminKey=bench Switchboard__RoutingJson="$doc" Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production \
  dotnet "$dll" --urls "http://127.0.0.1:$http_port" >"$work/worker.log" 2>&1 &
worker_pid=$!

echo "== DRAIN"
start=""; t0=$(date +%s.%N)
while :; do
  read -r read_ lag pending < <(group)
  now=$(date +%s.%N)
  if [ "$read_" != "-" ] && [ "$read_" != "0" ] && [ -z "$start" ]; then start=$now; first=$read_; fi
  printf '   t=%5.1fs entries-read %s lag %s pending %s\n' "$(echo "$now - $t0" | bc)" "$read_" "$lag" "$pending"
  if [ "$lag" = "0" ] && [ "$pending" = "0" ]; then break; fi
  kill -0 "$worker_pid" 2>/dev/null || { echo "worker exited:"; tail -20 "$work/worker.log"; exit 1; }
  sleep 0.5
done
elapsed=$(echo "$now - $start" | bc)
echo "DRAIN $events events: $(echo "($events - $first) / $elapsed" | bc) events/s (from the first read to an empty backlog, ${elapsed}s); load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== LIVE: $rate events/s for $seconds s"
for s in $(seq 1 "$seconds"); do
  t=$(date +%s.%N)
  gen "$rate" $((events + s * rate)) | redis-cli -p "$redis_port" --pipe >/dev/null
  read -r read_ lag pending < <(group)
  printf '   second %2d: entries-read %s lag %s pending %s (produce took %.2fs)\n' "$s" "$read_" "$lag" "$pending" "$(echo "$(date +%s.%N) - $t" | bc)"
  rest=$(echo "1 - ($(date +%s.%N) - $t)" | bc); [ "${rest:0:1}" != "-" ] && sleep "$rest"
done
sleep 2; read -r read_ lag pending < <(group)
echo "LIVE end: lag $lag pending $pending (2 s after the producer stopped); load $(cut -d' ' -f1-3 /proc/loadavg)"
