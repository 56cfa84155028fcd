#!/usr/bin/env bash
# Install into a scratch prefix, then build a consumer with pkg-config and with CMake's
# find_package, and run both on a bundled sample.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$root/$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -1 | xargs dirname)
PKG_CONFIG_PATH="$libdir/pkgconfig" cc -o "$prefix/consumer_pc" "$root/tests/install/consumer.c" \
  $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs npguard) -Wl,-rpath,"$libdir"
"$prefix/consumer_pc" "$root/samples/seed_dict_p4.pkl"
cmake -S "$root/tests/install" -B "$prefix/cm" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cm" >/dev/null
"$prefix/cm/consumer" "$root/samples/seed_dict_p4.pkl"
"$prefix/bin/npguard" --version
echo "install check: ok"
