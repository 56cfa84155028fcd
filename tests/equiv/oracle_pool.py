"""Parent side of the oracle: runs oracle_worker.py processes over a batch of case files.

`run_oracle(jobs, ...)` splits the jobs between a few worker processes, reads their JSON-line
events as they arrive and returns one `CaseResult` per case id. A worker that dies (a signal, a
crash inside NumPy, the memory limit killing it) or stays silent past the hang timeout loses only
its current case: that case keeps the pairs it recorded so far, its open segment gets the outcome
`crash:SIGNAME` (or `hang`), and the worker is restarted on the cases after it. Every case that
ended that way is then re-run alone in a fresh worker, and that run's result is the one kept, so
that a crash is attributed to the case itself and not to what an earlier case left behind. Cases
that ended in MemoryError or the per-case timeout are run again in fresh workers for the same
reason.
"""

import itertools
import json
import os
import selectors
import signal
import subprocess
import sys
import time

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle_worker.py")
_SERIAL = itertools.count(1)


class Segment:
    """One load (pickle mode) or one numpy.load step (npy mode)."""

    __slots__ = ("what", "pairs", "outcome", "end", "detail")

    def __init__(self, what=None):
        self.what = what
        self.pairs = []
        self.outcome = None
        self.end = None
        self.detail = ""

    def __repr__(self):
        return "Segment(%r, %r, %r, end=%r)" % (self.what, self.pairs, self.outcome, self.end)


class CaseResult:
    __slots__ = ("segments", "alone")

    def __init__(self):
        self.segments = []
        self.alone = False  # True when this result comes from a re-run of the case alone

    def open_segment(self):
        if not self.segments or self.segments[-1].outcome is not None:
            self.segments.append(Segment())
        return self.segments[-1]

    @property
    def first(self):
        return self.segments[0] if self.segments else Segment()


def _signal_name(returncode):
    if returncode is not None and returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return "SIG%d" % -returncode
    return "exit%s" % returncode


class _Worker:
    def __init__(self, cfg, jobs, tag):
        self.jobs = jobs                  # list of (id, path)
        self.index = 0                    # the case in progress
        self.buf = b""
        self.ready = False
        self.last_event = time.monotonic()
        jobfile = self.jobfile = os.path.join(cfg["tmpdir"], "jobs-%s.txt" % tag)
        with open(jobfile, "w", encoding="utf-8") as f:
            for case_id, path in jobs:
                f.write("%d\t%s\n" % (case_id, path))
        self.stderr_path = os.path.join(cfg["tmpdir"], "worker-%s.err" % tag)
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [cfg["python"], WORKER, "--mode", cfg["mode"], "--readme", cfg["readme"],
             "--jobs", jobfile, "--timeout", str(cfg["timeout"]), "--mem", str(cfg["mem"])],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr,
            env=dict(os.environ, PYTHONHASHSEED="0"))
        os.set_blocking(self.proc.stdout.fileno(), False)

    def current_id(self):
        return self.jobs[self.index][0] if self.index < len(self.jobs) else None

    def close(self, crashed):
        """Close and remove the worker's files; a crashed worker's standard error is kept."""
        self.stderr.close()
        os.unlink(self.jobfile)
        if not crashed:
            os.unlink(self.stderr_path)


# Outcomes that may depend on what earlier cases left in the worker (memory fragmentation under
# RLIMIT_AS, a slow moment): such cases are run again in fresh workers and that result is kept.
STATE_DEPENDENT = ("MemoryError", "timeout")


def run_oracle(jobs, python, mode, readme, tmpdir, workers=2, timeout=3.0, hang=30.0,
               mem=2 << 30, rerun_alone=True):
    """Run the oracle on jobs [(id, path)]; return {id: CaseResult}."""
    cfg = dict(python=python, mode=mode, readme=readme, tmpdir=tmpdir, timeout=timeout, mem=mem)
    results = {case_id: CaseResult() for case_id, _ in jobs}
    stopped = _run_pool(cfg, jobs, results, workers, hang)
    paths = dict(jobs)
    again = [(cid, paths[cid]) for cid, res in results.items() if cid not in stopped
             and any(seg.outcome in STATE_DEPENDENT for seg in res.segments)]
    if again:
        fresh = {cid: CaseResult() for cid, _ in again}
        stopped += _run_pool(cfg, again, fresh, workers, hang)
        results.update(fresh)
    if rerun_alone:
        for case_id in stopped:
            alone = {case_id: CaseResult()}
            _run_pool(cfg, [(case_id, paths[case_id])], alone, 1, hang)
            alone[case_id].alone = True
            results[case_id] = alone[case_id]
    return results


def _run_pool(cfg, jobs, results, workers, hang):
    """Run jobs over `workers` processes; fill `results`; return the ids of cases whose worker
    crashed or hung."""
    stopped = []

    def start(share):
        return _Worker(cfg, share, "%d-%d" % (os.getpid(), next(_SERIAL)))

    n = max(1, min(workers, len(jobs)))
    size = (len(jobs) + n - 1) // n
    live = [start(jobs[i:i + size]) for i in range(0, len(jobs), size)]
    sel = selectors.DefaultSelector()
    for w in live:
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)

    def retire(w, why):
        """The worker exited. If it died or hung before its last case, close that case and
        restart on the cases after it."""
        sel.unregister(w.proc.stdout)
        w.proc.stdout.close()
        live.remove(w)
        crashed = w.index < len(w.jobs)
        if crashed and not w.ready:
            with open(w.stderr_path, "rb") as f:
                err = f.read().decode("utf-8", "replace")
            w.close(crashed)
            raise RuntimeError("oracle worker failed to start (%s):\n%s" % (why, err))
        w.close(crashed)
        if crashed:
            case_id = w.current_id()
            seg = results[case_id].open_segment()
            seg.outcome = why
            stopped.append(case_id)
            rest = w.jobs[w.index + 1:]
            if rest:
                nw = start(rest)
                live.append(nw)
                sel.register(nw.proc.stdout, selectors.EVENT_READ, nw)

    while live:
        events = sel.select(timeout=1.0)
        now = time.monotonic()
        for key, _ in events:
            w = key.data
            try:
                chunk = os.read(w.proc.stdout.fileno(), 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                w.proc.wait()
                retire(w, "crash:" + _signal_name(w.proc.returncode))
                continue
            w.last_event = now
            w.buf += chunk
            *lines, w.buf = w.buf.split(b"\n")
            for line in lines:
                _handle(w, json.loads(line), results)
        for w in list(live):
            if w.ready and now - w.last_event > hang and w.index < len(w.jobs):
                w.proc.kill()
                w.proc.wait()
                retire(w, "hang")
            elif not w.ready and now - w.last_event > 120:
                w.proc.kill()
                w.proc.wait()
                retire(w, "hang")
    return stopped


def _handle(w, ev, results):
    if "pair" in ev:
        module, name = ev["pair"]
        results[w.current_id()].open_segment().pairs.append((module, name))
    elif "seg" in ev:
        what, outcome, end, detail = ev["seg"]
        seg = results[w.current_id()].open_segment()
        seg.what, seg.outcome, seg.end, seg.detail = what, outcome, end, detail
    elif "done" in ev:
        if ev["done"] != w.current_id():
            raise RuntimeError("oracle worker out of step: %r, expected %r"
                               % (ev["done"], w.current_id()))
        w.index += 1
    elif "ready" in ev:
        w.ready = True
    else:
        print("oracle_pool: unknown event %r" % (ev,), file=sys.stderr)
