"""The assertions for .npy/.npz files against numpy.load, and the false-alarm report.

The oracle's segments for one file (oracle_worker.py, mode npy): "plain" is
numpy.load(allow_pickle=False) touching every member; "pickle", only when plain failed, is
numpy.load(allow_pickle=True) with NumPy's `pickle` replaced by the recording restricted
unpickler. numpy.load "opens" the file when plain succeeds, or when the pickle step succeeds with
allowlisted pairs only.

Failing rules:
  N1       verdict ok, format npy or zip => numpy.load opens it (every member), the restricted
           unpickler recording nothing outside the allowlist
  N2       the restricted unpickler recorded an import outside the allowlist => verdict unsafe
  N2-name  ... and a finding names that pair (same matching as checks_pickle)

Informational: false alarms (numpy.load opens it, npguard says invalid), by npguard's reason; and
over-reports (unsafe although nothing outside the allowlist was imported).
"""

import re

import allowlist as al
from checks_pickle import describe_oracle as describe_pickle_oracle
from checks_pickle import (ChecksBase, Evaluation, describe_npguard, match_pair,
                           shows_exact_globals)
from npguard_scan import unsafe_findings
from report import Examples, fmt_counter, print_examples

RULES = [
    ("N1", "ok (npy/zip) => numpy.load opens it, nothing outside the allowlist"),
    ("N2", "an object array's pickle imports outside the allowlist => unsafe"),
    ("N2-name", "... and a finding names the imported pair exactly"),
]


def describe_oracle(result):
    return describe_pickle_oracle(result, label=lambda i, seg: seg.what or "?", quiet=("ok",))


def reason(entry):
    """Why npguard called a file invalid: the NPG100 status and its message, numbers elided."""
    keys = []
    for f in entry["findings"]:
        if f["severity"] == "info":
            continue
        if f["rule"] == "NPG100" and f.get("status"):
            msg = f["message"].split(": ", 1)[-1]
            msg = re.sub(r"\d+", "N", msg)[:70]
            keys.append("%s: %s" % (f["status"], msg))
        elif f["rule"] != "NPG103":
            keys.append(f["rule"])
    return "; ".join(sorted(set(keys))) or "no finding above info"


class NpyChecks(ChecksBase):
    oracle_name = "numpy"
    describe_oracle = staticmethod(describe_oracle)
    NAME_RULES = ("N2-name",)

    def __init__(self, allow, globals_mode="auto", keep=10):
        super().__init__(allow, globals_mode, keep)
        self.false_alarms = Examples(1)

    def evaluate(self, data, entry, result):
        ev = Evaluation()
        verdict, fmt = entry["verdict"], entry["format"]
        segs = {s.what: s for s in result.segments}
        plain, pick = segs.get("plain"), segs.get("pickle")
        pairs = [p for s in result.segments for p in s.pairs]
        outside = [p for p in pairs if p not in self.allow]
        ev.first_imports = [p for p in outside if al.is_importable_name(p[0])]
        ev.failed = [p for p in outside if not al.is_importable_name(p[0])]
        ev.opened = (plain is not None and plain.outcome == "ok") or \
            (pick is not None and pick.outcome == "ok" and not outside)
        if verdict == "ok" and fmt in ("npy", "zip") and (not ev.opened or outside):
            ev.rules.add("N1")
        if ev.first_imports:
            if verdict != "unsafe":
                ev.rules.add("N2")
            else:
                for module, name in ev.first_imports:
                    exact, escaped = match_pair(entry["findings"], module, name)
                    ev.names.append(("N2-name", (module, name), exact, escaped))
        return ev

    def check(self, case_id, data, tag, entry, result):
        verdict, fmt = entry["verdict"], entry["format"]
        findings = entry["findings"]
        self.verdicts[verdict] += 1
        self.formats[fmt] += 1
        self.sources[":".join(tag.split(":")[:2])] += 1
        self.outcomes[" / ".join("%s %s" % (s.what, s.outcome) for s in result.segments)] += 1
        if shows_exact_globals(findings):
            self.exact_evidence += 1
        note = lambda: "%s | numpy: %s | %s" % (describe_npguard(entry), describe_oracle(result),
                                                tag)
        ev = self.evaluate(data, entry, result)
        self.record(ev, case_id, data, note, tag)
        if ev.opened and verdict == "invalid":
            self.false_alarms.add("%s (%s)" % (reason(entry), fmt), case_id, data, note())
        if verdict == "unsafe" and not ev.first_imports:
            segs = result.segments
            rules = "+".join(sorted({f["rule"] for f in unsafe_findings(entry)}))
            kind = "failed import" if ev.failed else "nothing outside the allowlist recorded"
            self.over.add("%s; numpy %s" % (kind, segs[-1].outcome if segs else "?"),
                          case_id, data, note(), rules)

    def violations(self):
        self.decide_names()
        return self.viol.total()

    def print(self, out):
        self.decide_names()
        print("  sources: %s" % fmt_counter(self.sources), file=out)
        print("  npguard verdicts: %s" % fmt_counter(self.verdicts), file=out)
        print("  npguard formats: %s" % fmt_counter(self.formats), file=out)
        print("  numpy.load: %s" % fmt_counter(self.outcomes, 12), file=out)
        print("  finding names compared: %s" % ("exact" if self.exact_mode else
                                                "escaped form accepted"), file=out)
        print("  violations: %d" % self.viol.total(), file=out)
        for rule, text in RULES:
            print("    %-8s %6d  %s" % (rule, self.viol.count[rule], text), file=out)
        for rule, _ in RULES:
            if self.viol.count[rule]:
                print("  %s: %d, from %s; examples (smallest first):"
                      % (rule, self.viol.count[rule], fmt_counter(self.viol.sources[rule], 8)),
                      file=out)
                print_examples(out, self.viol, rule)
        print("  false alarms (numpy.load opens it, npguard invalid): %d, by reason"
              % self.false_alarms.total(), file=out)
        for key, n in self.false_alarms.count.most_common(40):
            print("    %6d  %s" % (n, key), file=out)
            print_examples(out, self.false_alarms, key, indent="            ")
        print("  over-reports (unsafe, nothing imported outside the allowlist): %d"
              % self.over.total(), file=out)
        for key, n in self.over.count.most_common(20):
            print("    %6d  %s  [npguard rules: %s]"
                  % (n, key, fmt_counter(self.over.sources[key], 4)), file=out)
            print_examples(out, self.over, key, indent="            ")
