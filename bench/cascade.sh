#!/usr/bin/env bash
# Issue 10's table: a labelled classification set (default 500 items) through always-cheap, always-expensive and a
# logprobs cascade, side by side, with pass/fail against the targets (>= 60% of the expensive cost saved, accuracy
# within 1 point of it). Needs no Redis: the gateway runs alone against Provider.Simulator's labelled mode.
# Usage: bench/cascade.sh [--items 500] [--concurrency 16] [--min-confidence 0.75] [--cheap-accuracy 0.85]
#                         [--expensive-accuracy 0.97] [--out results.md]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build "$root/bench/Switchboard.Bench" -c Release -nologo -clp:ErrorsOnly
exec dotnet "$root/bench/Switchboard.Bench/bin/Release/net10.0/Switchboard.Bench.dll" cascade "$@"
