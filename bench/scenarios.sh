#!/usr/bin/env bash
# Issue 5's seed scenarios (TTFT tail + hedging, 503s, refused connections, 429s, hedging overhead,
# shared budget across two replicas), each direct vs through Switchboard, one table with a pass/fail column.
# Usage: bench/scenarios.sh [--seconds 30] [--rate 500 (scenario rate = rate/25 req/s)] [--out results.md]
# Exit status 1 when a scenario misses its target. Takes about 6 minutes with the defaults.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v redis-server >/dev/null || bash "$root/eng/setup.sh"
dotnet build "$root/bench/Switchboard.Bench" -c Release -nologo -clp:ErrorsOnly
args=("$@")
[[ " ${args[*]-} " == *" --seconds "* ]] || args+=(--seconds 30)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
exec dotnet "$root/bench/Switchboard.Bench/bin/Release/net10.0/Switchboard.Bench.dll" scenarios "${args[@]}"
