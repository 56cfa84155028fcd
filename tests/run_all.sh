#!/usr/bin/env bash
# Every test, as CI runs it: a normal build and an ASan+UBSan build, each running the whole
# ctest suite (which replays every fuzz corpus and regression); valgrind (memcheck, leaks) over
# the C test programs; an install check; then every fuzz target under libFuzzer with ASan+UBSan
# for NPG_FUZZ_SECONDS (default 60) each, and the AFL++ build of the targets run briefly.
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

echo "== fuzzing: libFuzzer + ASan+UBSan, every target for ${NPG_FUZZ_SECONDS:-60}s (fuzz/run)"
rm -rf build-fuzz-ci
FUZZ_OUT="$PWD/build-fuzz-ci" bash fuzz/run all "${NPG_FUZZ_SECONDS:-60}"

echo "== fuzzing: the AFL++ build of every target, 10s each"
FUZZ_OUT="$PWD/build-fuzz-ci" bash fuzz/run all 10 afl
