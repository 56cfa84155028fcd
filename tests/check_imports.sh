#!/usr/bin/env bash
# "No arbitrary code paths": npguard must not be able to start a program or load code, so no
# file we ship may import a function that does (system, exec*, popen, posix_spawn*, fork, vfork,
# clone, dlopen, dlmopen, dlsym, dlvsym, ...). This reads the undefined (imported) symbols of
# the built files and fails, naming the symbol and the file (and archive member) importing it.
#
#   check_imports.sh BUILD_DIR          libnpguard.so, libnpguard.a (every object) and, when it was
#                                       built, the npguard program in BUILD_DIR (in a clang
#                                       sanitizer build the program holds the sanitizer runtime,
#                                       which imports dlsym/dlvsym: check it with --files
#                                       LIB.so LIB.a instead, as tests/CMakeLists.txt does)
#   check_imports.sh --files FILE...    exactly these files (.so, executables, .o, .a)
#   check_imports.sh --self-test [CC]   proves the check can fail: compiles small C files calling
#                                       popen, execvp, dlsym... with CC (default: cc) into objects,
#                                       an archive, a shared object and a program in a temporary
#                                       directory and asserts each is rejected, and that a clean
#                                       file (calling sysconf and a versioned libc symbol) passes
#
# How symbols are read: `nm -u` for relocatable objects and every member of an archive; for
# shared objects and programs, the dynamic imports from `nm -D --undefined-only`, cross-checked
# against `objdump -T` (*UND* entries; the two must list the same names), plus `nm -u` of the
# static symbol table when the file is not stripped. Versioned names (system@GLIBC_2.2.5,
# dlsym@@GLIBC_2.34) are compared without the version.
#
# Fails closed: exit 1 when a forbidden import is found, when there is no file to check, when a
# file is missing or unreadable, when nm/objdump fail, or when a file lists no import at all
# (every object we build imports something: an empty list means the tools read nothing).
# Exit 0 only when every file was read and none imports a forbidden function.
set -euo pipefail

# Exact names (after the version suffix is removed). posix_spawn* is every posix_spawn function
# (posix_spawn, posix_spawnp, posix_spawn_file_actions_*, posix_spawnattr_*); exec* is every
# libc exec function. _Fork, clone3 and __clone are glibc's other names for fork/clone;
# __libc_system, __libc_dlopen_mode and __libc_dlsym are glibc's internal entry points.
FORBIDDEN_RE='^(system|__libc_system|execl|execle|execlp|execv|execve|execvp|execvpe|fexecve|execveat|popen|posix_spawn.*|fork|_Fork|__libc_fork|vfork|clone|clone3|__clone|__clone2|dlopen|dlmopen|dlsym|dlvsym|__libc_dlopen_mode|__libc_dlsym|__libc_dlvsym)$'

NM=${NM:-nm}
OBJDUMP=${OBJDUMP:-objdump}
READELF=${READELF:-readelf}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

die() { echo "check_imports: $*" >&2; exit 1; }

for tool in "$NM" "$OBJDUMP" "$READELF"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (binutils): cannot check imports"
done

# Prints "WHERE<TAB>SYMBOL" for every undefined symbol of FILE (WHERE is FILE or
# archive[member]). Returns non-zero when a tool fails or when nothing was read.
list_imports() {
  local f=$1 out kind
  if [[ $(head -c 8 -- "$f" | tr -d '\0') == '!<arch>' ]]; then
    kind=archive
  else
    kind=$("$READELF" -h -- "$f" 2>/dev/null | awk '/^ *Type:/ {print $2; exit}') || kind=
    [[ -n $kind ]] || { echo "check_imports: $f: not an ELF file or archive" >&2; return 1; }
  fi

  case $kind in
    archive|REL)
      # POSIX format with file names: "lib.a[member.o]: name U" (or "file.o: name U").
      out=$("$NM" -A -P -u -- "$f") || { echo "check_imports: nm -u failed on $f" >&2; return 1; }
      awk '{ w = $1; sub(/:$/, "", w); n = $2; sub(/@.*/, "", n); print w "\t" n }' <<<"$out"
      [[ -n $out ]] || { echo "check_imports: $f: nm lists no undefined symbol" >&2; return 1; }
      ;;
    DYN|EXEC)
      local nm_names od_names
      out=$("$NM" -D -P --undefined-only -- "$f") ||
        { echo "check_imports: nm -D failed on $f" >&2; return 1; }
      nm_names=$(awk '{ n = $1; sub(/@.*/, "", n); print n }' <<<"$out" | sort -u)
      od_names=$("$OBJDUMP" -T -- "$f" | awk '/\*UND\*/ { n = $NF; sub(/@.*/, "", n); print n }' |
                 sort -u) || { echo "check_imports: objdump -T failed on $f" >&2; return 1; }
      if [[ -z $nm_names || -z $od_names ]]; then
        echo "check_imports: $f: no dynamic import found (nm: $(wc -w <<<"$nm_names"), objdump: $(wc -w <<<"$od_names"))" >&2
        return 1
      fi
      if [[ $nm_names != "$od_names" ]]; then
        echo "check_imports: $f: nm -D and objdump -T disagree on the imports:" >&2
        diff <(echo "$nm_names") <(echo "$od_names") >&2 || true
        return 1
      fi
      sed "s|^|$f\t|" <<<"$nm_names"
      # Static symbol table too, when present (a stripped file has none: nm says so on stderr).
      if "$READELF" -S -W -- "$f" | grep '\.symtab' >/dev/null; then
        "$NM" -P -u -- "$f" | awk -v f="$f" '{ n = $1; sub(/@.*/, "", n); print f "\t" n }' ||
          { echo "check_imports: nm -u failed on $f" >&2; return 1; }
      fi
      ;;
    *)
      echo "check_imports: $f: ELF type $kind is not an object, shared object or program" >&2
      return 1
      ;;
  esac
}

# Checks FILE...; prints the offenders; returns 0 when clean, 1 otherwise.
check_files() {
  local status=0 f list bad nsym
  if [[ $# -eq 0 ]]; then
    echo "check_imports: FAIL: no file to check" >&2
    return 1
  fi
  for f in "$@"; do
    if [[ ! -f $f || ! -r $f ]]; then
      echo "check_imports: FAIL: $f: missing or unreadable" >&2
      status=1
      continue
    fi
    if ! list=$(list_imports "$f"); then
      echo "check_imports: FAIL: $f: could not read its imports" >&2
      status=1
      continue
    fi
    nsym=$(cut -f2 <<<"$list" | sort -u | wc -l)
    bad=$(awk -F'\t' -v re="$FORBIDDEN_RE" '$2 ~ re' <<<"$list" | sort -u)
    if [[ -n $bad ]]; then
      while IFS=$'\t' read -r where sym; do
        echo "check_imports: FORBIDDEN: $where imports $sym" >&2
      done <<<"$bad"
      status=1
    else
      echo "check_imports: ok: $f ($nsym distinct imported symbols, none forbidden)"
    fi
  done
  return $status
}

self_test() {
  local cc=${1:-${CC:-cc}} tmp failures=0
  command -v "$cc" >/dev/null 2>&1 || die "self-test: compiler '$cc' not found"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_imports.XXXXXX")
  trap 'rm -rf "$tmp"' RETURN

  cat >"$tmp/bad_popen.c" <<'EOF'
#include <stdio.h>
int npg_selftest_popen(void);
int npg_selftest_popen(void) { FILE *p = popen("true", "r"); return p ? pclose(p) : -1; }
EOF
  cat >"$tmp/bad_exec.c" <<'EOF'
#include <unistd.h>
int main(int argc, char **argv) { (void)argc; return execvp(argv[0], argv); }
EOF
  cat >"$tmp/bad_dl.c" <<'EOF'
#include <dlfcn.h>
void *npg_selftest_dl(void);
void *npg_selftest_dl(void) { return dlsym(RTLD_DEFAULT, "free"); }
EOF
  cat >"$tmp/bad_system.c" <<'EOF'
#include <stdlib.h>
int npg_selftest_system(void);
int npg_selftest_system(void) { return system("true"); }
EOF
  cat >"$tmp/good.c" <<'EOF'
#include <string.h>
#include <unistd.h>
long npg_selftest_good(const char *s);
long npg_selftest_good(const char *s) { return sysconf(_SC_PAGESIZE) + (long)strlen(s); }
EOF
  local c libs
  for c in bad_popen bad_dl bad_system good; do
    "$cc" -O0 -fPIC -c "$tmp/$c.c" -o "$tmp/$c.o"
    libs=()
    [[ $c != bad_dl ]] || libs=(-ldl)  # dlsym is in libc since glibc 2.34, in libdl before
    "$cc" -shared "$tmp/$c.o" -o "$tmp/$c.so" "${libs[@]}"
  done
  "$cc" -O0 "$tmp/bad_exec.c" -o "$tmp/bad_exec"
  ar rcs "$tmp/mixed.a" "$tmp/good.o" "$tmp/bad_popen.o"
  ar rcs "$tmp/good.a" "$tmp/good.o"
  cp "$tmp/bad_exec" "$tmp/bad_exec_stripped" && strip "$tmp/bad_exec_stripped"
  printf 'not an object\n' >"$tmp/junk.o"

  # expect STATUS DESCRIPTION -- FILE...: runs the check and compares its outcome.
  expect() {
    local want=$1 what=$2 got=0 log
    shift 3
    log=$(check_files "$@" 2>&1) || got=1
    if [[ $got == "$want" ]]; then
      echo "self-test: ok: $what"
    else
      echo "self-test: FAILED: $what (exit $got, expected $want):" >&2
      sed 's/^/    /' <<<"$log" >&2
      failures=$((failures + 1))
    fi
  }
  # ...and the offender must be named, with the file (and member) importing it.
  expect_names() {
    local what=$1 pattern=$2 log
    shift 2
    log=$(check_files "$@" 2>&1) || true
    if grep -qE -- "$pattern" <<<"$log"; then
      echo "self-test: ok: $what"
    else
      echo "self-test: FAILED: $what: output does not match /$pattern/:" >&2
      sed 's/^/    /' <<<"$log" >&2
      failures=$((failures + 1))
    fi
  }

  expect 1 "object calling popen is rejected" -- "$tmp/bad_popen.o"
  expect 1 "shared object calling popen is rejected" -- "$tmp/bad_popen.so"
  expect 1 "shared object calling system is rejected" -- "$tmp/bad_system.so"
  expect 1 "shared object calling dlsym is rejected" -- "$tmp/bad_dl.so"
  expect 1 "program calling execvp is rejected" -- "$tmp/bad_exec"
  expect 1 "stripped program calling execvp is rejected" -- "$tmp/bad_exec_stripped"
  expect 1 "archive with one object calling popen is rejected" -- "$tmp/mixed.a"
  expect 1 "one bad file among good ones is rejected" -- "$tmp/good.so" "$tmp/bad_popen.so" "$tmp/good.o"
  expect 1 "no file to check fails (closed)" --
  expect 1 "missing file fails (closed)" -- "$tmp/does-not-exist.so"
  expect 1 "non-ELF file fails (closed)" -- "$tmp/junk.o"
  expect 0 "clean object, archive and shared object pass (sysconf is not system)" -- \
    "$tmp/good.o" "$tmp/good.a" "$tmp/good.so"
  expect_names "offender and file are named (versioned dynamic import)" \
    "FORBIDDEN: .*bad_popen\\.so imports popen$" "$tmp/bad_popen.so"
  expect_names "offender and archive member are named" \
    "FORBIDDEN: .*mixed\\.a\\[bad_popen\\.o\\] imports popen$" "$tmp/mixed.a"
  expect_names "execvp is named for the program" \
    "FORBIDDEN: .*bad_exec imports execvp$" "$tmp/bad_exec"
  # The script itself, as a command: the --files entry point and BUILD_DIR mode fail closed.
  if bash "$0" --files "$tmp/bad_popen.so" >/dev/null 2>&1; then
    echo "self-test: FAILED: '--files bad_popen.so' exited 0" >&2; failures=$((failures + 1))
  else echo "self-test: ok: '--files bad_popen.so' exits non-zero"; fi
  if bash "$0" --files >/dev/null 2>&1; then
    echo "self-test: FAILED: '--files' with no file exited 0" >&2; failures=$((failures + 1))
  else echo "self-test: ok: '--files' with no file exits non-zero"; fi
  mkdir "$tmp/emptybuild"
  if bash "$0" "$tmp/emptybuild" >/dev/null 2>&1; then
    echo "self-test: FAILED: an empty build directory passed" >&2; failures=$((failures + 1))
  else echo "self-test: ok: an empty build directory fails"; fi

  if [[ $failures -ne 0 ]]; then
    echo "self-test: $failures check(s) FAILED" >&2
    return 1
  fi
  echo "self-test: all checks passed"
}

[[ $# -ge 1 ]] || usage
case $1 in
  -h|--help) usage ;;
  --self-test)
    shift
    self_test "$@"
    ;;
  --files)
    shift
    check_files "$@" || die "FAIL: forbidden or unverifiable imports (see above)"
    echo "check_imports: PASS"
    ;;
  -*) usage ;;
  *)
    [[ $# -eq 1 ]] || usage
    dir=$1
    [[ -d $dir ]] || die "FAIL: $dir is not a directory"
    files=()
    # The shared library by its real name (libnpguard.so is a symlink to libnpguard.so.X.Y.Z).
    for want in libnpguard.so libnpguard.a; do
      if [[ -e $dir/$want ]]; then
        files+=("$(readlink -f -- "$dir/$want")")
      else
        echo "check_imports: FAIL: $dir/$want not found (is $dir a built npguard build tree?)" >&2
        missing=1
      fi
    done
    if [[ -f $dir/npguard ]]; then
      files+=("$dir/npguard")
    else
      echo "check_imports: note: $dir/npguard not found (NPG_BUILD_CLI=OFF?): not checked"
    fi
    [[ -z ${missing-} ]] || die "FAIL: the library files are missing"
    check_files "${files[@]}" || die "FAIL: forbidden or unverifiable imports (see above)"
    echo "check_imports: PASS"
    ;;
esac
