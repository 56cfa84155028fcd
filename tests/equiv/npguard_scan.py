"""Run `npguard scan --format json` over a batch directory and index the report by file name.

Each case is a file `cNNNNNNN.bin` in one flat directory (no name that claims a format: the verdict
must come from the bytes alone). One scan per directory; exit status 1 is normal (some files are
unsafe or invalid), anything else but 0 is an error.
"""

import json
import os
import subprocess


def case_name(case_id):
    return "c%07d.bin" % case_id


def write_batch(directory, cases):
    """Write {id: bytes} into `directory`; return [(id, path)]."""
    os.makedirs(directory, exist_ok=True)
    jobs = []
    for case_id, data in cases.items():
        path = os.path.join(directory, case_name(case_id))
        with open(path, "wb") as f:
            f.write(data)
        jobs.append((case_id, path))
    return jobs


def remove_batch(directory, jobs):
    for _, path in jobs:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


class Scan:
    """A running `npguard scan` over one directory; `result()` waits and parses."""

    def __init__(self, npguard, directory, report_path, jobs=2, extra_args=()):
        self.directory = directory
        self.report_path = report_path
        self.cmd = [npguard, "scan", "--format", "json", "--jobs", str(jobs), "-o", report_path,
                    *extra_args, directory]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def result(self):
        """{file name: FILE object of the JSON report}."""
        _, err = self.proc.communicate()
        if self.proc.returncode not in (0, 1):
            raise RuntimeError("%s: exit status %d\n%s" % (" ".join(self.cmd), self.proc.returncode,
                                                         err.decode("utf-8", "replace")[-4000:]))
        with open(self.report_path, encoding="utf-8") as f:
            report = json.load(f)
        os.unlink(self.report_path)
        return {os.path.basename(entry["path"]): entry for entry in report["files"]}


def unsafe_findings(entry):
    """The findings that can make a file unsafe: the allowlist rules (NPG002 to NPG099) at
    severity high or critical."""
    return [f for f in entry["findings"]
            if f["severity"] in ("high", "critical") and "NPG002" <= f["rule"] < "NPG100"]
