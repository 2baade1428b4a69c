#!/usr/bin/env bash
# CPU profile of Provider.Simulator under the run.sh load (zero-latency profile, wrk -t2 -c64, post.lua):
# perf samples with the JIT's perf map (W^X off, else perf cannot map JIT code in the double-mapped memfd), then the top frames by self time and by inclusive time.
# Usage: bench/simulator/profile.sh [port] [seconds] [output-dir]      defaults: 9397 10 /tmp/simulator-profile
#   Environment: SIM_DLL (another build), WARMUP (15s), SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT="${1:-9397}"
SECONDS_TO_RECORD="${2:-10}"
OUT="${3:-/tmp/simulator-profile}"
mkdir -p "$OUT"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  dotnet build Provider.Simulator -c Release -v q -nologo -clp:ErrorsOnly >/dev/null
fi
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet "${SIM_DLL:-Provider.Simulator/bin/Release/net10.0/Provider.Simulator.dll}" --urls "http://127.0.0.1:${PORT}" >"$OUT/sim.log" 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:${PORT}/alive" >/dev/null && break; sleep 0.2; done
curl -sf -X PUT "http://127.0.0.1:${PORT}/_sim/providers/bench" -H 'Content-Type: application/json' \
  -d '{"type":"openai","ttftMs":{"p50":0,"p99":0},"tokensPerSecond":0,"outputTokens":40}' >/dev/null
URL="http://127.0.0.1:${PORT}/bench/v1/chat/completions"
# Warm-up long enough for tier-1 code (on a loaded machine the JIT was still busy after 5 s).
timeout 120 wrk -t2 -c64 -d"${WARMUP:-15s}" -s bench/simulator/post.lua "$URL" >/dev/null
timeout 120 wrk -t2 -c64 -d"$((SECONDS_TO_RECORD + 4))s" -s bench/simulator/post.lua "$URL" >"$OUT/wrk.txt" &
WRK=$!
sleep 2
perf record -F 499 -g -p "$SIM" -o "$OUT/perf.data" -- sleep "$SECONDS_TO_RECORD" 2>"$OUT/perf-record.log"
wait $WRK
perf report -i "$OUT/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -v '^$' | grep -E '^ +[0-9]' | head -40 >"$OUT/self.txt" || true
perf report -i "$OUT/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -80 >"$OUT/children.txt" || true
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E 'Requests/sec' "$OUT/wrk.txt"
echo "== self time"; cat "$OUT/self.txt"
echo "== inclusive"; cat "$OUT/children.txt"
