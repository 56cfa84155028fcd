#!/usr/bin/python3
"""A false alarm on a real file is a bug (run by ctest as `realfiles`, see tests/realfiles.cmake).

Scans real trees that every Debian machine with python3-numpy has, with npguard's defaults:
Debian's NumPy package and the Python standard library of the interpreter running this script
(Debian's python3: /usr/lib/python3.11), each as `npguard scan --format json --jobs 2 TREE`.
Every regular file the walk finds (symlinks are not followed, as npguard's walk does) is sorted
into one of three kinds, from its path and, for text, its content:

  data    NumPy's own test data: a .npy, .npz or .pkl file, or any other file under a
          tests/data/ directory that is not text (nor bytecode in its __pycache__). np.load and
          NumPy's tests read these: none may be unsafe or invalid.
  text    source and text: a known text suffix or name (.py, .c, .txt, LICENSE...) or any
          content that is valid UTF-8 without NUL bytes (this includes the CSV files and .pyi
          under tests/data/). Nobody unpickles a .py file: none may be unsafe or invalid (a .py
          starting `import os` is not an INST opcode).
  binary  everything else (.so, .pyc, .a): `unknown` is the right verdict; counted, not judged.

The test fails when a data or text file is flagged (verdict unsafe or invalid), when a data
file named .npy, .npz or .pkl comes out `unknown` (npguard reads those formats), when a file
could not be scanned (verdict error), or when a file of the walk is missing from the report;
every such file is listed with its findings, then the failures are grouped by reason. Binary
files that are flagged and other text or data files of unknown format are listed as notes: they
do not fail the test.
Exit status 77 (ctest SKIP_RETURN_CODE) when a tree does not exist: nothing to scan.

    test_realfiles.py --npguard PATH [--work DIR] [--jobs N] [--tree DIR]...

--work DIR keeps each tree's raw JSON report there; --tree replaces the default trees.
"""
import argparse
import collections
import os
import sys
import sysconfig
import time

import scanjson

SKIP = 77  # tests/realfiles.cmake: SKIP_RETURN_CODE

NUMPY_TREE = "/usr/lib/python3/dist-packages/numpy"  # Debian's python3-numpy

DATA_SUFFIXES = {".npy", ".npz", ".pkl"}
TEXT_SUFFIXES = {
    ".py", ".pyi", ".pyx", ".pxd", ".pxi", ".c", ".h", ".cpp", ".hpp", ".cc", ".i", ".txt",
    ".csv", ".cfg", ".toml", ".json", ".md", ".rst", ".ini", ".in", ".sh", ".f", ".f90",
    ".f2py_f2cmap", ".doxyfile", ".typed", ".css", ".ps1", ".csh", ".fish", ".bat", ".xml",
    ".html", ".js", ".tmpl", ".template", ".src", ".def", ".map", ".local", ".stdlib",
    ".bootstrap",
}
# Names (without suffix, any case) of text files that often have no suffix at all.
TEXT_STEMS = {
    "license", "licence", "copying", "copyright", "readme", "notice", "authors", "changes",
    "changelog", "news", "makefile", "setup", "externally-managed", "install-sh", "makesetup",
    "activate", "command_template", "metadata", "record", "wheel", "installer", "top_level",
}

FLAGGED = ("unsafe", "invalid")


def report_name(path):
    """A path as the JSON report spells it: bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(path).decode("utf-8", "replace")


def regular_files(tree):
    """Every regular file under TREE, named as npguard names it (TREE + '/' + relative path);
    symlinks (to files or directories) are left out, as npguard's walk leaves them out."""
    found = []
    for top, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
        for name in files:
            path = os.path.join(top, name)
            if not os.path.islink(path) and os.path.isfile(path):
                found.append(path)
    return found


def is_utf8_text(path):
    """Valid UTF-8 without NUL bytes (an empty file is text)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        data.decode("utf-8")
        return b"\0" not in data
    except (OSError, UnicodeDecodeError):
        return False


def kind_of(path, tree):
    """'data', 'text' or 'binary' (see the module's doc). A text file under tests/data/ (NumPy's
    CSV test vectors, the typing tests' .pyi) is text; bytecode in its __pycache__ is binary."""
    rel = "/" + os.path.relpath(path, tree)
    name = os.path.basename(path)
    stem, suffix = os.path.splitext(name)
    if suffix.lower() in DATA_SUFFIXES:
        return "data"
    if (suffix.lower() in TEXT_SUFFIXES or name.lower() in TEXT_STEMS
            or stem.lower() in TEXT_STEMS or is_utf8_text(path)):
        return "text"
    if "/tests/data/" in rel and "/__pycache__/" not in rel:
        return "data"
    return "binary"


def judge(kind, entry):
    """'fail', 'note' or None for one file of the report.

    Fails: a text or data file that is unsafe or invalid; a data file named .npy, .npz or .pkl
    (formats npguard reads) of unknown format; any file that could not be scanned (error).
    Notes: a binary file that is unsafe or invalid (a .pyc can hold a zip end record), a text or
    other data file of unknown format (e.g. NumPy's .fits test file)."""
    verdict = entry["verdict"]
    if verdict == "error":
        return "fail"
    if kind == "binary":
        return "note" if verdict in FLAGGED else None
    if verdict in FLAGGED:
        return "fail"
    if verdict == "unknown":
        named_known = os.path.splitext(entry["path"])[1].lower() in DATA_SUFFIXES
        return "fail" if kind == "data" and named_known else "note"
    return None


def first_bytes(path, n=24):
    try:
        with open(path, "rb") as f:
            return repr(f.read(n))
    except OSError as e:
        return f"(cannot read: {e.strerror})"


def counts_line(counter):
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def describe(entry, kind):
    """A file and all its findings, for the failure listing."""
    lines = [f"  {entry['path']}  [{kind}, {entry['format']}/{entry['verdict']}, "
             f"{entry['size']} bytes, starts {first_bytes(entry['path'])}]"]
    if entry.get("error"):
        lines.append(f"      error: {entry['error']}")
    if entry.get("note"):
        lines.append(f"      note: {entry['note']}")
    lines += [f"      {scanjson.finding_line(f)}" for f in entry["findings"]]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--npguard", required=True, help="the npguard program")
    ap.add_argument("--work", help="directory for the raw JSON reports")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--tree", action="append", help="a tree to scan (repeatable; default: "
                    "NumPy's and the standard library's)")
    args = ap.parse_args()
    trees = args.tree or [NUMPY_TREE, sysconfig.get_path("stdlib")]
    trees = [t.rstrip("/") or "/" for t in trees]

    missing = [t for t in trees if not os.path.isdir(t)]
    if missing:
        print(f"SKIP: not installed here: {', '.join(missing)} (python3-numpy brings {NUMPY_TREE})")
        return SKIP
    if args.work:
        os.makedirs(args.work, exist_ok=True)

    failures = []   # (entry, kind): data or text flagged, errors, files missing from the report
    notes = []      # (entry, kind): binary flagged, data or text of unknown format
    started = time.monotonic()
    for i, tree in enumerate(trees):
        copy = os.path.join(args.work, f"report-{i}.json") if args.work else None
        t0 = time.monotonic()
        report = scanjson.scan(args.npguard, [tree], jobs=args.jobs, report_copy=copy)
        took = time.monotonic() - t0
        entries = {e["path"]: e for e in report["files"]}

        walked = regular_files(tree)
        kinds = {report_name(p): kind_of(p, tree) for p in walked}
        for p in kinds:
            if p not in entries:  # a scan that skips files would hide their false alarms
                failures.append(({"path": p, "format": None, "verdict": "missing", "size": None,
                                  "error": "regular file of the walk not in npguard's report",
                                  "note": None, "findings": []}, kinds[p]))

        by_kind = collections.Counter()
        by_kind_verdict = collections.defaultdict(collections.Counter)
        unknown_binary = collections.Counter()
        for path, e in entries.items():
            kind = kinds.get(path) or kind_of(path, tree)
            by_kind[kind] += 1
            by_kind_verdict[kind][f"{e['format']}/{e['verdict']}"] += 1
            if kind == "binary" and e["verdict"] == "unknown":
                unknown_binary[os.path.splitext(path)[1] or os.path.basename(path)] += 1
            outcome = judge(kind, e)
            if outcome == "fail":
                failures.append((e, kind))
            elif outcome == "note":
                notes.append((e, kind))

        s = report["summary"]
        print(f"== {tree}: {s['files']} files scanned in {took:.2f} s: ok {s['ok']}, "
              f"unsafe {s['unsafe']}, invalid {s['invalid']}, unknown {s['unknown']}, "
              f"errors {s['errors']}")
        for kind in ("data", "text", "binary"):
            if by_kind[kind]:
                print(f"   {kind:6} {by_kind[kind]:5}: {counts_line(by_kind_verdict[kind])}")
        print(f"   binary files of unknown format (not flagged): {sum(unknown_binary.values())}"
              f" ({counts_line(unknown_binary)})")
    elapsed = time.monotonic() - started

    if notes:
        print(f"\n== notes (do not fail the test): {len(notes)} files")
        print("   binary files flagged, and text or data files of a format npguard does not read:")
        for e, kind in notes:
            print(describe(e, kind))

    if failures:
        print(f"\n== FALSE ALARMS: {len(failures)} files (text or data flagged; any file not "
              "scanned or missing from the report), each with all its findings:")
        for e, kind in failures:
            print(describe(e, kind))
        print("\n== false alarms by reason (kind, format/verdict: rules above info; first byte):")
        groups = collections.defaultdict(list)
        for e, kind in failures:
            why = f"{kind:4} {scanjson.reason(e)}; starts {first_bytes(e['path'], 1)}"
            groups[why].append(e["path"])
        for why, paths in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(paths):5}  {why}\n         e.g. {paths[0]}")
        by_kind = collections.Counter(kind for _, kind in failures)
        print(f"\nFAIL: {counts_line(by_kind)} files wrongly flagged ({elapsed:.1f} s)")
        return 1
    print(f"\nPASS: no text or NumPy data file flagged in {len(trees)} trees ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
