#!/usr/bin/python3
"""Tests of the report's string writers (run by ctest as cli_strings, see tests/cli.cmake).

tests/cli/strings_driver.c hands bytes straight to src/cli/report_escape.c and report_global.c,
so the rules of docs/scan-json.md ("Strings") are checked for any bytes, including ones the
library does not produce today: the exact global of a finding (JSON escapes only what JSON must,
lone surrogates as \\uDXXX, bytes that are not UTF-8 as U+FFFD), its module/name split as the
library gives it, paths in JSON, and what reaches a terminal.

    test_strings.py --driver PATH [unittest args]
"""
import argparse
import json
import subprocess
import sys
import unittest

DRIVER = None


def run(*args, data):
    p = subprocess.run([DRIVER, *args], input=data, capture_output=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError(f"driver {args} exit {p.returncode}: {p.stderr!r}")
    return p.stdout


def exact(data, module_len, truncated=0):
    """The driver's raw JSON and its parse for a finding whose global is data."""
    raw = run("global", str(module_len), str(truncated), data=data)
    raw.decode("utf-8")  # strict: what the writer emits is always valid UTF-8
    return raw, json.loads(raw)


def utf8(s):
    """A str as the library holds it: UTF-8, lone surrogates in their 3-byte form."""
    return s.encode("utf-8", "surrogatepass")


class ExactGlobal(unittest.TestCase):
    def test_every_kind_of_character_comes_back_exactly(self):
        module = "\u043es"  # Cyrillic o: a look-alike of os
        name = 'sys\ntem\t"q\\b\ud800 \x00\x01\x1f\x7f\r\b\f \u0085\u200b\ufeff\U0001f600'
        data = utf8(module) + b"." + utf8(name)
        raw, doc = exact(data, len(utf8(module)))
        self.assertEqual(doc["global"], module + "." + name)
        self.assertEqual((doc["global_module"], doc["global_name"]), (module, name))
        self.assertIs(doc["global_truncated"], False)
        # only what JSON must escape is escaped: controls below U+0020, '"' and '\'
        self.assertFalse(any(b < 0x20 for b in raw.rstrip(b"\n")), raw)
        self.assertIn(utf8("\u043e"), raw)  # the look-alike letter stays itself
        self.assertIn(b"\x7f", raw)  # DEL is not a JSON control
        self.assertIn(utf8("\u0085\u200b\ufeff\U0001f600"), raw)
        self.assertIn(b"\\ud800", raw)  # a lone surrogate, which raw bytes could not carry
        self.assertIn(b"\\n", raw)
        self.assertIn(b"\\t", raw)
        self.assertIn(b"\\u0000", raw)

    def test_bytes_that_are_not_utf8_become_replacement_characters(self):
        cases = [
            (b"m.\xff", "m.\ufffd"),
            (b"m.\xc0\x80x", "m.\ufffd\ufffdx"),  # overlong NUL
            (b"m.a\xe2\x82", "m.a\ufffd\ufffd"),  # cut sequence
            (b"m.\xf4\x90\x80\x80", "m.\ufffd\ufffd\ufffd\ufffd"),  # above U+10FFFF
            (b"m.\xed\xa0", "m.\ufffd\ufffd"),  # half a surrogate
        ]
        for data, want in cases:
            with self.subTest(data=data):
                _, doc = exact(data, 1)
                self.assertEqual(doc["global"], want)
                self.assertEqual((doc["global_module"], doc["global_name"]), ("m", want[2:]))

    def test_a_surrogate_pair_is_not_joined_into_another_character(self):
        # two lone surrogates in a row are two code points in the pickle's str; "\ud83d\ude00" in
        # JSON would read back as U+1F600, a name the pickle did not ask for
        _, doc = exact(b"m." + utf8("\ud83d\ude00"), 1)
        self.assertEqual(doc["global"], "m.\ud83d\ufffd")
        self.assertNotIn("\U0001f600", doc["global"])
        _, doc = exact(b"m." + utf8("\udc00\ud800\udbff"), 1)  # low then high: nothing to join
        self.assertEqual(doc["global"], "m.\udc00\ud800\udbff")
        _, doc = exact(b"m." + utf8("\ud800x\udc00"), 1)
        self.assertEqual(doc["global"], "m.\ud800x\udc00")

    def test_the_split_is_the_librarys_not_a_guess(self):
        _, doc = exact(b"a.b.c", 3)
        self.assertEqual((doc["global_module"], doc["global_name"]), ("a.b", "c"))
        _, doc = exact(b"a.b.c", 1)
        self.assertEqual((doc["global_module"], doc["global_name"]), ("a", "b.c"))
        _, doc = exact(b"m.", 1)
        self.assertEqual((doc["global_module"], doc["global_name"]), ("m", ""))
        _, doc = exact(b"a.b.c", 2)  # not at a '.': a library bug, so the parts are unknown
        self.assertEqual((doc["global"], doc["global_module"], doc["global_name"]), ("a.b.c", None, None))
        _, doc = exact(b"abc", 7)
        self.assertEqual((doc["global_module"], doc["global_name"]), (None, None))

    def test_a_cut_global(self):
        data = b"m." + b"a" * 4094
        _, doc = exact(data, 1, truncated=1)
        self.assertEqual((doc["global"], doc["global_module"], doc["global_name"]), (data.decode(), "m", "a" * 4094))
        self.assertIs(doc["global_truncated"], True)
        _, doc = exact(b"m" * 4096, 4096, truncated=1)  # cut inside the module: no name
        self.assertEqual((doc["global_module"], doc["global_name"]), ("m" * 4096, None))
        _, doc = exact(b"m" * 4096, 4096, truncated=0)  # no '.' and not cut: inconsistent
        self.assertEqual((doc["global_module"], doc["global_name"]), (None, None))
        _, doc = exact(b"m." + utf8("\u043e")[:1], 1, truncated=1)  # cut inside a character
        self.assertEqual(doc["global"], "m.\ufffd")

    def test_an_older_library_escaped_string_is_carried_with_the_split_unknown(self):
        raw = run("legacy", data=b"numpy.core.multiarray._reconstruct")
        doc = json.loads(raw)
        self.assertEqual(doc["global"], "numpy.core.multiarray._reconstruct")
        self.assertEqual((doc["global_module"], doc["global_name"], doc["global_truncated"]), (None, None, False))


class Paths(unittest.TestCase):
    def test_paths_in_json(self):
        data = b"dir/\xd0\xbe\x7f\n\t\"\\\x01.pkl"
        doc = json.loads(run("path", data=data))
        self.assertEqual(doc["path"], "dir/\u043e\x7f\n\t\"\\\x01.pkl")
        # a path is not a pickle's str: a surrogate's bytes are not UTF-8 there, nor is \xff; a C1
        # control is replaced too (byte by byte), as the report always did
        for data, want in ((b"\xed\xa0\x80", "\ufffd" * 3), (b"a\xffb", "a\ufffdb"), (b"\xc2\x85", "\ufffd\ufffd")):
            with self.subTest(data=data):
                raw = run("path", data=data)
                raw.decode("utf-8")
                self.assertEqual(json.loads(raw)["path"], want)


class Terminal(unittest.TestCase):
    def test_nothing_reaches_the_terminal_raw_but_printable_text(self):
        data = b"a\xd0\xbe\x1b[31m\xc2\x85\x7f\r\\z\xff"
        path, message = run("terminal", data=data).split(b"\n")[:2]
        self.assertEqual(path, b"a\xd0\xbe\\x1b[31m\\xc2\\x85\\x7f\\x0d\\z\\xff")  # letters kept, controls escaped
        self.assertEqual(message, b"a\\xd0\\xbe\\x1b[31m\\xc2\\x85\\x7f\\x0d\\z\\xff")  # ASCII only
        self.assertTrue(all(0x20 <= b < 0x7f for b in message), message)


def main():
    global DRIVER
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    args, rest = ap.parse_known_args()
    DRIVER = args.driver
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
