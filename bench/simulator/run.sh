#!/usr/bin/env bash
# Throughput of Provider.Simulator with a zero-latency profile: it must never be what caps a gateway benchmark.
# Usage: bench/simulator/run.sh [port] [duration]   (Release build, wrk -t2 -c64, POST body from post.lua)
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT="${1:-9399}"
DURATION="${2:-10s}"
dotnet build Provider.Simulator -c Release -v q -nologo >/dev/null
dotnet Provider.Simulator/bin/Release/net10.0/Provider.Simulator.dll --urls "http://127.0.0.1:${PORT}" >/tmp/simulator-bench.log 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:${PORT}/alive" >/dev/null && break; sleep 0.2; done
curl -sf -X PUT "http://127.0.0.1:${PORT}/_sim/providers/bench" -H 'Content-Type: application/json' \
  -d '{"type":"openai","ttftMs":{"p50":0,"p99":0},"tokensPerSecond":0,"outputTokens":40}' >/dev/null
# Warm up (JIT, tiered compilation), then measure.
wrk -t2 -c64 -d3s -s bench/simulator/post.lua "http://127.0.0.1:${PORT}/bench/v1/chat/completions" >/dev/null
wrk -t2 -c64 -d"${DURATION}" -s bench/simulator/post.lua "http://127.0.0.1:${PORT}/bench/v1/chat/completions"
curl -s "http://127.0.0.1:${PORT}/_sim/providers/bench/stats"; echo
