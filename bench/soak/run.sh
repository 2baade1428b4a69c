#!/usr/bin/env bash
# Soak: Switchboard (2 gateway replicas, Router.Worker, Metrics.Service, Redis, a private PostgreSQL cluster,
# Provider.Simulator: real processes on 127.0.0.1) under a steady open-loop load, with Redis killed for 20 s,
# Metrics.Service SIGKILLed and PostgreSQL stopped for 30 s on a schedule. One row a minute: requests, errors,
# p99, RSS of every process; at the end events sent vs recorded. Exit 1 on any failed request or lost event.
# Usage: bench/soak/run.sh [--minutes 30] [--rate 300] [--out results.md]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v redis-server >/dev/null || bash "$root/eng/setup.sh"
dotnet build "$root/bench/soak/Switchboard.Soak" -c Release -nologo -clp:ErrorsOnly
exec dotnet "$root/bench/soak/Switchboard.Soak/bin/Release/net10.0/Switchboard.Soak.dll" "$@"
