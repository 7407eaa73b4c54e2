#!/usr/bin/env bash
# Runs every test of the solution (CPU only; GPU tests skip when no GPU is present), then the packaging test.
# Usage: ./test.sh            (restores, builds Release, runs all tests)
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build UNComp.Compiler.sln -c Release -v minimal || exit 1
log=$(mktemp)
dotnet test UNComp.Compiler.sln -c Release --no-build -v minimal 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
read -r passed failed skipped < <(awk '/(Passed|Failed|Skipped)! +-/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d %d %d\n", p, f, s }' "$log")
rm -f "$log"

# Packaging test: pack runtime, generator and CLI to a local feed, then build and run the sample from those
# packages only and install the tool from the feed (tools/packaging/pack-and-build.sh, about a minute).
if [ "$status" -eq 0 ]; then
  plog=$(mktemp "${TMPDIR:-/tmp}/uncomp-packaging.XXXXXX.log")
  if tools/packaging/pack-and-build.sh > "$plog" 2>&1; then
    tail -1 "$plog"; passed=$((passed + 1))
  else
    tail -40 "$plog"; echo "packaging test FAILED (full log: $plog)"; failed=$((failed + 1)); status=1
  fi
fi

# The standard-library Python tests of tools/ (results scripts): counted with the rest; skipped without python3.
if command -v python3 > /dev/null; then
  for dir in $(find tools -name 'test_*.py' -printf '%h\n' | sort -u); do
    pylog=$(mktemp)
    python3 -m unittest discover -s "$dir" -p 'test_*.py' > "$pylog" 2>&1
    pystatus=$?
    ran=$(sed -n 's/^Ran \([0-9]*\) tests\?.*/\1/p' "$pylog")
    ran=${ran:-0}
    if [ "$pystatus" -eq 0 ]; then
      passed=$((passed + ran)); echo "python tests in $dir: $ran passed"
    else
      tail -30 "$pylog"; echo "python tests in $dir FAILED"; failed=$((failed + 1)); status=1
    fi
    rm -f "$pylog"
  done
else
  echo "python3 not found: the Python tests of tools/ were skipped"
fi

# One plain closing line summed over every test project (and the packaging test).
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
