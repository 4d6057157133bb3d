#!/usr/bin/env bash
# Checks that the sans-IO crates stay sans-IO: neither stateset-channels nor
# stateset-packet-handlers may depend (as a normal dependency, with the features they
# ask for themselves) on an async runtime, a network stack or a database. Prints the
# offending crate and package and exits 1 if one does.
set -euo pipefail
cd "$(dirname "$0")/.."

crates=(stateset-channels stateset-packet-handlers)
forbidden=(tokio tonic hyper sled rusqlite)

failed=0
for crate in "${crates[@]}"; do
  # `cargo tree -p X` resolves features for X alone, as a user of X gets them.
  tree=$(cargo tree -p "$crate" -e normal --prefix none)
  for package in "${forbidden[@]}"; do
    if grep -q "^${package} v" <<<"$tree"; then
      version=$(grep -m1 "^${package} v" <<<"$tree" | cut -d' ' -f2)
      echo "check-sans-io: $crate depends on $package $version (forbidden in a sans-IO crate)" >&2
      echo "  path: cargo tree -p $crate -e normal -i $package" >&2
      failed=1
    fi
  done
done

if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "check-sans-io: ${crates[*]} depend on none of: ${forbidden[*]}"
