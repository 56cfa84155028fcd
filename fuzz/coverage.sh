#!/usr/bin/env bash
# Source-based coverage of the whole test suite plus every fuzz corpus (clang, llvm-cov).
#
#   bash fuzz/coverage.sh            build BUILD_DIR (default build-cov) with -DNPG_COVERAGE=ON,
#                                    run ctest and each replay driver, then report
#   bash fuzz/coverage.sh --report   skip build and runs: report again from BUILD_DIR/prof
#
# Environment: BUILD_DIR (default build-cov, relative to the repository), CC (default clang),
# LLVM_PROFDATA / LLVM_COV (default llvm-profdata / llvm-cov: Debian's llvm-14),
# NPG_PYTHON (default /usr/bin/python3, Debian's: the tests need python3-numpy), JOBS,
# EXTRA_CORPUS (a directory of more inputs per target, DIR/<target>/, e.g. a campaign's work
# corpora, replayed after corpus/<target>/).
#
# Every instrumented process (each ctest test, the python-driven CLI tests' npguard runs, each
# replay driver) writes BUILD_DIR/prof/<pid>-<signature>.profraw through LLVM_PROFILE_FILE,
# which child processes inherit. For each name T in fuzz/targets.txt the replay driver
# BUILD_DIR/fuzz/replay_T runs over corpus/T/ (recursively: seeds and corpus/T/regress/).
#
# Output, in BUILD_DIR:
#   coverage.txt    summary table (regions, functions, lines, branches) for the library (src/
#                   without src/cli), src/cli, and src/{pickle,npy,zip,audit,dtype,common}; then
#                   llvm-cov's per-file reports for the library and for src/cli
#   uncovered.txt   every function in src/ that never ran; for src/pickle/reduce.c and
#                   src/pickle/globals.c (the reconstructors and the allowlist): each function's
#                   execution count, every line never executed, every region never executed on
#                   a line that did run (e.g. `if (bad) return error;`), and every branch
#                   condition never true or never false
#   html/index.html the annotated sources of src/ (line counts, regions, branch counts)
#   coverage.json   llvm-cov export of src/ (what the summaries are computed from)
# Exit status: 0 when the tests, the replays and the report all succeeded; 1 when a test or a
# replay failed (the report is still written: coverage of a failing suite is still useful).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BUILD_DIR:-build-cov}
[[ $build == /* ]] || build=$root/$build
cc=${CC:-clang}
profdata=${LLVM_PROFDATA:-llvm-profdata}
llvmcov=${LLVM_COV:-llvm-cov}
py=${NPG_PYTHON:-/usr/bin/python3}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
prof=$build/prof
report_only=0
case ${1-} in
  --report) report_only=1 ;;
  "") ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac

for tool in "$profdata" "$llvmcov" "$py" cmake ctest; do
  command -v "$tool" >/dev/null || { echo "coverage: $tool not found" >&2; exit 2; }
done

start=$(date +%s)
failed=()

if [[ $report_only == 0 ]]; then
  echo "== configure and build $build (clang source-based coverage)"
  cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DNPG_COVERAGE=ON -DNPG_BUILD_BENCH=OFF -DNPG_PYTHON="$py" >/dev/null
  cmake --build "$build" -j"$jobs"

  rm -rf "$prof"
  mkdir -p "$prof"
  export LLVM_PROFILE_FILE=$prof/%p-%m.profraw

  echo "== ctest (every test; profiles in $prof)"
  t0=$(date +%s)
  if ! ctest --test-dir "$build" --output-on-failure -j"$jobs"; then
    failed+=("ctest")
  fi
  echo "   ctest took $(( $(date +%s) - t0 ))s"

  echo "== replay drivers over their corpora (fuzz/targets.txt)"
  ntargets=0
  while read -r t; do
    t=${t%%#*}
    t=${t//[[:space:]]/}
    [[ -n $t ]] || continue
    ntargets=$((ntargets + 1))
    driver=$build/fuzz/replay_$t
    if [[ ! -x $driver ]]; then
      echo "coverage: $driver not built (fuzz/CMakeLists.txt builds replay_<target>)" >&2
      failed+=("replay_$t (not built)")
      continue
    fi
    if [[ ! -d corpus/$t ]]; then
      echo "coverage: corpus/$t/ does not exist" >&2
      failed+=("replay_$t (no corpus)")
      continue
    fi
    echo "-- replay_$t corpus/$t/"
    "$driver" "corpus/$t" || failed+=("replay_$t")
    # a campaign's work corpora too, when asked (EXTRA_CORPUS=DIR holding DIR/<target>/)
    if [[ -n ${EXTRA_CORPUS:-} && -d $EXTRA_CORPUS/$t ]]; then
      echo "-- replay_$t $EXTRA_CORPUS/$t/"
      "$driver" "$EXTRA_CORPUS/$t" >/dev/null 2>&1 || failed+=("replay_$t (extra corpus)")
    fi
  done < fuzz/targets.txt
  [[ $ntargets -gt 0 ]] || { echo "coverage: fuzz/targets.txt lists no target" >&2; failed+=("targets.txt"); }
  unset LLVM_PROFILE_FILE
fi

echo "== merge profiles"
shopt -s nullglob
raws=("$prof"/*.profraw)
shopt -u nullglob
[[ ${#raws[@]} -gt 0 ]] || { echo "coverage: no .profraw in $prof" >&2; exit 1; }
printf '%s\n' "${raws[@]}" >"$build/profraw.list"
"$profdata" merge -sparse -f "$build/profraw.list" -o "$build/coverage.profdata"
echo "   ${#raws[@]} profiles merged into $build/coverage.profdata"

# Every instrumented program or library of the build (test programs, npgdump, replay_*, the
# npguard CLI, libnpguard.so): anything holding a coverage map, outside CMake's own scratch.
objects=()
while IFS= read -r -d '' f; do
  # grep reads all of readelf's output: with -q it may exit first, and pipefail would then take
  # readelf's SIGPIPE for a failure and drop the binary
  if readelf -S -W "$f" 2>/dev/null | grep '__llvm_covmap' >/dev/null; then
    objects+=("$f")
  fi
done < <(find "$build" -path "$build/CMakeFiles" -prune -o -path '*/CMakeFiles/*' -prune -o \
              -type f \( -perm -u+x -o -name '*.so*' \) -print0 | sort -z)
[[ ${#objects[@]} -gt 0 ]] || { echo "coverage: no instrumented binary in $build" >&2; exit 1; }
objargs=("${objects[0]}")
for f in "${objects[@]:1}"; do objargs+=(-object "$f"); done
echo "   ${#objects[@]} instrumented binaries: $(printf '%s ' "${objects[@]#$build/}")"

cov=(-instr-profile "$build/coverage.profdata" "${objargs[@]}")
# llvm-cov warns once per binary about functions it has no profile for (another program's main,
# a binary a test did not run); that is expected with many programs, so keep stderr short.
covwarn=$build/llvm-cov.warnings
: >"$covwarn"

echo "== reports"
"$llvmcov" export -format=text "${cov[@]}" "$root/src" >"$build/coverage.json" 2>>"$covwarn"
"$llvmcov" report -show-branch-summary "${cov[@]}" "$root/src" \
  -ignore-filename-regex='/src/cli/' >"$build/report-lib.txt" 2>>"$covwarn"
"$llvmcov" report -show-branch-summary "${cov[@]}" "$root/src/cli" >"$build/report-cli.txt" 2>>"$covwarn"
rm -rf "$build/html"
"$llvmcov" show -format=html -output-dir="$build/html" -show-line-counts-or-regions \
  -show-branches=count -show-expansions=false -show-instantiations=false \
  -project-title=npguard "${cov[@]}" "$root/src" 2>>"$covwarn"
for f in src/pickle/reduce.c src/pickle/globals.c; do
  "$llvmcov" show -format=text -show-line-counts -show-instantiations=false \
    "${cov[@]}" "$root/$f" >"$build/show-$(basename "$f" .c).txt" 2>>"$covwarn"
done

"$py" - "$root" "$build" <<'PYEOF'
import collections, json, os, re, sys

root, build = sys.argv[1], sys.argv[2]
src = root + "/src/"
data = json.load(open(os.path.join(build, "coverage.json")))["data"][0]
files = {f["filename"]: f for f in data["files"] if f["filename"].startswith(src)}

def rel(p):
    return p[len(root) + 1:] if p.startswith(root + "/") else p

# ---------------------------------------------------------------- summary table
KINDS = ("lines", "regions", "functions", "branches")
def total(pred):
    t = {k: [0, 0] for k in KINDS}
    for name, f in files.items():
        if not pred(rel(name)):
            continue
        s = f["summary"]
        for k in KINDS:
            t[k][0] += s[k]["covered"]
            t[k][1] += s[k]["count"]
    return t

groups = [
    ("library (src/ without src/cli)", lambda p: not p.startswith("src/cli/")),
    ("src/cli", lambda p: p.startswith("src/cli/")),
]
for d in ("pickle", "npy", "zip", "audit", "dtype", "common"):
    groups.append(("  src/" + d, lambda p, d=d: p.startswith("src/%s/" % d)))

def pct(c, n):
    return "%6.2f%% %6d/%-6d" % (100.0 * c / n, c, n) if n else "     -" + " " * 15

lines = ["npguard coverage: ctest suite + fuzz replay corpora (clang source-based coverage)", ""]
hdr = "%-32s %-21s %-21s %-21s %-21s" % ("", "lines", "regions", "functions", "branches")
lines += [hdr, "-" * len(hdr)]
for label, pred in groups:
    t = total(pred)
    lines.append("%-32s %s %s %s %s" % (label, *(pct(*t[k]) for k in KINDS)))
table = "\n".join(lines) + "\n"
print(table)

with open(os.path.join(build, "coverage.txt"), "w") as out:
    out.write(table)
    out.write("\n\nllvm-cov report, library (src/ without src/cli):\n\n")
    out.write(open(os.path.join(build, "report-lib.txt")).read())
    out.write("\n\nllvm-cov report, src/cli:\n\n")
    out.write(open(os.path.join(build, "report-cli.txt")).read())

# ---------------------------------------------------------------- functions never run
# A function appears once per translation unit it is compiled into (static inline functions of
# headers; CLI sources the convert fuzz target compiles too): group by source location and call
# it unexecuted only when no copy ran.
def fmain(fn):
    r = fn["regions"][0]
    return fn["filenames"][r[5]], r[0], r[1]

def short(name):
    return name.rsplit(":", 1)[-1]  # local functions are named "file.c:func"

funcs = collections.OrderedDict()
for fn in data["functions"]:
    if not fn["regions"]:
        continue
    path, line, col = fmain(fn)
    if not path.startswith(src):
        continue
    key = (rel(path), line, col)
    e = funcs.setdefault(key, {"name": short(fn["name"]), "count": 0, "fn": fn})
    e["count"] += fn["count"]

zero_lib = sorted(k for k, e in funcs.items() if e["count"] == 0 and not k[0].startswith("src/cli/"))
zero_cli = sorted(k for k, e in funcs.items() if e["count"] == 0 and k[0].startswith("src/cli/"))

u = []
u.append("Functions in the library (src/ without src/cli) never executed: %d of %d"
         % (len(zero_lib), sum(1 for k in funcs if not k[0].startswith("src/cli/"))))
u += ["  %s:%d  %s" % (k[0], k[1], funcs[k]["name"]) for k in zero_lib]
u.append("")
u.append("Functions in src/cli never executed: %d of %d"
         % (len(zero_cli), sum(1 for k in funcs if k[0].startswith("src/cli/"))))
u += ["  %s:%d  %s" % (k[0], k[1], funcs[k]["name"]) for k in zero_cli]

# ---------------------------------------------------------------- reduce.c and globals.c
def source_lines(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read().split("\n")

def snippet(text, l1, c1, l2, c2):
    if l1 == l2:
        s = text[l1 - 1][c1 - 1:c2 - 1]
    else:
        s = text[l1 - 1][c1 - 1:] + " ..."
    s = " ".join(s.split())
    return s if len(s) <= 90 else s[:87] + "..."

show_line = re.compile(r"^\s*(\d+)\|\s*([0-9.]+[kMGTPE]?)?\|(.*)$")
for relpath in ("src/pickle/reduce.c", "src/pickle/globals.c"):
    path = root + "/" + relpath
    text = source_lines(path)
    u += ["", "=" * 100, relpath, "=" * 100]
    # Execution count of every function (every reconstructor and allowlist helper).
    u.append("")
    u.append("Functions and how many times they ran:")
    for k in sorted(k for k in funcs if k[0] == relpath):
        u.append("  %10d  %s (line %d)" % (funcs[k]["count"], funcs[k]["name"], k[1]))
    # Lines never executed, from llvm-cov show's line counts.
    zero_lines = []
    showfile = os.path.join(build, "show-%s.txt" % os.path.basename(relpath)[:-2])
    for ln in open(showfile, encoding="utf-8", errors="replace"):
        m = show_line.match(ln.rstrip("\n"))
        if m and m.group(2) == "0":
            zero_lines.append(int(m.group(1)))
    u.append("")
    u.append("Lines never executed: %d" % len(zero_lines))
    u += ["  %5d: %s" % (n, text[n - 1].strip()) for n in zero_lines]
    # Regions (code kind 0) never executed that start on a line which did run: error paths
    # written on one line, `x ? a : b`, `a || b` operands...
    zl = set(zero_lines)
    regs = set()
    brs = []
    for fn in data["functions"]:
        names = fn["filenames"]
        for r in fn["regions"]:
            if r[7] == 0 and r[4] == 0 and names[r[5]] == path and r[0] not in zl:
                regs.add((r[0], r[1], r[2], r[3]))
    f = files.get(path)
    if f:
        for b in f.get("branches", []):
            l1, c1, l2, c2, tc, fc = b[:6]
            if tc == 0 or fc == 0:
                brs.append((l1, c1, l2, c2, tc, fc))
    u.append("")
    u.append("Regions never executed on lines that ran (line:col-line:col): %d" % len(regs))
    u += ["  %d:%d-%d:%d  %s" % (r + (snippet(text, *r),)) for r in sorted(regs)]
    u.append("")
    u.append("Branch conditions never true or never false (true/false counts): %d" % len(set(brs)))
    for b in sorted(set(brs)):
        l1, c1, l2, c2, tc, fc = b
        u.append("  %d:%d  %s/%s  %s" % (l1, c1, tc, fc, snippet(text, l1, c1, l2, c2)))

with open(os.path.join(build, "uncovered.txt"), "w") as out:
    out.write("\n".join(u) + "\n")
print("Functions never executed: %d in the library, %d in src/cli (list in %s)"
      % (len(zero_lib), len(zero_cli), rel(os.path.join(build, "uncovered.txt"))))
PYEOF

echo "llvm-cov report TOTAL (regions, functions, lines, branches: count missed cover):"
echo "  library (src/ without src/cli): $(grep '^TOTAL' "$build/report-lib.txt" | tr -s ' ' | cut -d' ' -f2-)"
echo "  src/cli:                        $(grep '^TOTAL' "$build/report-cli.txt" | tr -s ' ' | cut -d' ' -f2-)"
nwarn=$(grep -c . "$covwarn" || true)
echo "   llvm-cov printed $nwarn warning line(s) (expected: functions of binaries without a profile): $covwarn"
echo "== written: $build/coverage.txt $build/uncovered.txt $build/html/index.html"
echo "== coverage.sh took $(( $(date +%s) - start ))s"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "coverage: FAILED: ${failed[*]} (the report above is still complete)" >&2
  exit 1
fi
