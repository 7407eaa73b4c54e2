#!/usr/bin/env bash
# Runs every test of the solution (CPU only; GPU tests skip when no GPU is present).
# Usage: ./test.sh            (restores, builds Release, runs all tests)
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build UNComp.Compiler.sln -c Release -v minimal || exit 1
log=$(mktemp)
dotnet test UNComp.Compiler.sln -c Release --no-build -v minimal 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# One plain closing line summed over every test project.
awk '/(Passed|Failed)! +-/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
