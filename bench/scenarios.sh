#!/usr/bin/env bash
# Issue 5's seed scenarios (TTFT tail + hedging, 503s, refused connections, 429s, hedging overhead,
# shared budget across two replicas), each direct vs through Switchboard, one table.
# Usage: bench/scenarios.sh [--seconds 30] [--rate 500 (scenario rate = rate/25)] [--out results.md]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v redis-server >/dev/null || bash "$root/eng/setup.sh"
dotnet build "$root/bench/Switchboard.Bench" -c Release -nologo -clp:ErrorsOnly
exec dotnet "$root/bench/Switchboard.Bench/bin/Release/net10.0/Switchboard.Bench.dll" scenarios "$@"
