#!/usr/bin/env bash
# Issue 4's side-by-side table: direct vs Switchboard vs bare YARP vs bare forwarder vs Portkey, medians of N rounds, this machine.
# Usage: bench/gateway.sh [--seconds 10] [--connections 64] [--rate 500] [--rounds 3] [--no-portkey] [--out results.md]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v redis-server >/dev/null || bash "$root/eng/setup.sh"
if [[ " $* " != *" --no-portkey "* ]]; then
  (cd "$root/bench/portkey" && [ -d node_modules/@portkey-ai/gateway ] || npm install --no-audit --no-fund --silent)
fi
dotnet build "$root/bench/Switchboard.Bench" -c Release -nologo -clp:ErrorsOnly
exec dotnet "$root/bench/Switchboard.Bench/bin/Release/net10.0/Switchboard.Bench.dll" gateway "$@"
