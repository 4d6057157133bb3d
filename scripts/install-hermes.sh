#!/usr/bin/env bash
# Installs Hermes (informalsystems' IBC relayer, crate `ibc-relayer-cli`) from crates.io
# into target/hermes/bin/hermes, for the comparison benchmark (scripts/bench).
#
# Version: 1.11.0, the newest release that builds here. From 1.12.0 on, Hermes
# (ibc-relayer >= 0.31) depends on the penumbra-sdk-* crates, whose proof-params crate
# downloads its proving keys from the network at build time; this machine reaches
# package registries only, so those releases cannot be built. 1.11.0 supports ibc-go v8
# chains (Hermes speaks ibc-go v8 since 1.8.0), which is what e2e/chains/ runs.
#
# Idempotent: does nothing when target/hermes/bin/hermes already reports this version.
# Takes 15-25 minutes on 2 cores the first time. Override the version with
# HERMES_VERSION=x.y.z (at your own risk).
set -euo pipefail

HERMES_VERSION="${HERMES_VERSION:-1.11.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/target/hermes"
bin="$dest/bin/hermes"

if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -q "$HERMES_VERSION"; then
  echo "hermes $HERMES_VERSION already installed at $bin"
  exit 0
fi

# Build requirements: libclang for bindgen, protoc for the protobuf build scripts.
need_apt=()
dpkg -s libclang-dev >/dev/null 2>&1 || need_apt+=(libclang-dev)
dpkg -s protobuf-compiler >/dev/null 2>&1 || need_apt+=(protobuf-compiler)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}"
fi

echo "building hermes $HERMES_VERSION into $dest (this takes a while)"
cargo install ibc-relayer-cli --version "$HERMES_VERSION" --bin hermes --locked --root "$dest"
"$bin" version
