#!/usr/bin/env bash
# Seed corpus for fuzz_pickle: every reference pickle and sample, each prefixed with the
# option byte the harness reads first (0 = default options).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/corpus/pickle/seed"
mkdir -p "$out"
for f in "$root"/tests/data/numpy-pickles/*.pkl "$root"/samples/*.pkl; do
  [ -f "$f" ] || continue
  { printf '\000'; cat "$f"; } > "$out/$(basename "$f")"
done
ls "$out" | wc -l
