#!/usr/bin/env bash
# Runs every test: installs and starts what the tests need (eng/setup.sh), builds once, runs each test
# project, and ends with dotnet test's own summary lines plus one line "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash eng/setup.sh || exit 1
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
export DOTNET_CLI_TELEMETRY_OPTOUT=1

dotnet build Aspire.sln -c Release -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }

results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
filter="${SWITCHBOARD_TEST_FILTER:-}"
status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  echo "=== $name"
  args=(test "$project" -c Release --no-build --nologo
        --logger "trx;LogFileName=$name.trx" --results-directory "$results"
        --blame-hang-timeout 10m)
  [ -n "$filter" ] && args+=(--filter "$filter")
  dotnet "${args[@]}" 2>&1 | tee "$results/$name.log" | grep -vE '^\s*$' | tail -n 40
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done

# One total over every project, from dotnet test's own summary lines.
passed=0; failed=0
for log in "$results"/*.log; do
  line=$(grep -E '^(Passed|Failed)!' "$log" | tail -1)
  p=$(echo "$line" | sed -nE 's/.*Passed: *([0-9]+).*/\1/p'); f=$(echo "$line" | sed -nE 's/.*Failed: *([0-9]+).*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  [ -z "$line" ] && grep -q 'error' "$log" && failed=$((failed + 1))
done
echo
grep -hE '^(Passed|Failed)!' "$results"/*.log
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
