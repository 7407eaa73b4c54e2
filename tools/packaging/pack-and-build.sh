#!/usr/bin/env bash
# Proves the packaging path: packs UNComp.Runtime, UNComp.Generators (analyzer in analyzers/dotnet/cs, MSBuild
# props/targets in build/) and the uncomp CLI tool into a local folder feed, then builds and runs a consumer
# that gets all three from that feed only (no project references), and installs the tool from it.
#
# Usage: tools/packaging/pack-and-build.sh [work-dir]      (default: a new $TMPDIR/uncomp-packaging.XXXXXX)
# Also publishes the sample from the packages as a NativeAOT executable (zero AOT/trim warnings) and runs it.
# Takes about 2-3 minutes on 2 cores. Every run uses a fresh pre-release version, so no stale copy in the NuGet
# cache is ever reused.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# A fresh folder per run by default: several checkouts on one machine must not delete each other's work dir.
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/uncomp-packaging.XXXXXX")}
own_work=$([[ $# -eq 0 ]] && echo yes || echo no)   # a folder this run made is removed again on success
version="0.1.0-local.$(date +%Y%m%d%H%M%S)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

rm -rf "$work"
mkdir -p "$work/feed" "$work/consumer/profiles"
for project in src/Runtime/UNComp.Runtime.csproj src/Generators/UNComp.Generators/UNComp.Generators.csproj src/Cli/UNComp.Cli.csproj; do
  dotnet pack "$root/$project" -c Release -o "$work/feed" -p:Version="$version" -v minimal
done

generator="$work/feed/UNComp.Generators.$version.nupkg"
listing=$(unzip -l "$generator")   # read once: grep -q on a pipe would cut unzip off (SIGPIPE under pipefail)
for entry in analyzers/dotnet/cs/UNComp.Generators.dll build/UNComp.Generators.props build/UNComp.Generators.targets; do
  grep -q " $entry\$" <<<"$listing" || { echo "FAIL: $entry missing from $(basename "$generator")"; exit 1; }
done
if grep -q " lib/" <<<"$listing"; then echo "FAIL: the generator package must not put the analyzer in lib/"; exit 1; fi

# A consumer outside the repository (so none of the repo's Directory.*.props apply) that sees only the feed and
# nuget.org. One UNCompProfile line compiles the profile; ClassName pins the generated class name.
cp "$root/tests/Generators.Tests/Profiles/gqa-two-groups.uncomp.json" "$work/consumer/profiles/"
cat > "$work/consumer/NuGet.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
cat > "$work/consumer/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <GenerateDocumentationFile>true</GenerateDocumentationFile>
    <IsAotCompatible>true</IsAotCompatible>
    <RootNamespace>Consumer</RootNamespace>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="UNComp.Runtime" Version="$version" />
    <PackageReference Include="UNComp.Generators" Version="$version" PrivateAssets="all" />
    <UNCompProfile Include="profiles/gqa-two-groups.uncomp.json" ClassName="CompiledModel" />
  </ItemGroup>
</Project>
XML
cat > "$work/consumer/Program.cs" <<'CS'
using UNComp.Runtime.Models;

// The constants come from the profile at build time; CreateLayout is the generated runtime half calling the
// packaged runtime, and it checks every unit's offset against the compiled plan.
var config = new ModelConfig
{
    Architecture = Consumer.CompiledModel.Architecture,
    NumLayers = Consumer.CompiledModel.NumLayers,
    HiddenSize = Consumer.CompiledModel.HiddenSize,
    NumAttentionHeads = Consumer.CompiledModel.NumAttentionHeads,
    NumKeyValueHeads = Consumer.CompiledModel.NumKeyValueHeads,
    HeadDim = Consumer.CompiledModel.HeadDim,
    IntermediateSize = 4 * Consumer.CompiledModel.HiddenSize,
    VocabSize = Consumer.CompiledModel.VocabSize,
};
var layout = Consumer.CompiledModel.CreateLayout(config);
Console.WriteLine($"profile {Consumer.CompiledModel.ProfileName}: {Consumer.CompiledModel.KvBytesFp32} KV bytes (fp32), layout {layout.Bytes} bytes");
return layout.Bytes == Consumer.CompiledModel.KvBytesFp32 ? 0 : 1;
CS

dotnet build "$work/consumer/Consumer.csproj" -c Release -v minimal
dotnet run --project "$work/consumer/Consumer.csproj" -c Release --no-build

# The repository's sample, built from the packages alone (a copy outside the repository, UNCompUsePackages=true),
# once the fixture profile it compiles exists; with the fixture model present it also runs.
profile="$root/profiles/fixture-llama.uncomp.json"
if [[ -f "$root/samples/FixtureNeedle/FixtureNeedle.csproj" && -f "$profile" ]]; then
  mkdir -p "$work/sample"
  cp "$root"/samples/FixtureNeedle/*.cs "$root/samples/FixtureNeedle/FixtureNeedle.csproj" "$work/sample/"
  cp "$work/consumer/NuGet.config" "$work/sample/"
  cat > "$work/sample/Directory.Packages.props" <<XML
<Project>
  <PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup>
</Project>
XML
  dotnet build "$work/sample/FixtureNeedle.csproj" -c Release -v minimal -p:UNCompUsePackages=true \
    -p:UNCompPackageVersion="$version" -p:UNCompSampleProfile="$profile" -p:TreatWarningsAsErrors=true
  if [[ -f "$root/models/fixture-llama/config.json" ]]; then
    dotnet "$work/sample/bin/Release/net10.0/FixtureNeedle.dll" "$root/models/fixture-llama"
  fi

  # The same sample as a NativeAOT executable, from the packages: any AOT or trim warning fails the publish
  # (TreatWarningsAsErrors reaches ILC), and the native binary must give the same answers.
  dotnet publish "$work/sample/FixtureNeedle.csproj" -c Release -r linux-x64 -p:PublishAot=true -v minimal \
    -p:UNCompUsePackages=true -p:UNCompPackageVersion="$version" -p:UNCompSampleProfile="$profile" \
    -p:TreatWarningsAsErrors=true -o "$work/sample/native"
  native="$work/sample/native/FixtureNeedle"
  [[ -x "$native" ]] || { echo "FAIL: NativeAOT publish produced no executable at $native"; exit 1; }
  echo "native executable: $(stat -c %s "$native") bytes"
  if [[ -f "$root/models/fixture-llama/config.json" ]]; then
    "$native" "$root/models/fixture-llama"
  fi
else
  echo "note: samples/FixtureNeedle or profiles/fixture-llama.uncomp.json missing; built the minimal consumer only"
fi

dotnet tool install UNComp.Cli --tool-path "$work/tool" --add-source "$work/feed" --version "$version" >/dev/null
"$work/tool/uncomp" --help >/dev/null
echo "packaging OK: runtime, generator and CLI $version from $work/feed"
if [[ "$own_work" == yes ]]; then rm -rf "$work"; fi
