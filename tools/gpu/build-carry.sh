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
# The carried runtime holds Microsoft.NETCore.App only (ASP.NET Core would push the carried tree over the device
# tool's 64 MiB). Only `uncomp serve` needs ASP.NET Core and its types load lazily, so the CLI's runtimeconfig keeps
# the base framework alone: run, bench and eval work there; serve answers with a one-line error.
python3 - "$stage/uncomp/uncomp.runtimeconfig.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
frameworks = config["runtimeOptions"].pop("frameworks", None)
if frameworks:
    config["runtimeOptions"]["framework"] = next(f for f in frameworks if f["name"] == "Microsoft.NETCore.App")
json.dump(config, open(path, "w"), indent=2)
PY
tar cf - -C "$stage" gputests uncomp | xz -T2 -9 > .carry/apps.tar.xz
du -sh .carry/* | sed 's/^/carry: /'
