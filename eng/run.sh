#!/usr/bin/env bash
# Runs the whole of Switchboard under the Aspire dashboard on a machine without Docker:
# installs and starts Redis/PostgreSQL (eng/setup.sh), then `dotnet run --project AppHost` (http profile).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash eng/setup.sh
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true
echo "run: starting the app host; the dashboard URL (with its login token) follows."
echo "run: admin UI and gateway URLs are listed in the dashboard; admin key: dotnet user-secrets list --project AppHost"
# exec: Ctrl+C reaches the app host directly, which stops every child it started.
exec dotnet run --project AppHost --launch-profile http -- "$@"
