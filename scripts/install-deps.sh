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
# Headless Chromium and its WebDriver server: the web console's browser test
# (e2e/tests/console_browser.rs) drives them.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
# A TrueType font for the text of the benchmark's plots (e2e/src/bench/plot.rs).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
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
# Node.js and npm build the web console (scripts/build-console; Vite needs Node 20.19+).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "Node.js (20.19 or newer) and npm are required to build the web console (relayer/console); install them from your distribution or nodejs.org" >&2
  exit 1
fi
node_version=$(node --version | sed 's/^v//')
if [ "$(printf '%s\n' 20.19.0 "$node_version" | sort -V | head -n 1)" != 20.19.0 ]; then
  echo "Node.js $node_version is too old for the web console's Vite: 20.19 or newer is required" >&2
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
echo "go: $(go version | awk '{print $3}'), $(cargo --version), node: v$node_version, npm: $(npm --version)"
