#!/usr/bin/env bash
# Builds ibc-go's simd from the Go module e2e/chains/ibc-go-VERSION into
# ${CARGO_TARGET_DIR:-<repo>/target}/e2e-bin/simd-VERSION and prints the binary's path
# on its last line.
#
# The build is skipped when the binary exists and its stamp file holds the sha256 of
# the module's go.mod and go.sum, so calling this again with an unchanged go.sum takes
# well under a second. A relative CARGO_TARGET_DIR is taken relative to the repository
# root. Concurrent callers are serialised with flock(1) when it is available.
#
# Usage: e2e/scripts/build-simd.sh VERSION      (v8, v10 or v11)
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 VERSION   (e.g. v8; builds e2e/chains/ibc-go-VERSION)" >&2
  exit 2
fi
version=$1

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/../.." && pwd)
module="$root/e2e/chains/ibc-go-$version"
if [ ! -f "$module/go.mod" ] || [ ! -f "$module/go.sum" ]; then
  echo "no Go module at $module (go.mod and go.sum expected)" >&2
  exit 1
fi

target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$target_dir" in
  /*) ;;
  *) target_dir="$root/$target_dir" ;;
esac
out_dir="$target_dir/e2e-bin"
out="$out_dir/simd-$version"
stamp="$out.stamp"
mkdir -p "$out_dir"

# One build at a time across processes (test binaries, devnet, CI steps).
if command -v flock >/dev/null; then
  exec 9>"$out.lock"
  flock 9
fi

# The simd package is the module's `tool` directive: ibc-go's simapp for that major
# (github.com/cosmos/ibc-go/v8/testing/simapp/simd for v8; from v10 on simapp is its own
# module, github.com/cosmos/ibc-go/simapp/simd, which the module replaces with its ./simapp).
tool_pkg=$(awk '$1 == "tool" && $2 ~ /simapp\/simd$/ { print $2; exit }' "$module/go.mod")
if [ -z "$tool_pkg" ]; then
  tool_pkg="github.com/cosmos/ibc-go/$version/testing/simapp/simd"
fi

want=$(cat "$module/go.mod" "$module/go.sum" | sha256sum | awk '{ print $1 }')
have=$(cat "$stamp" 2>/dev/null || true)
if [ -x "$out" ] && [ "$have" = "$want" ]; then
  echo "simd $version is up to date (go.mod/go.sum sha256 ${want:0:12})" >&2
else
  if ! command -v go >/dev/null; then
    echo "Go is required (go $(awk '$1 == "go" { print $2; exit }' "$module/go.mod") or newer) to build simd $version" >&2
    exit 1
  fi
  echo "building simd $version ($tool_pkg) with $(go version | awk '{ print $3 }')" >&2
  started=$(date +%s)
  (cd "$module" && go build -o "$out.tmp" "$tool_pkg")
  mv -f "$out.tmp" "$out"
  echo "$want" >"$stamp"
  echo "built simd $version in $(( $(date +%s) - started ))s" >&2
fi

echo "$out"
