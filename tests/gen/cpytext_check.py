#!/usr/bin/env python3
"""npguard's model of CPython's protocol-0 text readers against CPython itself.

Scan mode must read INT, LONG, FLOAT, GET/PUT and STRING arguments exactly as CPython's C
unpickler does (src/pickle/text_cpython.c), or an import placed after an argument that only
CPython accepts goes unseen. This script generates lines (hand-picked edge cases, then random
ones over an alphabet of the characters that matter: digits, signs, spaces, underscores, base
prefixes, quotes, backslashes, NUL...), asks CPython what it makes of each by unpickling a
one-opcode pickle built here (no globals: nothing is imported), asks npguard's model through
tests/tools/cpytext, and compares acceptance and value. Exit status 1 on any difference.
"""
import argparse
import io
import math
import pickle
import random
import re
import subprocess
import sys
import warnings

warnings.simplefilter("ignore")  # CPython warns about odd escapes and octal literals; only the outcome counts

EDGE = {
    "int": [b"1_000", b" 5", b"+5", b"0x10", b"010", b"007", b"00", b"01", b"-0", b"1\x005", b" 1",
            b"0o7", b"0b1", b"5 ", b"\t5", b"0_7", b"08", b"0x", b"", b" ", b"-", b"+-1", b"0x_1f",
            b"0x__1", b"1__0", b"1_", b"_1", b"99999999999999999999", b"-9223372036854775808",
            b"9223372036854775807", b"9223372036854775808", b"0777777777777777777777777",
            b"0x7fffffffffffffffff", b"-0x8000000000000000", b"\x0b1", b"1\r", b"\x001", b"0\x00x",
            b"0B101", b"0O17", b"0X1F", b"1" * 4300, b"1" * 4301, b"0x" + b"f" * 300, b"1e5", "١".encode()],
    "long": [b"5L", b"5", b"0x10L", b"1_0L", b" 5L", b"5 L", b"L", b"5LL", b"010L", b"00L", b"-0L",
             b"5\x00L", b"5L\x00", b"0b11L", b" ", b"+7L"],
    "float": [b"1.5", b" 1.5", b"1_0", b"1e999", b"-1e999", b"1e-999", b"inf", b"nan", b"Infinity",
              b"+1", b"1.", b".5", b".", b"1E5", b"0x10", b"1.5 ", b"1.5\x00zz", b"-iNf", b"", b"infinit",
              b"iNfInItY", b"-nan", b"+NaN", b"1e", b"1e+", b"1e+5", b"1.e5", b"1.5e-3x", b"\x001",
              b"0" * 500 + b"1", b"1" + b"0" * 400, b"0." + b"0" * 400 + b"1", b"1e0009"],
    "index": [b"1", b" 1", b"+1", b"1_0", b"01", b"-0", b" 1 ", b"0x1", b"-1", b"9223372036854775807",
              b"9223372036854775808", b"1__0", b"", b"\x001", b"1\x00x", b"0_0"],
    "string": [b"'a'", b'"x"', b"'a'b'", b"'\\q'", b"'\\x4'", b"'\\x41'", b"'\\777'", b"'a", b"''",
               b"'", b"'\\'", b"'\\\\'", b"'\\n\\t\\r\\a\\b\\f\\v'", b"'\\0\\12\\123\\1234'", b"\"'\"",
               b"'\\x4g'", b"'\\X41'", b"'\xe9'", b"'a\x00b'"],
}

ALPHABET = {
    "int": b"0123456789  +-_xXoObB\t\x00aefL.",
    "long": b"0123456789 +-_xXoObBLL\t\x00ae.",
    "float": b"0123456789 +-_.eEinfatyINFATY\x00x",
    "index": b"0123456789 +-_x\x00",
    "string": b"'\"\\abfnrtvx01234567AFq \x00\xe9",
}


def cpython(kind, line):
    """('ok', value) or ('refused', None): what CPython's C unpickler does with the line."""
    if kind == "index":
        try:
            pickle.loads(b"g" + line + b"\n.")
        except pickle.UnpicklingError as e:
            m = re.match(r"Memo value not found at index (-?\d+)", str(e))
            if m:
                return "ok", int(m.group(1))
            return "refused", None
        except (ValueError, OverflowError):
            return "refused", None
        return "ok", None  # cannot happen: the memo is empty
    op = {"int": b"I", "long": b"L", "float": b"F", "string": b"S"}[kind]
    try:
        v = pickle.loads(op + line + b"\n.", encoding="latin1")
    except (pickle.UnpicklingError, ValueError, OverflowError, EOFError):
        return "refused", None
    if kind == "string":
        return "ok", v.encode("latin1")
    return "ok", v


def npguard(tool, batch):
    text = "".join("%s %s\n" % (k, line.hex()) for k, line in batch)
    out = subprocess.run([tool], input=text.encode(), stdout=subprocess.PIPE, check=True).stdout.decode()
    return out.splitlines()


def same(kind, want, got):
    """Does npguard's answer line `got` match CPython's (status, value)?"""
    status, value = want
    if status == "refused":
        return got in ("refused", "limit")
    if not got.startswith("ok "):
        return False
    g = got[3:]
    if kind == "int" and isinstance(value, bool):
        return g == "bool %d" % int(value)
    if kind in ("int", "long", "index"):
        return not isinstance(value, bool) and g == str(value)
    if kind == "float":
        f = float(g)
        return (math.isnan(f) and math.isnan(value)) or f == value
    return bytes.fromhex(g) == value


def random_line(rng, kind):
    n = rng.choice([1, 2, 3, 4, 6, 10, 20, 25])
    line = bytes(rng.choice(ALPHABET[kind]) for _ in range(n))
    if kind == "string" and rng.random() < 0.7:
        q = rng.choice(b"'\"")
        line = bytes([q]) + line + bytes([q])
    return line.replace(b"\n", b"")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cpytext", required=True)
    ap.add_argument("--random", type=int, default=20000, help="random lines per kind")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    cases = [(k, line) for k, lines in EDGE.items() for line in lines]
    for k in EDGE:
        cases += [(k, random_line(rng, k)) for _ in range(a.random)]
    got = npguard(a.cpytext, cases)
    bad = 0
    accepted = 0
    for (k, line), g in zip(cases, got):
        want = cpython(k, line)
        accepted += want[0] == "ok"
        if not same(k, want, g):
            bad += 1
            if bad <= 30:
                print("MISMATCH %-6s %-40r CPython %r, npguard %r" % (k, line, want, g))
    print("%d lines (%d accepted by CPython), %d mismatches" % (len(cases), accepted, bad))
    return 1 if bad or len(got) != len(cases) else 0


if __name__ == "__main__":
    sys.exit(main())
