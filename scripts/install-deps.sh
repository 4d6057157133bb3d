#!/usr/bin/env bash
# Installs what a fresh machine lacks for building and testing the relayer.
# Idempotent: on a prepared machine it only checks.
set -euo pipefail

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v curl >/dev/null || need_apt+=(curl)
command -v jq >/dev/null || need_apt+=(jq)
# promtool checks the alert rules, the scrape config and live /metrics.
command -v promtool >/dev/null || need_apt+=(prometheus)
# SoftHSM2: the PKCS#11 token the HSM signer's tests (relayer/tests/hsm.rs) run against.
{ command -v softhsm2-util >/dev/null && [ -f /usr/lib/softhsm/libsofthsm2.so ]; } || need_apt+=(softhsm2)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

if ! command -v go >/dev/null; then
  echo "Go is required (1.22 or newer) to build ibc-go's simd; install it from Debian (golang) or your distribution" >&2
  exit 1
fi
if ! command -v cargo >/dev/null; then
  echo "Rust (cargo) is required; install it with rustup" >&2
  exit 1
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    rustup component add "$component"
  fi
done
echo "go: $(go version | awk '{print $3}'), $(cargo --version)"
