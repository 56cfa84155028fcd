#!/usr/bin/python3
"""Inputs and CPython reference timings for bench/bench_pickle.c.

Run with Debian's /usr/bin/python3 (it has numpy); bench/run does. Subcommands:

  array OUT [--mib N]           protocol-4 pickle of a float64 array of N MiB (default 512)
  dicts OUTDIR [--n N]          dicts-p{2,4,5}.pkl: a list of N small dicts (fixed seed)
  loads FILE [--repeat R]       best-of-R CPython pickle.loads(bytes), gc disabled and enabled
  load-file FILE                one CPython pickle.load(open(FILE)) in this (fresh) process:
                                wall time and peak RSS

Timing and RSS results are printed as one line each:
  RESULT bench=... impl=... mode=... key=value ...
which bench/run collects into its table. Nothing here imports or runs anything from the
generated files except CPython's own unpickler on the bytes this script wrote itself.
"""
import argparse
import gc
import importlib
import os
import pickle
import pickletools
import random
import resource
import sys
import time
import timeit

SEED = 20240517
TAG_VOCAB = ["tag%02d" % i for i in range(40)]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def result(**kv):
    print("RESULT " + " ".join("%s=%s" % (k, v) for k, v in kv.items()), flush=True)


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


# ------------------------------------------------------------------ generators

def cmd_array(args):
    import numpy as np

    nbytes = args.mib << 20
    a = np.arange(nbytes // 8, dtype=np.float64)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        pickle.dump(a, f, protocol=4)
    os.replace(tmp, args.out)
    size = os.path.getsize(args.out)
    print("wrote %s: %d bytes (float64[%d], %d MiB of payload, protocol 4)"
          % (args.out, size, a.size, args.mib))


def make_dicts(n, seed):
    """n small dicts, ~50 pickle bytes and ~16 opcodes each at protocol 4."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        out.append({
            "id": rng.randrange(1 << 31),
            "name": "".join(rng.choice(LETTERS) for _ in range(rng.randint(9, 22))),
            "score": rng.random() * 100.0,
            "tags": rng.sample(TAG_VOCAB, rng.randint(0, 2)),
        })
    return out


def cmd_dicts(args):
    os.makedirs(args.outdir, exist_ok=True)
    data = make_dicts(args.n, args.seed)
    for proto in (2, 4, 5):
        blob = pickle.dumps(data, protocol=proto)
        path = os.path.join(args.outdir, "dicts-p%d.pkl" % proto)
        with open(path + ".tmp", "wb") as f:
            f.write(blob)
        os.replace(path + ".tmp", path)
        ops = sum(1 for _ in pickletools.genops(blob))
        print("wrote %s: %d bytes, %d opcodes (pickletools), %d dicts, protocol %d"
              % (path, len(blob), ops, args.n, proto))


# ------------------------------------------------------------------ CPython timings

def cmd_loads(args):
    with open(args.file, "rb") as f:
        blob = f.read()
    name = os.path.basename(args.file)
    check = pickle.loads(blob)  # warm up, and the object count for the record
    nitems = len(check) if hasattr(check, "__len__") else -1
    del check
    for gc_mode in ("off", "on"):
        # timeit disables gc while timing; setup re-enables it for the "on" run.
        setup = "gc.enable()" if gc_mode == "on" else "gc.disable()"
        gc.collect()
        times = timeit.repeat("loads(blob)", setup=setup, repeat=args.repeat, number=1,
                              globals={"loads": pickle.loads, "blob": blob, "gc": gc})
        gc.enable()
        best = min(times)
        times.sort()
        med = times[len(times) // 2]
        result(bench="dicts", file=name, impl="cpython", mode="loads-gc-" + gc_mode,
               bytes=len(blob), items=nitems, best_ms="%.2f" % (best * 1e3),
               median_ms="%.2f" % (med * 1e3), runs=args.repeat,
               mb_s="%.1f" % (len(blob) / best / 1e6), rss_kib=peak_rss_kib())


def cmd_load_file(args):
    # The unpickler would import numpy anyway; import it first to keep that out of the timing
    # and to report the interpreter's RSS before the load.
    importlib.import_module("numpy")

    base = peak_rss_kib()
    t0 = time.perf_counter()
    with open(args.file, "rb") as f:
        obj = pickle.load(f)
    dt = time.perf_counter() - t0
    peak = peak_rss_kib()
    size = os.path.getsize(args.file)
    result(bench="array", file=os.path.basename(args.file), impl="cpython", mode="pickle.load",
           bytes=size, wall_ms="%.2f" % (dt * 1e3), rss_kib=peak, base_rss_kib=base,
           shape=str(obj.shape).replace(" ", ""), dtype=str(obj.dtype))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("array")
    a.add_argument("out")
    a.add_argument("--mib", type=int, default=512)
    a.set_defaults(fn=cmd_array)
    d = sub.add_parser("dicts")
    d.add_argument("outdir")
    d.add_argument("--n", type=int, default=300000)
    d.add_argument("--seed", type=int, default=SEED)
    d.set_defaults(fn=cmd_dicts)
    lo = sub.add_parser("loads")
    lo.add_argument("file")
    lo.add_argument("--repeat", type=int, default=7)
    lo.set_defaults(fn=cmd_loads)
    lf = sub.add_parser("load-file")
    lf.add_argument("file")
    lf.set_defaults(fn=cmd_load_file)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
