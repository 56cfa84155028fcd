"""The contract's assertions for pickles, one case at a time, and the informational tallies.

For each case: npguard's JSON entry (verdict, format, findings) and the oracle's CaseResult (one
segment per pickle.load of the stream: the find_class pairs and how the load ended).

Failing rules:
  R1          the first load imports a pair outside the allowlist => verdict unsafe
  R1-name     ... and a finding names that pair (see below)
  R1-stream   a later load of the stream (after earlier ones succeeded) imports outside the
              allowlist => unsafe, and a finding names the pair (npguard scans every pickle of
              a file)
  R2          verdict ok, format pickle => the first load succeeded with allowlisted pairs only
  R2-stream   ... and so did every later load, the last one ending exactly at the end
  R4-import   format text/unknown/empty => the first load imported nothing (a module name CPython
              cannot import is a failed import, not an import)
  R4-complete format text/unknown/empty => the bytes are not a complete opcode stream

An "import" is a recorded pair whose module is a dotted sequence of identifiers
(allowlist.is_importable_name). Name matching (match_pair): a finding's "global" must equal
module + "." + name, and its "global_module"/"global_name" parts, when given, the module and the
name. Until npguard's globals are exact, the escaped form (allowlist.escape_bytes) is accepted:
with --globals auto the exact comparison counts as soon as the report shows exact globals
anywhere (a "global_module" key, a global that is not printable ASCII, or an exact match that
differs from the escaped form).

Informational: over-reports (unsafe while CPython imported nothing outside the allowlist), by
category; and files CPython loads with allowlisted globals only that npguard does not call ok.
"""

import collections

import allowlist as al
from completeness import OPCODES, is_complete_stream, opcode_names
from npguard_scan import unsafe_findings
from report import Examples, fmt_counter, print_examples, source_of

RULES = [
    ("R1", "an import outside the allowlist (first load) => unsafe"),
    ("R1-name", "... and a finding names the imported pair exactly"),
    ("R1-stream", "an import outside the allowlist in a later load => unsafe, pair named"),
    ("R2", "ok (pickle) => the first load succeeds with allowlisted globals only"),
    ("R2-stream", "ok (pickle) => every later load succeeds too, ending at the end"),
    ("R4-import", "text/unknown/empty => CPython imports nothing"),
    ("R4-complete", "text/unknown/empty => not a complete opcode stream"),
]
NOT_A_PICKLE = ("text", "unknown", "empty")
COVERAGE_MIN = 20000   # runs this long must show the generator's full coverage
REQUIRED_IMPORTERS = ["GLOBAL", "STACK_GLOBAL", "STACK_GLOBAL(memo)", "INST", "+REDUCE", "+OBJ",
                      "+NEWOBJ", "+NEWOBJ_EX", "+BUILD"]


def pair_str(pair):
    return "%s %s" % (repr(pair[0]), repr(pair[1]))


def describe_oracle(result, label=lambda i, seg: "load%d" % (i + 1), quiet=("ok", "refused")):
    """One line for the oracle's segments: each one's label, outcome, last find_class pairs, and
    the exception's text unless the outcome is in `quiet`."""
    parts = []
    for i, seg in enumerate(result.segments):
        text = "%s %s" % (label(i, seg), seg.outcome)
        if seg.pairs:
            text += " after find_class " + ", ".join(pair_str(p) for p in seg.pairs[-3:])
        if seg.detail and seg.outcome not in quiet:
            text += " (%s)" % seg.detail.replace("\n", " ")[:70]
        parts.append(text)
    if result.alone:
        parts.append("(re-run alone)")
    return "; ".join(parts) or "no result"


def describe_npguard(entry):
    bits = []
    for f in entry["findings"]:
        if f["severity"] == "info":
            continue
        text = f["rule"]
        if f.get("global"):
            text += " " + repr(f["global"])
        if f.get("status"):
            text += " " + f["status"]
        bits.append(text)
    more = "" if len(bits) <= 4 else " +%d" % (len(bits) - 4)
    return "npguard %s (%s) %s%s" % (entry["verdict"], entry["format"], ", ".join(bits[:4]), more)


def json_form(s):
    """What an exact JSON report can carry of str s: a low surrogate right after a high one is
    U+FFFD there (a JSON reader would join the two escapes into one character)."""
    out = []
    high = False
    for ch in s:
        o = ord(ch)
        if high and 0xDC00 <= o <= 0xDFFF:
            out.append("\ufffd")
            high = False
            continue
        high = 0xD800 <= o <= 0xDBFF
        out.append(ch)
    return "".join(out)


def _same(reported, wanted, truncated):
    """reported == wanted, or a prefix of it when the library cut the pair (a cut may end inside
    a character, written as U+FFFD)."""
    if reported == wanted:
        return True
    return truncated and wanted.startswith(reported.rstrip("\ufffd"))


def match_pair(findings, module, name):
    """(exact, escaped): whether some finding names (module, name) exactly / in escaped form.

    Exact: "global" is module + "." + name (a prefix when "global_truncated" says the library cut
    it), and the parts "global_module"/"global_name" (or a "module" key), when given, are the
    module and the name. FINDING's "name" key is the rule's name, never the global's.
    Escaped: the form npguard wrote before globals were exact (a long module may be cut short
    before ".name" is appended)."""
    exact_s = json_form(module + "." + name)
    want_m, want_n = json_form(module), json_form(name)
    escaped_s = al.global_strings(module, name)[1]
    esc_module, esc_name = al.escape_bytes(module), al.escape_bytes(name)
    exact = escaped = False
    for f in findings:
        g = f.get("global")
        if not g:
            continue
        cut = f.get("global_truncated") is True
        got_m = f.get("global_module", f.get("module"))
        got_n = f.get("global_name")
        if (_same(g, exact_s, cut) and (got_m is None or _same(got_m, want_m, cut))
                and (got_n is None or _same(got_n, want_n, cut))):
            exact = True
        if g == escaped_s:
            escaped = True
        elif len(g) >= 100:
            head = g[:-len(esc_name) - 1] if g.endswith("." + esc_name) else None
            if escaped_s.startswith(g) or (head is not None and esc_module.startswith(head)):
                escaped = True
    return exact, escaped


def shows_exact_globals(findings):
    """Whether these findings show npguard writing exact globals."""
    for f in findings:
        if "global_module" in f or "module" in f:
            return True
        g = f.get("global")
        if g and any(not (0x20 <= ord(c) <= 0x7E) for c in g):
            return True
    return False


def numpy2_only(seg):
    """Whether the load failed only because NumPy 1.x cannot read what NumPy 2 writes: the
    flags of an aligned struct dtype (0x80 | 0x10 set, beyond NumPy 1's char; npguard accepts
    NumPy 2's values, checking every other bit)."""
    return seg.outcome == "ValueError" and "incorrect value for flags variable" in (seg.detail or "")


class Evaluation:
    """What one case says about the rules (pure: no counting)."""

    __slots__ = ("rules", "names", "first_imports", "later_imports", "failed", "opened",
                 "numpy2_only")

    def __init__(self):
        self.rules = set()          # failing rules other than the name rules
        self.names = []             # (name rule, pair, named exactly, named in escaped form)
        self.first_imports = []
        self.later_imports = []
        self.failed = []            # find_class of a module CPython cannot import
        self.opened = False         # npy mode: numpy.load opened the file
        self.numpy2_only = False    # a load failed on NumPy-2-only dtype flags

    def failing(self, exact_mode):
        """Every failing rule, the name rules judged exactly or leniently."""
        out = set(self.rules)
        for key, _, exact, escaped in self.names:
            if not (exact if exact_mode else escaped):
                out.add(key)
        return out


class ChecksBase:
    """What the pickle and npy checks share: the violations and the name rules' bookkeeping."""

    NAME_RULES = ()   # the name rules folded into the violations once the globals mode is known

    def __init__(self, allow, globals_mode, keep):
        self.allow = allow
        self.globals_mode = globals_mode
        self.exact_evidence = 0
        self.viol = Examples(keep)
        self.name_exact = Examples(keep)      # pairs not named exactly, by name rule
        self.name_escaped = Examples(keep)    # ... nor in escaped form
        self.over = Examples(1)
        self.verdicts = collections.Counter()
        self.formats = collections.Counter()
        self.outcomes = collections.Counter()
        self.sources = collections.Counter()
        self.new_violations = []              # case ids since the runner last looked
        self.decided = False
        self.exact_mode = globals_mode == "exact"

    def record(self, ev, case_id, data, note, tag):
        """Count one case's failing rules and its name checks."""
        for rule in sorted(ev.rules):
            self.violate(rule, case_id, data, note(), tag)
        for key, pair, exact, escaped in ev.names:
            exact_s, escaped_s = al.global_strings(*pair)
            if exact and exact_s != escaped_s:
                self.exact_evidence += 1
            if not exact:
                why = "pair %s not named exactly; " % pair_str(pair)
                self.name_exact.add(key, case_id, data, why + note(), source_of(tag))
                if not escaped:
                    self.name_escaped.add(key, case_id, data, why + note(), source_of(tag))
                self.new_violations.append(case_id)

    def violate(self, rule, case_id, data, note, tag):
        self.viol.add(rule, case_id, data, note, source_of(tag))
        self.new_violations.append(case_id)

    def violations_so_far(self):
        return self.viol.total() + self.name_escaped.total()

    def decide_names(self):
        """Fold the name failures into the violations, by the globals mode."""
        if self.decided:
            return
        self.decided = True
        self.exact_mode = (self.globals_mode == "exact" or
                           (self.globals_mode == "auto" and self.exact_evidence > 0))
        names = self.name_exact if self.exact_mode else self.name_escaped
        for key in self.NAME_RULES:
            if names.count[key]:
                self.viol.merge_key(key, names, key)


class PickleChecks(ChecksBase):
    oracle_name = "CPython"
    describe_oracle = staticmethod(describe_oracle)
    NAME_RULES = ("R1-name", "R1-stream")

    def __init__(self, allow, globals_mode="auto", keep=10):
        super().__init__(allow, globals_mode, keep)
        self.under = Examples(1)
        self.imports = collections.Counter()
        self.cases = 0
        self.numpy2_cases = 0                 # cases NumPy 1.x refused on NumPy 2's dtype flags
        self.opcodes_seen = set()             # generator coverage (grammar cases)
        self.protos_seen = set()
        self.importers = collections.Counter()  # grammar payload forms that reached find_class

    # ------------------------------------------------------------------ per case

    def imports_in(self, seg):
        return [p for p in seg.pairs if p not in self.allow and al.is_importable_name(p[0])]

    def failed_imports_in(self, seg):
        return [p for p in seg.pairs if p not in self.allow and not al.is_importable_name(p[0])]

    def evaluate(self, data, entry, result):
        ev = Evaluation()
        verdict, fmt, findings = entry["verdict"], entry["format"], entry["findings"]
        segs = result.segments
        first = result.first
        ev.first_imports = self.imports_in(first)
        ev.later_imports = [p for seg in segs[1:] for p in self.imports_in(seg)]
        ev.failed = [p for seg in segs for p in self.failed_imports_in(seg)]

        for rule, name_rule, pairs in (("R1", "R1-name", ev.first_imports),
                                       ("R1-stream", "R1-stream", ev.later_imports)):
            if not pairs:
                continue
            if verdict != "unsafe":
                ev.rules.add(rule)
                continue
            for module, name in pairs:
                exact, escaped = match_pair(findings, module, name)
                ev.names.append((name_rule, (module, name), exact, escaped))

        # a load NumPy 1.x refused on NumPy 2's dtype flags says nothing against ok (nor, as the
        # stream's reading ends there, about what follows it)
        ev.numpy2_only = any(numpy2_only(seg) for seg in segs)
        if verdict == "ok" and fmt == "pickle":
            if ((first.outcome != "ok" and not ev.numpy2_only) or ev.first_imports
                    or self.failed_imports_in(first)):
                ev.rules.add("R2")
            elif ((any(s.outcome != "ok" for s in segs) or segs[-1].end != len(data))
                  and not ev.numpy2_only) or ev.later_imports or ev.failed:
                ev.rules.add("R2-stream")

        if fmt in NOT_A_PICKLE:
            if ev.first_imports:
                ev.rules.add("R4-import")
            if is_complete_stream(data):
                ev.rules.add("R4-complete")
        return ev

    def check(self, case_id, data, tag, entry, result):
        self.cases += 1
        verdict, fmt = entry["verdict"], entry["format"]
        findings = entry["findings"]
        self.verdicts[verdict] += 1
        self.formats[fmt] += 1
        self.sources[tag.split(":", 1)[0]] += 1
        self.outcomes[result.first.outcome] += 1
        if shows_exact_globals(findings):
            self.exact_evidence += 1
        note = lambda: "%s | CPython: %s | %s" % (describe_npguard(entry), describe_oracle(result),
                                                  tag)
        ev = self.evaluate(data, entry, result)
        if ev.first_imports:
            self.imports["first load"] += 1
        if ev.later_imports:
            self.imports["later load"] += 1
        if ev.failed:
            self.imports["failed import (module not importable)"] += 1
        if ev.numpy2_only:
            self.numpy2_cases += 1

        self.record(ev, case_id, data, note, tag)

        if tag.startswith("grammar"):
            self.coverage(data, tag, ev)

        # Informational
        segs = result.segments
        if verdict == "unsafe" and not ev.first_imports and not ev.later_imports:
            key, rules = self.over_category(entry, result, ev.failed)
            self.over.add(key, case_id, data, note(), rules)
        clean = (segs and all(s.outcome == "ok" for s in segs) and segs[-1].end == len(data)
                 and not ev.failed and not ev.later_imports and not ev.first_imports)
        if clean and verdict != "ok":
            statuses = sorted({f["status"] for f in findings if f.get("status")})
            key = "%s (%s) %s" % (verdict, fmt, " ".join(statuses) or
                                  " ".join(sorted({f["rule"] for f in unsafe_findings(entry)})))
            self.under.add(key, case_id, data, note())

    def coverage(self, data, tag, ev):
        if len(self.opcodes_seen) < len(OPCODES) or len(self.protos_seen) < 6:
            names = opcode_names(data)
            self.opcodes_seen.update(names)
            if data[:1] == b"\x80" and len(data) > 1:
                self.protos_seen.add(data[1])
        how = tag.split(":")[2]
        if how != "-" and (ev.first_imports or ev.later_imports):
            importer, _, call = how.partition("+")
            self.importers[importer] += 1
            if call:
                self.importers["+" + call] += 1

    def coverage_gaps(self):
        """What the grammar failed to produce (checked on runs of COVERAGE_MIN cases or more)."""
        if self.cases < COVERAGE_MIN:
            return []
        gaps = ["opcode " + name for name in sorted({n for n, _, _ in OPCODES.values()}
                                                      - self.opcodes_seen)]
        gaps += ["PROTO %d at offset 0" % p for p in range(6) if p not in self.protos_seen]
        for form in REQUIRED_IMPORTERS:
            if not self.importers[form]:
                gaps.append("no import reached CPython through " + form)
        return gaps

    def over_category(self, entry, result, failed):
        """(category, rules) of an over-report: why CPython imported nothing, how it ended."""
        rules = sorted({f["rule"] for f in unsafe_findings(entry)})
        first = result.first
        cpython = first.outcome + (" +%d loads" % (len(result.segments) - 1)
                                   if len(result.segments) > 1 else "")
        if failed:
            kind = "failed import (module not importable)"
        else:
            recorded = set()
            for seg in result.segments:
                for m, n in seg.pairs:
                    recorded.update(al.global_strings(m, n))
            globals_ = {f["global"] for f in unsafe_findings(entry) if f.get("global")}
            if not globals_:
                kind = "no global named"
            elif globals_ - recorded:
                kind = "a global CPython never reached"
            else:
                kind = "allowlisted global"
        return "%s; CPython %s" % (kind, cpython), "+".join(rules)

    # ------------------------------------------------------------------ totals

    def violations(self):
        self.decide_names()
        return self.viol.total() + len(self.coverage_gaps())

    def print(self, out):
        self.decide_names()
        print("  sources: %s" % fmt_counter(self.sources), file=out)
        print("  npguard verdicts: %s" % fmt_counter(self.verdicts), file=out)
        print("  npguard formats: %s" % fmt_counter(self.formats), file=out)
        print("  CPython first load: %s" % fmt_counter(self.outcomes), file=out)
        print("  CPython find_class outside the allowlist: %s" % fmt_counter(self.imports),
              file=out)
        print("  cases NumPy 1.x refused on NumPy 2's dtype flags (not held against ok): %d"
              % self.numpy2_cases, file=out)
        mode = "exact" if self.exact_mode else "escaped form accepted"
        print("  finding names compared: %s (exact-globals evidence in %d findings; %d R1 "
              "pairs not named exactly)" % (mode, self.exact_evidence,
                                           self.name_exact.total()), file=out)
        print("  grammar coverage: %d/%d opcodes, PROTO %s at offset 0; imports reaching "
              "find_class by form: %s" % (len(self.opcodes_seen), len(OPCODES),
                                          ",".join(map(str, sorted(self.protos_seen))),
                                          fmt_counter(self.importers)), file=out)
        gaps = self.coverage_gaps()
        if gaps:
            print("  GENERATOR COVERAGE GAPS (a failure): %s" % "; ".join(gaps), file=out)
        print("  violations: %d" % self.viol.total(), file=out)
        for rule, text in RULES:
            print("    %-12s %6d  %s" % (rule, self.viol.count[rule], text), file=out)
        for rule, _ in RULES:
            if self.viol.count[rule]:
                print("  %s: %d, from %s; examples (smallest first):"
                      % (rule, self.viol.count[rule], fmt_counter(self.viol.sources[rule], 8)),
                      file=out)
                print_examples(out, self.viol, rule)
        if not self.exact_mode and self.name_exact.total():
            print("  R1 pairs named only in escaped form (will count once globals are exact):",
                  file=out)
            print_examples(out, self.name_exact, "R1-name")
        print("  over-reports (unsafe, CPython imported nothing outside the allowlist): %d"
              % self.over.total(), file=out)
        for key, n in self.over.count.most_common(30):
            print("    %6d  %s  [npguard rules: %s]"
                  % (n, key, fmt_counter(self.over.sources[key], 4)), file=out)
            print_examples(out, self.over, key, indent="            ")
        print("  CPython loads with allowlisted globals only, npguard not ok: %d"
              % self.under.total(), file=out)
        for key, n in self.under.count.most_common(20):
            print("    %6d  %s" % (n, key), file=out)
            print_examples(out, self.under, key, indent="            ")
