#!/usr/bin/python3
"""Check fuzzing dictionaries (AFL-style, as libFuzzer -dict= and AFL++ -x read them).

Usage: check_dicts.py FILE.dict...   Exit status 1 if any line is malformed.

Each line is empty, a comment (first non-blank character '#'), or `name="value"` (AFL++ also
allows `name@level="value"`), where name is [A-Za-z0-9_]+ and value is printable ASCII
(0x20-0x7E) in which a backslash only starts \\\\, \\" or \\xNN, and a bare '"' does not occur.
The decoded value must be 1 to 64 bytes (libFuzzer drops longer entries; AFL++ refuses
values over 128 bytes; both refuse empty ones). Duplicate names or values are reported as
warnings.
"""
import re
import sys

LINE = re.compile(r'^([A-Za-z0-9_]+)(@[0-9]+)?="(.*)"$')
MAX_TOKEN = 64


def decode(body):
    out, i = bytearray(), 0
    while i < len(body):
        c = body[i]
        if not (0x20 <= ord(c) < 0x7F):
            raise ValueError(f"non-printable character {ord(c):#04x} at column {i}")
        if c == '"':
            raise ValueError(f"unescaped '\"' at column {i}")
        if c == "\\":
            nxt = body[i + 1:i + 2]
            if nxt in ("\\", '"'):
                out.append(ord(nxt))
                i += 2
                continue
            if nxt == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", body[i + 2:i + 4] or ""):
                out.append(int(body[i + 2:i + 4], 16))
                i += 4
                continue
            raise ValueError(f"bad escape at column {i} (only \\\\, \\\" and \\xNN)")
        out.append(ord(c))
        i += 1
    return bytes(out)


def check(path):
    errors, warnings, names, values, count = [], [], {}, {}, 0
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as e:
        return [f"{path}: not ASCII at byte {e.start}"], [], 0
    if "\r" in text:
        errors.append(f"{path}: CR in file (use LF line ends)")
    for no, line in enumerate(text.split("\n"), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if line != s:
            warnings.append(f"{path}:{no}: leading or trailing blanks")
        m = LINE.match(s)
        if not m:
            errors.append(f"{path}:{no}: not name=\"value\": {s[:60]}")
            continue
        try:
            v = decode(m.group(3))
        except ValueError as e:
            errors.append(f"{path}:{no}: {e}")
            continue
        if not 1 <= len(v) <= MAX_TOKEN:
            errors.append(f"{path}:{no}: value of {len(v)} bytes (1 to {MAX_TOKEN})")
        if m.group(1) in names:
            warnings.append(f"{path}:{no}: name {m.group(1)} also on line {names[m.group(1)]}")
        if v in values:
            warnings.append(f"{path}:{no}: value also on line {values[v]}")
        names.setdefault(m.group(1), no)
        values.setdefault(v, no)
        count += 1
    if count == 0:
        errors.append(f"{path}: no entries")
    return errors, warnings, count


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    bad = False
    for p in paths:
        errors, warnings, count = check(p)
        for w in warnings:
            print("warning:", w, file=sys.stderr)
        for e in errors:
            print("error:", e, file=sys.stderr)
        bad |= bool(errors)
        print(f"{p}: {count} entries, {'BAD' if errors else 'ok'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
