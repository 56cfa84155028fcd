#!/usr/bin/env bash
# Seed corpora and dictionaries for the fuzz targets. Every seed starts with the option byte the
# harnesses read first (0 = default options).
#   corpus/pickle/seed/   every reference pickle (tests/data/numpy-pickles) and sample pickle
#   corpus/{npy,zip,audit,convert}/seed/   made by make_seeds.py (emptied and rewritten)
#   fuzz/dict/*.dict      made by make_dicts.py from src/pickle/opcodes.h and globals.c,
#                         then checked by check_dicts.py
# corpus/pickle/regress/ (minimised crashers) is left alone. Deterministic: the same NumPy and
# zlib give the same bytes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

out="$root/corpus/pickle/seed"
mkdir -p "$out"
for f in "$root"/tests/data/numpy-pickles/*.pkl; do
  { printf '\000'; cat "$f"; } > "$out/$(basename "$f")"
done
for f in "$root"/samples/*.pkl; do # prefixed: some share a name with a reference pickle
  { printf '\000'; cat "$f"; } > "$out/sample_$(basename "$f")"
done
echo "pickle: $(ls "$out" | wc -l) seeds"

# Debian's python3 with python3-numpy (a pyenv python3 without NumPy may come first on PATH)
py=$(command -v -p python3)
"$py" -c 'import numpy' 2>/dev/null || { echo "$py has no numpy: apt-get install python3-numpy" >&2; exit 1; }
export PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
"$py" "$root/corpus/make_seeds.py" "$root"
"$py" "$root/corpus/make_dicts.py" "$root"
"$py" "$root/corpus/check_dicts.py" "$root"/fuzz/dict/*.dict
