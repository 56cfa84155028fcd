#!/usr/bin/env bash
# Every test, as CI runs it: a normal build and an ASan+UBSan build, each running the whole
# ctest suite; valgrind (memcheck, leaks) over the C test programs; and an install check.
# Needs the packages .ci/run installs. Usage: bash tests/run_all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
py=$(command -v -p python3 || true)  # Debian's interpreter (python3-numpy), not a pyenv one

echo "== normal build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNPG_PYTHON="$py" >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== ASan+UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DNPG_SANITIZER=address,undefined \
      -DNPG_BUILD_BENCH=OFF -DNPG_PYTHON="$py" >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"

echo "== clang build (-Werror) and unit tests"
cmake -S . -B build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DNPG_BUILD_BENCH=OFF -DNPG_PYTHON="$py" >/dev/null
cmake --build build-clang -j"$jobs"
ctest --test-dir build-clang --output-on-failure -j"$jobs" -L unit

echo "== valgrind (memcheck, leaks) over the C unit tests of the normal build"
"$py" tests/valgrind_unit.py build

echo "== install check"
bash tests/install/check.sh build
