#!/usr/bin/env bash
# Regenerate docs/walkthrough.md: the NumPy tutorial workflow end to end, with real output.
#
#   bash docs/make_walkthrough.sh            # builds build/npguard if needed
#   NPGUARD=/path/to/npguard bash docs/make_walkthrough.sh
#
# Every file is written by the Python code quoted in the document (Debian's /usr/bin/python3
# with python3-numpy), in a temporary directory; every command's output is what it printed
# there. The os.system pickle is made with pickle.dumps, which records the call without making
# it, and nothing here ever loads it. The part between the walkthrough markers is what goes into
# README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
out="$root/docs/walkthrough.md"

if [ -z "${NPGUARD:-}" ]; then
  cmake -S "$root" -B "$root/build" >/dev/null
  cmake --build "$root/build" --target npguard -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
  NPGUARD="$root/build/npguard"
fi
NPGUARD=$(cd "$(dirname "$NPGUARD")" && pwd)/$(basename "$NPGUARD")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
ln -s "$NPGUARD" "$work/bin/npguard"
ln -s "$py" "$work/bin/python3"
export PATH="$work/bin:$PATH"
cd "$work"

cat >tutorial.py <<'PY'
import os
import pickle

import numpy as np

rng = np.random.default_rng(2024)
array = rng.integers(0, 1000, size=(100, 100, 100), dtype=np.int64)  # a million integers
data = {
    "array": array,
    "description": "A million random integers",
    "list": [5.4, 9.1, 3.4],
    "another_array": np.arange(5.0),
}

with open("data.pkl", "wb") as f:
    pickle.dump(data, f)
np.save("array.npy", array)
np.savez("arrays.npz", array=array, another_array=data["another_array"])
np.savez_compressed("arrays_compressed.npz", array=array, another_array=data["another_array"])


class Gift:
    """What a stranger may send instead: pickle.load would call os.system("echo pwned")."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


with open("gift.pkl", "wb") as f:
    f.write(pickle.dumps(Gift()))  # dumping only records the call: nothing runs
PY

cat >check.py <<'PY'
import numpy as np

with np.load("data.npz", allow_pickle=False) as z:
    for key in z.files:
        print(key, z[key].dtype, z[key].shape)
    print("array equal to array.npy:", np.array_equal(z["array"], np.load("array.npy")))
    print("another_array:", z["another_array"])
PY

# Markdown helpers: a shell block with each command and what it printed (stdout, then stderr).
md=$(mktemp)
say() { printf '%s\n' "$@" >>"$md"; }
cmd() {
  local shown=$1
  shift
  say "\$ $shown"
  local so se rc=0
  so=$(mktemp)
  se=$(mktemp)
  "$@" >"$so" 2>"$se" || rc=$?
  cat "$so" "$se" >>"$md"
  rm -f "$so" "$se"
  return $rc
}
status() { # the command, then its exit status as `; echo "exit $?"` shows it
  local shown=$1 rc=0
  shift
  cmd "$shown; echo \"exit \$?\"" "$@" || rc=$?
  say "exit $rc"
}

# The reference text of show, dis and convert (static; also for README.md).
commands_reference() {
  cat <<'MD'
<!-- commands:begin -->
### show, dis, convert

- `npguard show FILE`: what the file holds. The format comes from the first bytes (`\x93NUMPY`:
  .npy, `PK\3\4`: zip/.npz, anything else goes to the pickle VM), never from the name. A pickle
  prints its decoded tree (arrays summarised: class, dtype, shape, order, first values); a `.npy`
  its header (version, header size, dtype, fortran_order, shape) and a preview; a `.npz` one row
  per member (name, dtype, shape, order, stored/deflate, size and compressed size), then the whole
  archive is validated. A refused or malformed file prints the error; exit status 1.
- `npguard dis FILE`: a pickle's opcodes as `pickletools.dis` lists them (same offsets and
  names), produced by the VM itself through a per-opcode trace, so the listing is exactly what
  decode and scan run. Columns: offset, stack depth after the opcode (values; MARKs show as
  indentation), memo index of `PUT`/`GET`/`MEMOIZE`, name, argument (escaped, long strings and
  bytes cut with their length), and the VM's judgement: `ok`, a finding
  (`NPG002 critical dangerous-global posix.system`), or the error that ended the listing. The
  VM runs in scan mode, so the listing goes on past refusals; the last line sums up. Exit status
  0 for a pickle that would decode, 1 for an unsafe or malformed one. Library:
  `npg_pickle_disassemble()`.
- `npguard convert [--force] [--compress] IN... OUT`: arrays out of pickles, `.npy` and `.npz`
  files (told apart by content) into files `numpy.load(..., allow_pickle=False)` opens. OUT ending
  in `.npy` takes exactly one array; `.npz` any number (`--compress`: deflated, as
  `np.savez_compressed`); a directory (existing, or a name ending in `/`) gets one `.npy` per
  array, `<dir>/<key>.npy`. Another OUT, or several arrays for a `.npy`, is a usage error (exit
  2). Every input must be ok as it is: a pickle is decoded by the restricted VM (a refused pickle
  is not converted; there is no unsafe fallback), a `.npy` or `.npz` must pass validation; else
  exit 1 with the reason and nothing is written. The output goes to a temporary file in OUT's
  directory, is fsync'ed, read back and validated by npguard's own .npy/.npz validator, and only
  then takes OUT's name: never replacing an existing file without `--force` (`link(2)`, which
  fails atomically when OUT exists; with `--force`, `rename(2)`).

  Keys (the `.npz` member names, the keys `numpy.load` returns): the path of the array in the
  pickle's container tree, components joined by `/`: a dict's `str` key as is, an `int` key in
  decimal, a list or tuple index in decimal (`array`, `another_array`, `list/2`, `a/b/0`). An
  array at the root is `arr_0` (as `np.savez` names an unnamed array). In a `str` key, `%`, `/`,
  `\`, `:`, control characters and anything that is not strict UTF-8 are written as `%XX`, and
  a key `.` or `..` as `%2E`/`%2E%2E`, so every key is one safe zip path component (non-ASCII
  letters stay). Refused, with the reason, when an array lies below it: a dict key of another
  type (bytes, tuple, float, bool, None, an int beyond 64 bits), an empty `str` key, two arrays
  with the same key (`1` and `'1'`), a key longer than 251 bytes. Values that are not arrays
  (str, numbers, NumPy scalars) are left out. A `.npy` input is keyed by its file name without
  `.npy`; a `.npz` input's members keep their names (so `convert in.npz dir/` and
  `convert dir/*.npy out.npz` round-trip flat archives). `matrix` and `recarray` become plain
  arrays of the same dtype and shape (as `np.save` writes them). Object arrays are refused (their
  elements could only be stored as a pickle), and so are masked arrays (`.npy` has no place for
  the mask, and `np.save` would silently drop it).
<!-- commands:end -->
MD
}

"$py" tutorial.py

say '<!-- walkthrough:begin -->'
say '## Walk-through: the NumPy tutorial workflow'
say ''
say 'A million random integers in a 100x100x100 array, and a dict holding it with a description,'
say 'a list of floats and `np.arange(5.0)`, saved the four ways NumPy users share data: a pickle,'
say '`.npy`, `.npz` and compressed `.npz`. Plus the file a stranger might send instead, a pickle'
say 'whose `__reduce__` calls `os.system`. The script that made this page is'
say '`docs/make_walkthrough.sh`; every output below is what the commands printed.'
say ''
say '```python'
cat tutorial.py >>"$md"
say '```'
say ''
say '```text'
cmd 'python3 tutorial.py && wc -c *.pkl *.npy *.npz' wc -c data.pkl gift.pkl array.npy arrays.npz arrays_compressed.npz
say '```'
say ''
say '`npguard show` prints what each file holds, decoded by the restricted VM or the .npy/.npz'
say 'validator; the format comes from the bytes, never from the file name:'
say ''
say '```text'
cmd 'npguard show data.pkl' npguard show data.pkl
say ''
cmd 'npguard show array.npy' npguard show array.npy
say ''
cmd 'npguard show arrays_compressed.npz' npguard show arrays_compressed.npz
say '```'
say ''
say '`npguard scan` judges every file (exit status 0: all ok):'
say ''
say '```text'
status 'npguard scan data.pkl array.npy arrays.npz arrays_compressed.npz' \
  npguard scan data.pkl array.npy arrays.npz arrays_compressed.npz
say '```'
say ''
say 'and refuses the gift (exit status 1), without importing or calling anything:'
say ''
say '```text'
status 'npguard scan gift.pkl' npguard scan gift.pkl
say '```'
say ''
say '`npguard dis` lists the opcodes the VM ran, with its judgement on each (same parser as'
say 'scan and show):'
say ''
say '```text'
status 'npguard dis gift.pkl' npguard dis gift.pkl
say '```'
say ''
say '`npguard convert` turns the arrays of the (ok) pickle into an `.npz` that NumPy opens with'
say '`allow_pickle=False`; each array is keyed by its path in the dict. What it writes is'
say 'validated before it takes the name `data.npz`, and a refused file is never converted:'
say ''
say '```text'
cmd 'npguard convert data.pkl data.npz' npguard convert data.pkl data.npz
say ''
status 'npguard convert gift.pkl gift.npz' npguard convert gift.pkl gift.npz
say ''
cmd 'cat check.py' cat check.py
say ''
cmd 'python3 check.py' "$py" check.py
say '```'
say '<!-- walkthrough:end -->'

{
  printf '%s\n' '# npguard walk-through' '' \
    'Generated by `docs/make_walkthrough.sh` (do not edit by hand); the marked part is pasted'\
    'into README.md.' ''
  cat "$md"
  printf '\n'
  commands_reference
} >"$out"
rm -f "$md"
echo "wrote $out" >&2
