#!/usr/bin/env bash
# Builds what the GPU machine needs into .carry/ (git-ignored; name it in the device tool's `carry`). The GPU machine
# has no .NET, and the device tool carries at most 64 MiB (tracked tree + carry), so nothing needs a .NET runtime:
#   .carry/uncomp.tar.xz     uncomp/uncomp   the CLI, NativeAOT (linux-x64, x86-64-v3: see CARRY_ISA), serve included
#   .carry/gputests.tar.xz   gputests/       the GPU test executable (gputests/UNComp.Runtime.GpuTests),
#                                            self-contained with the framework trimmed
#   .carry/needle.tar.xz     needle/         samples/FixtureNeedle, NativeAOT (tools/gpu/all.sh runs it with --device cuda)
# Name the archives a call needs in `carry` (tools/gpu/test.sh: gputests; bench.sh, cpu-bench.sh: uncomp; all.sh: both)
# rather than all of .carry/, which may also hold the evaluation model's training data (.carry/fixture, 15.5 MB).
# Before packing, both are smoke-checked here: every test is discovered and none errs or fails (they skip without a
# GPU), and `uncomp run` generates on models/fixture-llama.
# Usage: tools/gpu/build-carry.sh        (a few minutes: the NativeAOT compile is most of it)
# The CLI's CPU kernels are compiled for x86-64-v3 (AVX2), which runs on any recent x64 host; the JIT would use AVX-512
# where the CPU has it. For CPU benchmarks on a host with AVX-512 (the GPU machine's Xeon has it):
#   CARRY_ISA=x86-64-v4 tools/gpu/build-carry.sh    (`uncomp bench` then reports "kernels avx512"; the binary refuses
#                                                     to start on a CPU without AVX-512)
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .carry
rm -f .carry/dotnet-rt.tar.xz .carry/apps.tar.xz   # earlier versions' runtime (25 MB of the 64 MiB) and apps
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dotnet publish tests/Runtime.GpuTests -c Release -r linux-x64 --self-contained true -p:PublishTrimmed=true \
  -o "$stage/gputests" -v q -nologo
dotnet publish src/Cli -c Release -r linux-x64 -p:PublishAot=true -p:IlcInstructionSet="${CARRY_ISA:-x86-64-v3}" \
  -o "$stage/uncomp" -v q -nologo
dotnet publish samples/FixtureNeedle -c Release -r linux-x64 -p:PublishAot=true -o "$stage/needle" -v q -nologo
# The test executable runs itself (xunit.v3 in-process runner): what the VSTest adapter and code coverage copy in, the
# runtime's debugger, dump and tracing libraries, satellite resources, symbols and docs are not needed there.
( cd "$stage/gputests" && rm -rf CodeCoverage x86 x64 arm64 alpine macos ubuntu InstrumentationEngine Microsoft.CodeCoverage.* \
    Microsoft.TestPlatform.* Microsoft.VisualStudio.* Microsoft.DiaSymReader.dll testhost* xunit.runner.visualstudio.* Mono.Cecil* \
    createdump libmscordaccore.so libmscordbi.so libclrgc.so libclrgcexp.so libcoreclrtraceptprovider.so \
    cs de es fr it ja ko pl pt-BR ru tr zh-Hans zh-Hant )
find "$stage" \( -name '*.pdb' -o -name '*.xml' -o -name '*.dbg' \) -delete

# Smoke checks: the trimmed test executable discovers every test and none errs or fails; the native CLI generates.
log=$(UNCOMP_REPO_ROOT=$PWD "$stage/gputests/UNComp.Runtime.GpuTests" -noColor 2>&1 || true)
summary=$(grep -E "Total: [0-9]+" <<< "$log" | sed 's/^ *//' || true)
echo "carry check, trimmed GPU tests: $summary"
if ! [[ $summary =~ Total:\ [1-9][0-9]*,\ Errors:\ 0,\ Failed:\ 0, ]]; then
  tail -40 <<< "$log" >&2
  echo "build-carry: the trimmed GPU test executable did not discover and run its tests cleanly (output above)" >&2
  exit 1
fi
"$stage/uncomp/uncomp" run --model models/fixture-llama --prompt "The grass is" --max-new 4 --threads 1 --device cpu 2>&1 \
  | tail -2 | sed 's/^/carry check, native CLI: /'

tar cf - -C "$stage" uncomp | xz -T2 -9 > .carry/uncomp.tar.xz
tar cf - -C "$stage" gputests | xz -T2 -9 > .carry/gputests.tar.xz
tar cf - -C "$stage" needle | xz -T2 -9 > .carry/needle.tar.xz
du -b .carry/* | sed 's/^/carry bytes: /'
