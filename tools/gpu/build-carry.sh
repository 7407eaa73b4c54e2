#!/usr/bin/env bash
# Builds what the GPU machine needs into .carry/ (git-ignored; name it in the device tool's `carry`):
#   .carry/dotnet-rt.tar.xz   this machine's .NET runtime (the GPU machine has no .NET)
#   .carry/apps.tar.xz        gputests/ (the GPU test executable) and uncomp/ (the CLI), framework-dependent
# Usage: tools/gpu/build-carry.sh        (about a minute; the runtime tarball is made once)
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .carry
if [ ! -f .carry/dotnet-rt.tar.xz ]; then
  root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  tar cf - -C "$root" dotnet host shared/Microsoft.NETCore.App | xz -T2 -9 > .carry/dotnet-rt.tar.xz
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dotnet publish tests/Runtime.GpuTests -c Release -r linux-x64 --self-contained false -o "$stage/gputests" -v q -nologo
dotnet publish src/Cli -c Release -r linux-x64 --self-contained false -p:PublishAot=false -o "$stage/uncomp" -v q -nologo
# The test executable runs itself (xunit.v3 in-process runner): the VSTest adapter, code coverage and their native
# folders are only for `dotnet test` here.
( cd "$stage/gputests" && rm -rf CodeCoverage x86 x64 arm64 alpine macos ubuntu InstrumentationEngine Microsoft.CodeCoverage.* \
    Microsoft.TestPlatform.* Microsoft.VisualStudio.* testhost* xunit.runner.visualstudio.* Mono.Cecil* )
find "$stage" \( -name '*.pdb' -o -name '*.xml' \) -delete
tar cf - -C "$stage" gputests uncomp | xz -T2 -9 > .carry/apps.tar.xz
du -sh .carry/* | sed 's/^/carry: /'
