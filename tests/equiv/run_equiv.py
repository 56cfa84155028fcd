#!/usr/bin/python3
"""Differential test of `npguard scan` against CPython's own unpickler (and numpy.load).

    run_equiv.py --npguard PATH --work DIR --cases N --seed S [--npy] [options]

Generates N cases from fixed seeds (tests/equiv/README.md says how), writes them in batches of
files into DIR, runs `npguard scan --format json` once per batch and the oracle (CPython's C
unpickler restricted to the allowlist, in child processes) on the same files, checks the
contract's rules and prints a summary: cases, verdicts, oracle outcomes, violations per rule with
the smallest examples as Python bytes literals, over-reports by category. Exit status 1 on any
violation, 2 on a harness error. Each batch's files are deleted after use, so any N runs in
bounded memory and disk.

Needs Debian's /usr/bin/python3 (NumPy 1.24). Python only ever loads files generated here.
"""

import argparse
import importlib.util
import os
import shutil
import sys
import time

if os.environ.get("PYTHONHASHSEED") != "0":  # set order in pickle.dumps -> reproducible cases
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ROOT = os.path.dirname(os.path.dirname(HERE))

if importlib.util.find_spec("numpy") is None:  # the generators and the oracle need it
    sys.exit("run_equiv.py: NumPy is missing for %s (use Debian's /usr/bin/python3 with "
             "python3-numpy)" % sys.executable)

import allowlist as al  # noqa: E402
import minimize  # noqa: E402
import npguard_scan  # noqa: E402
import oracle_pool  # noqa: E402
from checks_pickle import describe_npguard  # noqa: E402
from report import fmt_case  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--npguard", required=True, help="the npguard program")
    ap.add_argument("--work", required=True, help="scratch directory (batches are written here)")
    ap.add_argument("--cases", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--npy", action="store_true", help=".npy/.npz against numpy.load")
    ap.add_argument("--batch", type=int, default=25000, help="cases per directory and scan")
    ap.add_argument("--workers", type=int, default=2, help="oracle worker processes")
    ap.add_argument("--jobs", type=int, default=2, help="npguard scan --jobs")
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"),
                    help="README.md holding the allowlist table")
    ap.add_argument("--ref-dir", default=os.path.join(ROOT, "tests", "data", "numpy-pickles"),
                    help="reference pickles to mutate")
    ap.add_argument("--globals", choices=("auto", "exact", "escaped"), default="auto",
                    help="how findings must name a pair (see checks_pickle.py)")
    ap.add_argument("--examples", type=int, default=10, help="examples kept per rule")
    ap.add_argument("--keep", help="copy every violating case into this directory")
    ap.add_argument("--timeout", type=float, default=3.0, help="oracle: seconds per case")
    ap.add_argument("--mem", type=int, default=2 << 30, help="oracle: RLIMIT_AS per worker")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the oracle")
    ap.add_argument("--scan-arg", action="append", default=[],
                    help="extra argument for npguard scan (repeatable)")
    ap.add_argument("--minimize", type=float, default=30.0, metavar="SECONDS",
                    help="time for shrinking the examples of violations (0: keep them as found)")
    return ap.parse_args()


def make_source(args):
    if args.npy:
        import gen_npy
        return gen_npy.NpySource(args.seed)
    import sources
    return sources.PickleSource(args.seed, args.ref_dir)


def make_checks(args, allow):
    if args.npy:
        import checks_npy
        return checks_npy.NpyChecks(allow, args.globals, args.examples)
    import checks_pickle
    return checks_pickle.PickleChecks(allow, args.globals, args.examples)


def keep_violations(args, checks, batch):
    """Copy the cases that added violations (or unnamed pairs) in this batch into --keep."""
    ids, checks.new_violations = set(checks.new_violations), []
    if not args.keep:
        return
    os.makedirs(args.keep, exist_ok=True)
    for case_id in sorted(ids):
        data, _ = batch[case_id]
        with open(os.path.join(args.keep, npguard_scan.case_name(case_id)), "wb") as f:
            f.write(data)


class Runner:
    """Runs npguard and the oracle on a set of cases (one batch directory at a time)."""

    def __init__(self, args, mode):
        self.args = args
        self.mode = mode
        self.tmp_dir = os.path.join(args.work, "tmp")

    def run(self, directory, cases):
        """cases {id: bytes} -> ({id: JSON entry}, {id: CaseResult}); the files are removed."""
        args = self.args
        jobs = npguard_scan.write_batch(directory, cases)
        try:
            scan = npguard_scan.Scan(args.npguard, directory,
                                     os.path.join(self.tmp_dir, "report.json"), args.jobs,
                                     args.scan_arg)
            results = oracle_pool.run_oracle(jobs, args.python, self.mode, args.readme,
                                             self.tmp_dir, workers=args.workers,
                                             timeout=args.timeout, mem=args.mem)
            report = scan.result()
        finally:
            npguard_scan.remove_batch(directory, jobs)
        entries = {}
        for case_id in cases:
            entry = report.get(npguard_scan.case_name(case_id))
            if entry is None:
                raise RuntimeError("npguard's report has no entry for case %d" % case_id)
            entries[case_id] = entry
        return entries, results


MIN_SHRINK = 32  # examples this short are read as they are


def shrink_examples(args, runner, checks):
    """Add to each kept violation example (longer than MIN_SHRINK bytes) a minimized case that
    fails the same rule; returns how many were minimized."""
    viol = checks.viol
    todo = [((rule, cid), rule, data) for rule in list(viol.count)
            for cid, data, _ in viol.examples(rule) if len(data) > MIN_SHRINK]
    if not todo or args.minimize <= 0:
        return 0
    directory = os.path.join(args.work, "minimize")

    def judge(batch):
        entries, results = runner.run(directory, dict(enumerate(batch)))
        out = []
        for i, data in enumerate(batch):
            ev = checks.evaluate(data, entries[i], results[i])
            describe = checks.describe_oracle(results[i])
            out.append((ev.failing(checks.exact_mode),
                        "%s | %s: %s" % (describe_npguard(entries[i]), checks.oracle_name,
                                         describe)))
        return out

    shrunk = minimize.minimize(todo, judge, args.minimize)
    for (rule, cid), (data, info) in shrunk.items():
        original, note = [(d, n) for c, d, n in viol.examples(rule) if c == cid][0]
        viol.replace(rule, cid, original, "%s\nminimized to %d bytes: %s\n    %s"
                     % (note, len(data), fmt_case(data), info))
    shutil.rmtree(directory, ignore_errors=True)
    return len(shrunk)


def run(args):
    t_start = time.monotonic()
    allow = al.load_allowlist(args.readme)
    mode = "npy" if args.npy else "pickle"
    batch_dir = os.path.join(args.work, "batch")
    shutil.rmtree(batch_dir, ignore_errors=True)
    os.makedirs(batch_dir)
    os.makedirs(os.path.join(args.work, "tmp"), exist_ok=True)
    source = make_source(args)
    checks = make_checks(args, allow)
    runner = Runner(args, mode)
    timing = dict(generate=0.0, scan_and_oracle=0.0, check=0.0, minimize=0.0)

    next_id = 0
    while next_id < args.cases:
        t0 = time.monotonic()
        count = min(args.batch, args.cases - next_id)
        batch = {next_id + i: source.next() for i in range(count)}
        next_id += count
        t1 = time.monotonic()
        entries, results = runner.run(batch_dir, {i: d for i, (d, _) in batch.items()})
        t2 = time.monotonic()
        for case_id, (data, tag) in batch.items():
            checks.check(case_id, data, tag, entries[case_id], results[case_id])
        keep_violations(args, checks, batch)
        t3 = time.monotonic()
        timing["generate"] += t1 - t0
        timing["scan_and_oracle"] += t2 - t1
        timing["check"] += t3 - t2
        if args.cases > args.batch:
            print("equiv %s: %d/%d cases, %.0f s, %d violations so far"
                  % (mode, next_id, args.cases, time.monotonic() - t_start,
                     checks.violations_so_far()), file=sys.stderr, flush=True)
    shutil.rmtree(batch_dir, ignore_errors=True)

    checks.decide_names()
    t4 = time.monotonic()
    shrunk = shrink_examples(args, runner, checks)
    timing["minimize"] = time.monotonic() - t4

    out = sys.stdout
    print("equiv %s: %d cases, seed %d, %.1f s (%s)" % (
        mode, args.cases, args.seed, time.monotonic() - t_start,
        ", ".join("%s %.1f s" % (k, v) for k, v in timing.items())), file=out)
    print("  allowlist: %d pairs from %s" % (len(allow), args.readme), file=out)
    if shrunk:
        print("  %d violation examples minimized (bytes deleted while the rule still fails)"
              % shrunk, file=out)
    checks.print(out)
    total = checks.violations()
    print("equiv %s: %s (%d violations)" % (mode, "FAIL" if total else "PASS", total), file=out)
    return 1 if total else 0


def main():
    args = parse_args()
    try:
        return run(args)
    except (RuntimeError, OSError) as exc:
        print("run_equiv.py: harness error: %s" % exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
