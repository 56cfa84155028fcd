"""The allowlist as README.md states it, and what counts as an import.

The allowlist is the table between `<!-- allowlist:begin -->` and `<!-- allowlist:end -->` in the
project's README.md: one row per exact (module, name) pair, both in backquotes. It is read at test
time, so rows added to the README are picked up without touching the test.

An "import" is a find_class call whose module name CPython could import: a dotted sequence of
Python identifiers, each component `str.isidentifier()` and at most 255 bytes in UTF-8 (a file name
component). Any other module name makes CPython's import fail and the unpickler stop; the contract
counts it as a failed import, not as an import.
"""

import re

BEGIN = "<!-- allowlist:begin -->"
END = "<!-- allowlist:end -->"
_ROW = re.compile(r"^\|\s*`([^`]*)`\s*\|\s*`([^`]*)`\s*\|")


def load_allowlist(readme_path):
    """Return the frozenset of (module, name) pairs of the README's allowlist table."""
    with open(readme_path, encoding="utf-8") as f:
        text = f.read()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError("%s: no %s ... %s block" % (readme_path, BEGIN, END))
    pairs = set()
    for line in text[start + len(BEGIN):end].splitlines():
        m = _ROW.match(line.strip())
        if m:
            pairs.add((m.group(1), m.group(2)))
    if not pairs:
        raise ValueError("%s: the allowlist table has no rows" % readme_path)
    return frozenset(pairs)


def is_importable_name(module):
    """True when `module` is a dotted sequence of identifiers CPython's import could look up."""
    if not isinstance(module, str) or not module:
        return False
    for part in module.split("."):
        if not part.isidentifier():
            return False
        try:
            if len(part.encode("utf-8")) > 255:
                return False
        except UnicodeEncodeError:  # lone surrogates are not identifiers anyway
            return False
    return True


def global_strings(module, name):
    """The ways a finding's `global` may spell (module, name): the exact `module.name`, and the
    escaped form npguard wrote before globals became exact (UTF-8 bytes; printable ASCII kept,
    backslash doubled, every other byte as \\xNN). Returns (exact, escaped)."""
    return module + "." + name, escape_bytes(module) + "." + escape_bytes(name)


def escape_bytes(s):
    out = []
    for c in s.encode("utf-8", "surrogatepass"):
        if c == 0x5C:
            out.append("\\\\")
        elif 0x20 <= c <= 0x7E:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)
