#!/usr/bin/env bash
# Checks the code and dependency invariants of ARCHITECTURE.md ("Invariants"), one rule
# each, named as there: which crate may depend on what (`cargo tree`, normal
# dependencies, features as a user of the crate gets them) and what the sources may
# contain (`grep`; lines that are only a comment are ignored). Prints `ok` or `FAILED`
# per rule, the offending lines under a failed one, and exits 1 if any rule fails.
# Complements scripts/check-sans-io.sh (run before it by scripts/test).
set -euo pipefail
cd "$(dirname "$0")/.."

failed=()

report() { # RULE DESCRIPTION OFFENDING-LINES
  if [ -z "$3" ]; then
    echo "check-architecture: ok      $1: $2"
  else
    echo "check-architecture: FAILED  $1: $2" >&2
    sed 's/^/    /' <<<"$3" >&2
    failed+=("$1")
  fi
}

# deps RULE CRATE FORBIDDEN-PACKAGE...: CRATE's normal dependency tree holds none of them.
deps() {
  local rule=$1 crate=$2 tree package line hits=""
  shift 2
  # `cargo tree -p X` resolves features for X alone, as a user of X gets them.
  if ! tree=$(cargo tree --locked -e normal -p "$crate" --prefix none 2>&1); then
    report "$rule" "cargo tree -p $crate" "$tree"
    return
  fi
  for package in "$@"; do
    if line=$(grep -m1 "^${package} v" <<<"$tree"); then
      hits+="$crate depends on ${line% (\*)} (see: cargo tree -e normal -p $crate -i $package)"$'\n'
    fi
  done
  report "$rule" "$crate depends on none of: $*" "${hits%$'\n'}"
}

# code RULE DESCRIPTION PATTERN PATH...: no line of the .rs files under PATH matches the
# extended regex PATTERN, except lines that are only a comment.
code() {
  local rule=$1 what=$2 pattern=$3 path raw rc
  shift 3
  for path in "$@"; do
    if [ ! -e "$path" ]; then
      report "$rule" "$what" "$path does not exist: update ARCHITECTURE.md and scripts/check-architecture.sh"
      return
    fi
  done
  rc=0
  raw=$(grep -rnHE --include='*.rs' -e "$pattern" -- "$@") || rc=$?
  if [ "$rc" -gt 1 ]; then
    report "$rule" "$what" "grep failed (status $rc)"
    return
  fi
  report "$rule" "$what" "$(grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' <<<"$raw" || true)"
}

# The relayer crate's sources outside its command line (cli/ and main.rs print to stdout).
mapfile -t relayer_lib < <(find relayer/src -name '*.rs' -not -path 'relayer/src/cli/*' \
  -not -path 'relayer/src/main.rs' | sort)

# Dependencies.
for crate in stateset-channels stateset-packet-handlers; do
  deps sans-io-deps "$crate" tokio tonic hyper hyper-util h2 mio socket2 reqwest sled rusqlite \
    tendermint-rpc stateset-relayer
done
deps monitoring-deps stateset-monitoring stateset-relayer tokio hyper hyper-util tonic \
  reqwest mio

# Sources.
code no-sockets "channels/, packet-handlers/, monitoring/ open no sockets (std::net, tokio::net, socket types)" \
  '\b(std|tokio|async_std)::net\b|\bnet::|\b(TcpStream|TcpListener|TcpSocket|UdpSocket|UnixStream|UnixListener|UnixDatagram|ToSocketAddrs)\b' \
  channels/src packet-handlers/src monitoring/src
code no-clock-fs "channels/, packet-handlers/ read no clock, file, environment, process or thread" \
  '\bstd::(fs|env|process|thread)\b|\b(SystemTime|Instant)\b|::now\(' \
  channels/src packet-handlers/src
code no-unsafe "channels/, packet-handlers/, monitoring/ and relayer/src contain no unsafe" \
  '\bunsafe\b' \
  channels packet-handlers monitoring relayer/src
code no-print "library code prints nothing (print!, println!, eprint!, eprintln!, dbg!): logs go through tracing" \
  '\b(print|println|eprint|eprintln|dbg)!' \
  channels/src packet-handlers/src monitoring/src "${relayer_lib[@]}"

if [ "${#failed[@]}" -ne 0 ]; then
  echo "check-architecture: ${#failed[@]} rule(s) failed: ${failed[*]} (see ARCHITECTURE.md, \"Invariants\")" >&2
  exit 1
fi
echo "check-architecture: every invariant holds"
