#!/usr/bin/python3
"""Survey (not a CI test): npguard against the real data files that Debian's packages ship.

For each Debian package (default: the scientific Python stack below), every regular file the
package ships (`dpkg -L`; symlinks left out) is scanned with `npguard scan --format json`, and
the survey keeps:

  * every file whose name has a data suffix: .npy .npz .pkl .pickle .joblib .pck, also when a
    compression suffix follows (joblib's `x.pkl.gz`, `x.npy.z`);
  * every other file whose content npguard sniffs as pickle, npy or zip.

It prints counts by package and by (format, verdict), then checks npguard against NumPy itself:

  * .npy/.npz files (by name, or sniffed as npy or zip): `numpy.load(path, allow_pickle=False)`,
    and for an archive every member, is the oracle (it never unpickles). A file numpy.load opens
    that npguard does not call ok is a FALSE ALARM (listed with npguard's findings, grouped by
    reason); a file npguard calls ok that numpy.load refuses is a MISS (listed with NumPy's error).
  * pickles (named .pkl, .pickle, .joblib, .pck) are never loaded: only npguard's verdicts
    and the globals its findings name are reported. joblib's test pickles import joblib's own
    classes: unsafe is the right verdict for them.
  * a file of another name sniffed as pickle whose content is UTF-8 text (a .py starting
    `import`) is not a pickle: flagged, it is a false alarm too (reported by reason, a few
    examples each). Binary files of other names sniffed as pickle (PNG images start with the
    opcodes NEWFALSE, PERSID) are counted by suffix and reason.

    survey.py --npguard PATH [--jobs N] [--scan-arg ARG]... [--package NAME]...

--scan-arg passes an option to every scan (--scan-arg=--npy-align16 shows what lies beneath
the 16-byte alignment of the .npy files NumPy < 1.14 wrote); --package replaces the list.

Only Debian's packaged data files are ever given to numpy.load, and only with
allow_pickle=False. Needs Debian's python3 (python3-numpy). Exit status 0 (it is a survey).
"""
import argparse
import collections
import os
import subprocess
import sys

import numpy as np

import scanjson

# label -> Debian packages (a library's -lib/-data packages hold part of its files)
PACKAGES = {
    "numpy": ["python3-numpy"],
    "scipy": ["python3-scipy"],
    "skimage": ["python3-skimage", "python3-skimage-lib"],
    "pywt": ["python3-pywt"],
    "joblib": ["python3-joblib"],
    "matplotlib": ["python3-matplotlib", "python-matplotlib-data"],
    "imageio": ["python3-imageio"],
    # not needed by the project: installed for the survey when present (apt-get install -y ...)
    "sklearn": ["python3-sklearn", "python3-sklearn-lib"],
    "astropy": ["python3-astropy"],
    "pandas": ["python3-pandas", "python3-pandas-lib"],
    "nibabel": ["python3-nibabel"],
    "h5py": ["python3-h5py", "python3-h5py-serial"],
    "statsmodels": ["python3-statsmodels", "python3-statsmodels-lib"],
}
ARRAY_SUFFIXES = {".npy", ".npz"}
PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".pck"}
COMPRESSION_SUFFIXES = {"gz", "gzip", "bz2", "xz", "lzma", "z"}  # joblib's compressed files
SNIFFED = {"pickle", "npy", "zip"}
# numpy.load's refusal of any object array when allow_pickle=False (not a judgement of the data)
OBJECT_REFUSAL = "Object arrays cannot be loaded when allow_pickle=False"
CHUNK = 1000  # paths per npguard command line
EXAMPLES = 3  # example paths per reason, for text sniffed as pickle


def shipped_files(package):
    """(version, regular files the installed package ships) or (None, []) when not installed."""
    q = subprocess.run(["dpkg-query", "-W", "-f", "${Version} ${db:Status-Status}", package],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if q.returncode != 0 or not q.stdout.endswith(" installed"):
        return None, []
    listing = subprocess.run(["dpkg", "-L", package], stdout=subprocess.PIPE, text=True,
                             check=True).stdout.splitlines()
    files = [p for p in listing if os.path.isfile(p) and not os.path.islink(p)]
    return q.stdout.split()[0], files


def data_suffix(path):
    """The file name's data suffix ('.npy' for x.npy and x.npy.z), or None."""
    suffixes = [s.lower() for s in os.path.basename(path).split(".")[1:]]
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes.pop()
    if suffixes and "." + suffixes[-1] in ARRAY_SUFFIXES | PICKLE_SUFFIXES:
        return "." + suffixes[-1]
    return None


def is_utf8_text(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        data.decode("utf-8")
        return b"\0" not in data
    except (OSError, UnicodeDecodeError):
        return False


def numpy_opens(path):
    """None when numpy.load(path, allow_pickle=False) reads the file completely (an archive:
    every member), else NumPy's error as one line."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                for key in loaded.files:
                    loaded[key]
        return None
    except Exception as e:  # any refusal, ValueError for pickled data included
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def kind_of(entry):
    """What the survey makes of a kept file: by name first, then by npguard's sniffed format.

      array        named .npy/.npz (also x.npy.z): checked with numpy.load
      pickle       named .pkl/.pickle/.joblib/.pck (also x.pkl.gz): npguard's verdict only
      npy/zip      another name, content sniffed as npy or zip: checked with numpy.load
      text         another name, content sniffed as pickle but UTF-8 text: flagged is a false alarm
      binary       another name, binary content sniffed as pickle (a PNG starts with NEWFALSE,
                   PERSID): npguard's verdict only"""
    suffix = data_suffix(entry["path"])
    if suffix in ARRAY_SUFFIXES:
        return "array"
    if suffix in PICKLE_SUFFIXES:
        return "pickle"
    if entry["format"] in ("npy", "zip"):
        return "npy/zip"
    return "text" if is_utf8_text(entry["path"]) else "binary"


def first_byte(path):
    with open(path, "rb") as f:
        return repr(f.read(1))


def table(title, counter, by_key=False):
    """A counter, biggest first (by_key: in the order of first appearance)."""
    print(f"\n== {title}")
    items = counter.items() if by_key else sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    for key, n in items:
        print(f"  {n:6}  {key}")


def listing(entry, extra=None):
    print(f"  {entry['path']}  [{entry['format']}/{entry['verdict']}, {entry['size']} bytes]")
    if extra:
        print(f"      {extra}")
    for f in entry["findings"]:
        print(f"      {scanjson.finding_line(f)}")


def grouped(title, entries, key):
    """Counts of entries by key(entry), biggest first, with a few example paths each."""
    groups = collections.defaultdict(list)
    for e in entries:
        groups[key(e)].append(e["path"])
    print(f"\n== {title}")
    for k, paths in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"  {len(paths):6}  {k}")
        for p in paths[:EXAMPLES]:
            print(f"          e.g. {p}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--npguard", required=True, help="the npguard program")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--scan-arg", action="append", default=[], metavar="ARG",
                    help="an extra npguard scan option, e.g. --scan-arg=--npy-align16 "
                         "(repeatable; default: none, npguard's defaults)")
    ap.add_argument("--package", action="append",
                    help="a Debian package to survey (repeatable; default: the list in PACKAGES)")
    args = ap.parse_args()
    groups = ({p: [p] for p in args.package} if args.package else PACKAGES)

    # 1. What each package ships, scanned; the files the survey keeps, each with its kind.
    kept = []  # (label, kind, entry)
    print(f"== npguard scan --format json {' '.join(args.scan_arg)}".rstrip())
    print("== packages: files shipped, files kept")
    for label, packages in groups.items():
        files, versions = [], []
        for package in packages:
            version, shipped = shipped_files(package)
            versions.append(f"{package} {version or 'not installed'}")
            files += shipped
        entries = []
        for i in range(0, len(files), CHUNK):
            entries += scanjson.scan(args.npguard, files[i:i + CHUNK], jobs=args.jobs,
                                     extra_args=args.scan_arg)["files"]
        mine = [e for e in entries if data_suffix(e["path"]) or e["format"] in SNIFFED]
        kept += [(label, kind_of(e), e) for e in mine]
        print(f"  {label:12} {len(files):6} shipped {len(mine):5} kept   ({', '.join(versions)})")

    table("kept files by package, kind and npguard's format/verdict",
          collections.Counter(f"{label:12} {kind:8} {e['format']}/{e['verdict']}"
                              for label, kind, e in sorted(kept, key=lambda k: k[:2])),
          by_key=True)
    table(f"kept files by kind and format/verdict ({len(kept)} files)",
          collections.Counter(f"{kind:8} {e['format']}/{e['verdict']}" for _, kind, e in kept))

    # 2. Arrays: numpy.load(allow_pickle=False) is the oracle.
    arrays = [e for _, kind, e in kept if kind in ("array", "npy/zip")]
    outcome = collections.Counter()
    false_alarms, misses, refused = [], [], []
    for e in arrays:
        error = numpy_opens(e["path"])
        outcome[f"numpy.load {'refuses' if error else 'opens  '}  npguard {e['verdict']}"] += 1
        if error is None and e["verdict"] != "ok":
            false_alarms.append(e)
        elif error is not None:
            (misses if e["verdict"] == "ok" else refused).append((e, error))
    table(f"arrays ({len(arrays)} files: named .npy/.npz, or npy/zip content): numpy.load "
          "vs npguard", outcome)
    print(f"\n== FALSE ALARMS: {len(false_alarms)} files numpy.load opens that npguard does "
          "not call ok")
    for e in false_alarms:
        listing(e)
    grouped("false alarms by reason", false_alarms, scanjson.reason)
    print(f"\n== MISSES: {len(misses)} files npguard calls ok that numpy.load refuses")
    for e, error in misses:
        listing(e, f"numpy.load: {error}")
    objects = sum(1 for _, error in misses if OBJECT_REFUSAL in error)
    if objects:
        print(f"  ({objects} of them object arrays: numpy.load refuses every object array without "
              "allow_pickle, npguard's VM decodes those whose pickle stays in its allowlist)")
    print(f"\n== agreed refusals: {len(refused)} files numpy.load refuses and npguard does not "
          "call ok")
    for e, error in refused:
        print(f"  {e['path']}\n      npguard {scanjson.reason(e)}\n      numpy.load {error}")

    # 3. Pickles: never loaded; npguard's verdicts and the globals it names.
    pickles = [e for _, kind, e in kept if kind == "pickle"]
    print(f"\n== PICKLES: {len(pickles)} files named as pickles (never loaded): verdict, "
          "reason, globals named by the findings")
    names = collections.Counter()
    for e in pickles:
        named = scanjson.globals_named(e)
        names.update(named)
        print(f"  {e['path']}\n      {scanjson.reason(e)}"
              + (f"\n      globals: {', '.join(named)}" if named else ""))
    table("pickles by format/verdict", collections.Counter(f"{e['format']}/{e['verdict']}"
                                                          for e in pickles))
    table("globals named, with the number of pickles naming each", names)

    # 4. Other content npguard sniffs as pickle.
    texts = [e for _, kind, e in kept if kind == "text"]
    flagged = [e for e in texts if e["verdict"] != "ok"]
    grouped(f"TEXT SNIFFED AS PICKLE: {len(texts)} files of UTF-8 text, {len(flagged)} not ok "
            "(false alarms), by reason and first byte", flagged,
            lambda e: f"{scanjson.reason(e)}; starts {first_byte(e['path'])}")
    binaries = [e for _, kind, e in kept if kind == "binary"]
    grouped(f"binary files of other names sniffed as pickle: {len(binaries)}, by suffix, "
            "reason and first byte", binaries,
            lambda e: f"{os.path.splitext(e['path'])[1] or '(none)':8} {scanjson.reason(e)}; "
                      f"starts {first_byte(e['path'])}")

    print(f"\nsurvey: {len(kept)} files kept; {len(arrays)} arrays checked with numpy.load: "
          f"{len(false_alarms)} false alarms, {len(misses)} misses; {len(pickles)} pickles; "
          f"{len(flagged)} of {len(texts)} text files sniffed as pickle flagged; "
          f"{len(binaries)} binary files sniffed as pickle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
