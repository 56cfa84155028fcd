"""Run `npguard scan --format json` and describe its findings (shared by the realfiles scripts).

The JSON report is documented in docs/scan-json.md. Only keys of schema version 1 are read.
"""
import json
import subprocess
import sys

# Severities that count: an `info` finding (an allowlisted global, a note) never makes a file
# fail, so it says nothing about why a file was flagged.
NOT_INFO = ("low", "medium", "high", "critical")


def scan(npguard, paths, jobs=2, report_copy=None, extra_args=()):
    """Runs `npguard scan --format json --jobs JOBS [EXTRA_ARGS] PATH...` and returns its
    report (a dict).

    Exit status 0 or 1 is a normal scan (1: some file did not pass). Anything else (2: usage
    error or an unreadable file, a crash) or output that is not JSON ends the program with what
    npguard printed. With report_copy, the raw report is also written to that file.
    """
    cmd = [npguard, "scan", "--format", "json", "--jobs", str(jobs), *extra_args, "--", *paths]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if report_copy:
        with open(report_copy, "wb") as f:
            f.write(proc.stdout)
    try:
        report = json.loads(proc.stdout)
    except ValueError as e:
        report = None
        why = f"output is not JSON ({e})"
    else:
        why = None
    if proc.returncode not in (0, 1) or report is None:
        sys.stderr.write(f"{' '.join(cmd)}: exit status {proc.returncode}"
                         f"{': ' + why if why else ''}\n"
                         f"stderr:\n{proc.stderr.decode(errors='replace')}\n")
        sys.exit(1)
    return report


def finding_line(f):
    """One finding on one line: rule, name, severity, where, global, status, message."""
    where = f"offset {f['offset']}"
    if f.get("member") is not None:
        where += f" in member {f['member']!r} ({f['offset_in']})"
    extra = ""
    if f.get("global") is not None:
        extra += f" global={f['global']!r}"
    if f.get("status") is not None:
        extra += f" status={f['status']}"
    return f"{f['rule']} {f['name']} {f['severity']} {where}:{extra} {f['message']}"


def reason(entry):
    """Why a file got its verdict, short enough to group files by: its format and verdict, and
    the distinct rules (with the status for NPG100) of its findings above info, in the order
    first seen. Example: "pickle/unsafe: NPG005 call-opcode, NPG100 NPG_E_MARK"."""
    parts = []
    for f in entry["findings"]:
        if f["severity"] in NOT_INFO:
            part = f"{f['rule']} {f['status'] or f['name']}"
            if part not in parts:
                parts.append(part)
    if entry.get("error"):
        parts.append(f"error: {entry['error']}")
    if entry.get("note"):
        parts.append(f"note: {entry['note']}")
    return f"{entry['format']}/{entry['verdict']}: " + (", ".join(parts) or "no finding above info")


def globals_named(entry):
    """The distinct `module.name` globals the file's findings name (info ones included), in
    order: what a pickle would import."""
    seen = []
    for f in entry["findings"]:
        g = f.get("global")
        if g is not None and g not in seen:
            seen.append(g)
    return seen
