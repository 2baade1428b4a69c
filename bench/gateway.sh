#!/usr/bin/env bash
# Issue 4's side-by-side table: direct vs Switchboard vs bare YARP vs bare forwarder vs Portkey, medians of N rounds, this machine.
# Usage: bench/gateway.sh [--seconds 10] [--connections 64] [--rate 500] [--rounds 3] [--upstream nginx|simulator] [--no-portkey] [--out results.md]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# nginx replays the simulator's answers as the quiet upstream (--upstream simulator does without it). The package
# starts a system nginx on port 80: stopped again when this script installed it.
if [[ " $* " != *" --upstream simulator "* ]] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  apt-get update -qq && apt-get install -y -qq nginx-light >/dev/null && { service nginx stop >/dev/null 2>&1 || true; }
fi
command -v redis-server >/dev/null || bash "$root/eng/setup.sh"
if [[ " $* " != *" --no-portkey "* ]]; then
  (cd "$root/bench/portkey" && [ -d node_modules/@portkey-ai/gateway ] || npm install --no-audit --no-fund --silent)
fi
dotnet build "$root/bench/Switchboard.Bench" -c Release -nologo -clp:ErrorsOnly
exec dotnet "$root/bench/Switchboard.Bench/bin/Release/net10.0/Switchboard.Bench.dll" gateway "$@"
