#!/usr/bin/python3
"""Tests of `npguard scan` (run by ctest as cli_scan, see tests/cli.cmake).

Runs the built program on files generated here with NumPy and CPython's pickle/zipfile (Debian's
python3: numpy 1.24 and python3-jsonschema). Nothing generated is ever unpickled: the "evil"
files name os.system and are only written. Checks exit statuses, verdicts and findings for every
format, every option, directories, standard input, unreadable entries, the JSON report against
the schema in docs/scan-json.md and the SARIF report against the OASIS 2.1.0 schema.

    test_cli.py --npguard PATH --work DIR --doc docs/scan-json.md --sarif-schema SCHEMA [unittest args]
"""
import argparse
import io
import json
import os
import pickle
import pty
import re
import shutil
import struct
import subprocess
import sys
import time
import unittest
import zipfile

import jsonschema
import numpy as np

ARGS = None
W = None  # work directory; every command runs with it as the current directory


class Evil:
    """Pickles as a call of os.system (posix.system on Linux). Only ever dumped."""

    def __reduce__(self):
        return (os.system, ("true",))


def read(path):
    with open(os.path.join(W, path), "rb") as f:
        return f.read()


def put(path, data):
    path = os.path.join(W, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def npy_bytes(arr, allow_pickle=False):
    b = io.BytesIO()
    np.save(b, arr, allow_pickle=allow_pickle)
    return b.getvalue()


def zip_bytes(members, compression=zipfile.ZIP_STORED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", compression=compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return b.getvalue()


def utf8(s):
    """A str as a pickle stores it (and find_class receives it): UTF-8, surrogates in 3-byte form."""
    return s.encode("utf-8", "surrogatepass")


def unicode_op(s):
    """SHORT_BINUNICODE for up to 255 bytes, else BINUNICODE."""
    b = utf8(s)
    return (b"\x8c" + bytes([len(b)]) if len(b) < 256 else b"X" + struct.pack("<I", len(b))) + b


def stack_global_call(module, name):
    """Protocol 4, by hand: STACK_GLOBAL of (module, name), called with no arguments (REDUCE)."""
    return b"\x80\x04" + unicode_op(module) + unicode_op(name) + b"\x93" + b")R."


def without_last_cd_entry(zb):
    """The archive with its last central-directory entry removed: that member is then hidden."""
    eocd = zb.rindex(b"PK\x05\x06")
    count, cd_size, cd_off = struct.unpack("<HII", zb[eocd + 10:eocd + 20])
    pos, keep = cd_off, b""
    for _ in range(count - 1):
        nl, el, cl = struct.unpack("<HHH", zb[pos + 28:pos + 34])
        keep += zb[pos:pos + 46 + nl + el + cl]
        pos += 46 + nl + el + cl
    eocd_rec = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count - 1, count - 1, len(keep), cd_off, 0)
    return zb[:cd_off] + keep + eocd_rec


# path -> (format, verdict) for every fixture
EXPECT = {}


def fixture(path, data, fmt, verdict):
    put(path, data)
    EXPECT[path] = (fmt, verdict)


def make_fixtures():
    rng = np.random.default_rng(4)
    arr = rng.integers(0, 1000, 12).reshape(3, 4)
    evil_p2 = pickle.dumps(Evil(), protocol=2)
    # good files
    fixture("fx/ok/arr.npy", npy_bytes(arr), "npy", "ok")
    fixture("fx/ok/f4.npy", npy_bytes(rng.random(5).astype("<f4")), "npy", "ok")
    fixture("fx/ok/objs.npy", npy_bytes(np.array([1, "a", None, [2]], dtype=object), True), "npy", "ok")
    b = io.BytesIO()
    np.savez(b, x=arr, y=np.ones(3))
    fixture("fx/ok/arrs.npz", b.getvalue(), "zip", "ok")
    b = io.BytesIO()
    np.savez_compressed(b, x=np.arange(1000))
    fixture("fx/ok/comp.npz", b.getvalue(), "zip", "ok")
    fixture("fx/ok/empty.npz", zip_bytes([]), "zip", "ok")
    for proto in range(6):
        obj = {"a": arr, "l": [1, 2.5, "x", None, True], "t": (1, 2), "s": {1, 2}, "b": b"\x00\x01"}
        fixture(f"fx/ok/p{proto}.pkl", pickle.dumps(obj, protocol=proto), "pickle", "ok")
    fixture("fx/ok/concat.pkl", pickle.dumps(1, protocol=2) + pickle.dumps([arr], protocol=4)
            + pickle.dumps("x", protocol=0), "pickle", "ok")
    b = io.BytesIO()
    np.savetxt(b, rng.random((4, 3)), delimiter=",")
    fixture("fx/ok/table.csv", b.getvalue(), "text", "ok")
    fixture("fx/ok/data.json", json.dumps({"a": [1, 2], "b": None}).encode(), "text", "ok")
    fixture("fx/ok/note.txt", b"N.B. starts like a pickle\nbut is text\n", "text", "ok")
    fixture("fx/ok/empty.bin", b"", "empty", "ok")
    # bad files
    fixture("fx/bad/evil_p0.pkl", pickle.dumps(Evil(), protocol=0), "pickle", "unsafe")
    fixture("fx/bad/evil_p2.pkl", evil_p2, "pickle", "unsafe")
    fixture("fx/bad/evil_p4.pkl", pickle.dumps({"x": Evil()}, protocol=4), "pickle", "unsafe")
    fixture("fx/bad/concat_evil.pkl", pickle.dumps(1, protocol=2) + evil_p2, "pickle", "unsafe")
    fixture("fx/bad/objevil.npy", npy_bytes(np.array([Evil()], dtype=object), True), "npy", "unsafe")
    evil_zip = zip_bytes([("archive/data.pkl", evil_p2), ("archive/version", b"3\n")], zipfile.ZIP_DEFLATED)
    fixture("fx/bad/torchlike.pt", evil_zip, "zip", "unsafe")
    fixture("fx/bad/hidden.zip", without_last_cd_entry(zip_bytes([("a.npy", npy_bytes(arr)), ("evil.pkl", evil_p2)])),
            "zip", "unsafe")
    fixture("fx/bad/hidden_benign.zip", without_last_cd_entry(zip_bytes([("a.npy", npy_bytes(arr)),
                                                                          ("x.pkl", pickle.dumps(1, protocol=2))])),
            "zip", "invalid")
    mism = bytearray(evil_zip)
    i = mism.rindex(b"archive/data.pkl")
    mism[i:i + 16] = b"archive/datap.kl"
    fixture("fx/bad/mismatch.zip", bytes(mism), "zip", "unsafe")
    fixture("fx/bad/poly.npy", npy_bytes(arr) + evil_zip, "npy", "unsafe")
    fixture("fx/bad/poly.pkl", pickle.dumps([1, 2], protocol=2) + evil_zip, "pickle", "unsafe")
    fixture("fx/bad/prefixed.zip", b"#!/bin/sh\nexit 0\n" + zip_bytes([("a.npy", npy_bytes(arr))]), "zip", "invalid")
    fixture("fx/bad/trunc.npy", npy_bytes(arr)[:-5], "npy", "invalid")
    fixture("fx/bad/trunc.pkl", pickle.dumps(arr, protocol=4)[:-7], "pickle", "invalid")
    fixture("fx/bad/random.bin", bytes(rng.integers(128, 256, 300, dtype=np.uint8)), "unknown", "unknown")
    # the content decides the format, never the name; a name claiming a data format can only add
    # suspicion: text named .npz is a broken archive (NPG105)
    fixture("fx/ext/weights.npy", evil_p2, "pickle", "unsafe")
    fixture("fx/ext/model.pkl", read("fx/ok/arrs.npz"), "zip", "ok")
    fixture("fx/ext/table.npz", read("fx/ok/table.csv"), "text", "invalid")


def scan(*args, input=None, env=None, timeout=120):
    return subprocess.run([ARGS.npguard, "scan", *args], input=input, capture_output=True, cwd=W, env=env,
                          timeout=timeout)


def scan_json(*args, **kw):
    p = scan("--format", "json", *args, **kw)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (exit {p.returncode}): {p.stdout[:500]!r} {p.stderr[:500]!r}")
    jsonschema.validate(doc, JSON_SCHEMA)
    return p.returncode, doc


def files_by_path(doc):
    return {f["path"]: f for f in doc["files"]}


def read_pty(master):
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return out


class Formats(unittest.TestCase):
    def test_every_fixture_gets_its_format_and_verdict(self):
        rc, doc = scan_json("fx")
        got = files_by_path(doc)
        self.assertEqual(set(got), set(EXPECT))
        for path, (fmt, verdict) in EXPECT.items():
            with self.subTest(path=path):
                self.assertEqual((got[path]["format"], got[path]["verdict"]), (fmt, verdict), got[path]["findings"])
        self.assertEqual(rc, 1)
        s = doc["summary"]
        self.assertEqual(s["files"], len(EXPECT))
        self.assertEqual(s["ok"] + s["unsafe"] + s["invalid"] + s["unknown"] + s["errors"], s["files"])
        self.assertEqual(s["exit_status"], 1)

    def test_one_file_at_a_time_exit_status(self):
        for path, (fmt, verdict) in EXPECT.items():
            with self.subTest(path=path):
                p = scan(path)
                self.assertEqual(p.returncode, 0 if verdict == "ok" else 1, p.stdout)

    def test_unsafe_findings(self):
        _, doc = scan_json("fx/bad/evil_p2.pkl", "fx/bad/torchlike.pt", "fx/bad/hidden.zip", "fx/bad/poly.npy",
                           "fx/bad/objevil.npy")
        f = files_by_path(doc)
        g = [x for x in f["fx/bad/evil_p2.pkl"]["findings"] if x["rule"] == "NPG002"]
        self.assertEqual(g[0]["global"], "posix.system")
        self.assertEqual(g[0]["severity"], "critical")
        self.assertEqual((g[0]["offset"], g[0]["offset_in"], g[0]["member"]), (2, "file", None))
        t = f["fx/bad/torchlike.pt"]["findings"]
        self.assertTrue(any(x["rule"] == "NPG004" and x["member"] == "archive/data.pkl" and x["offset_in"] == "member"
                            for x in t))
        self.assertTrue(any(x["rule"] == "NPG103" and x["member"] == "archive/version" and x["severity"] == "info"
                            for x in t))
        h = f["fx/bad/hidden.zip"]["findings"]
        self.assertTrue(any(x["rule"] == "NPG100" and x["status"] == "NPG_E_ZIP_LAYOUT" for x in h))
        self.assertTrue(any(x["rule"] == "NPG104" and x["member"] == "evil.pkl" and x["offset_in"] == "file" for x in h))
        self.assertTrue(any(x["rule"] == "NPG002" and x["member"] == "evil.pkl" for x in h))
        self.assertTrue(any(x["rule"] == "NPG102" for x in f["fx/bad/poly.npy"]["findings"]))
        o = [x for x in f["fx/bad/objevil.npy"]["findings"] if x["rule"] == "NPG002"]
        self.assertGreaterEqual(o[0]["offset"], 128)  # inside the object array's pickle, a file offset

    def test_findings_before_an_error_are_kept(self):
        put("t/cut_evil.pkl", pickle.dumps(Evil(), protocol=2)[:-3])
        rc, doc = scan_json("t/cut_evil.pkl")
        f = doc["files"][0]
        self.assertEqual((rc, f["verdict"]), (1, "unsafe"))
        rules = [x["rule"] for x in f["findings"]]
        self.assertIn("NPG002", rules)
        self.assertIn("NPG100", rules)
        err = [x for x in f["findings"] if x["rule"] == "NPG100"][0]
        self.assertEqual(err["status"], "NPG_E_TRUNCATED")


class Output(unittest.TestCase):
    def test_text(self):
        p = scan("fx/ok/arr.npy", "fx/bad/evil_p2.pkl", "fx/bad/random.bin")
        out = p.stdout.decode()
        self.assertNotIn("\033[", out)  # not a terminal: no colour
        lines = out.splitlines()
        self.assertEqual(lines[0], "fx/ok/arr.npy: ok (npy)")
        self.assertEqual(lines[1], "fx/bad/evil_p2.pkl: unsafe (pickle)")
        self.assertRegex(lines[2], r"^  NPG002 critical +offset 2: global not allowed: posix\.system$")
        self.assertRegex(lines[3], r"^  NPG004 critical +offset \d+: call of posix\.system$")
        self.assertEqual(lines[4], "fx/bad/random.bin: unknown (unknown)")
        self.assertRegex(lines[5], r"^  NPG101 medium")
        self.assertEqual(lines[-1], "3 files: 1 ok, 1 unsafe, 0 invalid, 1 unknown, 0 errors")
        self.assertEqual(p.returncode, 1)

    def test_verbose_lists_info_findings(self):
        quiet = scan("fx/ok/p2.pkl").stdout.decode()
        loud = scan("-v", "fx/ok/p2.pkl").stdout.decode()
        self.assertNotIn("NPG001", quiet)
        self.assertIn("NPG001 info", loud)

    def test_colour_only_on_a_terminal_without_no_color(self):
        for no_color, want in ((None, True), ("1", False), ("", True)):
            env = dict(os.environ)
            env.pop("NO_COLOR", None)
            if no_color is not None:
                env["NO_COLOR"] = no_color
            master, slave = pty.openpty()
            with subprocess.Popen([ARGS.npguard, "scan", "fx/bad/evil_p2.pkl"], stdout=slave,
                                  stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=W, env=env) as p:
                os.close(slave)
                out = read_pty(master)
                p.wait(60)
            with self.subTest(no_color=no_color):
                self.assertEqual(b"\033[" in out, want, out)
                self.assertIn(b"unsafe", out)

    def test_output_file(self):
        p = scan("-o", "t/report.json", "-f", "json", "fx/ok/arr.npy")
        self.assertEqual((p.returncode, p.stdout), (0, b""))
        doc = json.loads(read("t/report.json"))
        jsonschema.validate(doc, JSON_SCHEMA)
        self.assertEqual(doc["files"][0]["verdict"], "ok")
        p = scan("-o", "t/report.txt", "fx/bad/evil_p2.pkl")
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"unsafe (pickle)", read("t/report.txt"))
        p = scan("-o", "t/no/such/dir/r.txt", "fx/ok/arr.npy")
        self.assertEqual(p.returncode, 2)

    def test_json_document(self):
        rc, doc = scan_json("fx/ok", "fx/bad/hidden.zip")
        self.assertEqual(doc["version"], 1)
        self.assertEqual(doc["tool"]["name"], "npguard")
        s = doc["summary"]
        self.assertEqual(s["passed"], s["ok"])
        total = sum(len(f["findings"]) for f in doc["files"])
        self.assertEqual(sum(s["findings"].values()), total)
        for f in doc["files"]:
            for x in f["findings"]:
                self.assertEqual(x["status"] is None, x["rule"] != "NPG100" or x["severity"] == "info", x)
                self.assertRegex(x["message"], r"^[\x20-\x7e]*$")

    def test_sarif(self):
        p = scan("--format", "sarif", "fx/bad", "fx/ok/arr.npy", "t/does-not-exist", os.path.join(W, "fx/bad/evil_p0.pkl"))
        self.assertEqual(p.returncode, 2)
        doc = json.loads(p.stdout)
        jsonschema.validate(doc, SARIF_SCHEMA)
        run = doc["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        ids = [r["id"] for r in rules]
        self.assertEqual(ids, [f"NPG{i:03d}" for i in list(range(1, 12)) + list(range(100, 107))])
        for r in rules:
            self.assertGreater(len(r["help"]["text"]), 40)
        self.assertTrue(run["originalUriBaseIds"]["SRCROOT"]["uri"].startswith("file:///"))
        results = run["results"]
        self.assertTrue(results)
        levels = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
        for res in results:
            self.assertEqual(ids[res["ruleIndex"]], res["ruleId"])
            self.assertEqual(res["level"], levels[res["properties"]["severity"]])
            loc = res["locations"][0]["physicalLocation"]
            uri = loc["artifactLocation"]["uri"]
            if uri.startswith("file://"):
                self.assertNotIn("uriBaseId", loc["artifactLocation"])
            else:
                self.assertEqual(loc["artifactLocation"]["uriBaseId"], "SRCROOT")
                self.assertFalse(uri.startswith("/"))
                self.assertTrue(os.path.exists(os.path.join(W, uri)), uri)
            self.assertEqual("region" in loc, res["properties"]["offsetIn"] == "file")
            if "region" in loc:
                self.assertEqual(loc["region"]["byteOffset"], res["properties"]["offset"])
            self.assertNotEqual(res["properties"]["severity"], "info")  # only with --verbose
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
        self.assertIn("fx/bad/evil_p2.pkl", uris)
        self.assertIn("file://" + os.path.join(W, "fx/bad/evil_p0.pkl"), uris)
        inv = run["invocations"][0]
        self.assertFalse(inv["executionSuccessful"])
        self.assertEqual(inv["exitCode"], 2)
        self.assertEqual(inv["toolExecutionNotifications"][0]["level"], "error")
        v = json.loads(scan("-f", "sarif", "-v", "fx/ok/p2.pkl").stdout)
        jsonschema.validate(v, SARIF_SCHEMA)
        self.assertTrue(any(r["ruleId"] == "NPG001" for r in v["runs"][0]["results"]))

    def test_quiet(self):
        p = scan("-q", "fx/ok", "fx/bad/evil_p2.pkl")
        lines = p.stdout.decode().splitlines()
        self.assertEqual([ln for ln in lines if not ln.startswith("  ")][:-1], ["fx/bad/evil_p2.pkl: unsafe (pickle)"])
        self.assertTrue(lines[-1].startswith(f"{len([k for k in EXPECT if k.startswith('fx/ok/')]) + 1} files:"))
        rc, doc = scan_json("-q", "fx/ok", "fx/bad/random.bin")
        self.assertEqual([f["path"] for f in doc["files"]], ["fx/bad/random.bin"])
        self.assertEqual(doc["summary"]["ok"], len([k for k in EXPECT if k.startswith("fx/ok/")]))

    def test_quiet_hides_unknown_files_passed_by_skip_unknown(self):
        # "only files that did not pass": with --skip-unknown an unknown file passes
        both = ("fx/bad/random.bin", "fx/bad/evil_p2.pkl")
        p = scan("-q", "--skip-unknown", *both)
        heads = [ln for ln in p.stdout.decode().splitlines() if not ln.startswith("  ")]
        self.assertEqual(heads[:-1], ["fx/bad/evil_p2.pkl: unsafe (pickle)"])
        self.assertTrue(heads[-1].startswith("2 files: 0 ok, 1 unsafe, 0 invalid, 1 unknown"), heads[-1])
        self.assertNotIn(b"random.bin", p.stdout)
        self.assertIn(b"random.bin", scan("-q", *both).stdout)  # without --skip-unknown it did not pass
        rc, doc = scan_json("-q", "--skip-unknown", *both)
        self.assertEqual([f["path"] for f in doc["files"]], ["fx/bad/evil_p2.pkl"])
        self.assertEqual((doc["summary"]["unknown"], doc["summary"]["passed"]), (1, 1))
        sarif = json.loads(scan("-f", "sarif", "-q", "--skip-unknown", *both).stdout)
        jsonschema.validate(sarif, SARIF_SCHEMA)
        uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
        self.assertEqual(set(uris), {"fx/bad/evil_p2.pkl"})
        # a file not scanned for its size passes the same way: no entry, no notification
        big = ("--max-file-size", "1K", "fx/ok/comp.npz", "fx/bad/evil_p2.pkl")
        rc, doc = scan_json("-q", "--skip-unknown", *big)
        self.assertEqual(([f["path"] for f in doc["files"]], doc["summary"]["not_scanned"]), (["fx/bad/evil_p2.pkl"], 1))
        self.assertNotIn(b"comp.npz", scan("-q", "--skip-unknown", *big).stdout)
        sarif = json.loads(scan("-f", "sarif", "-q", "--skip-unknown", *big).stdout)
        jsonschema.validate(sarif, SARIF_SCHEMA)
        self.assertEqual(sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"], [])
        sarif = json.loads(scan("-f", "sarif", "-q", *big).stdout)  # did not pass: still notified
        self.assertEqual(len(sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]), 1)


# Names as find_class would receive them: control characters, a quote, a backslash, a Cyrillic
# letter in a look-alike of "os", a lone surrogate. The first module is made of identifier
# characters (an importable name); the second is not one (NPG011).
EXACT = {
    "t/exact/lookalike.pkl": ("\u043es", 'sys\ntem\t"q\\b\ud800'),
    "t/exact/badmodule.pkl": ('ev\nil\t"\\\ud800', "x\u043e"),
}


class ExactNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for path, (module, name) in EXACT.items():
            put(path, stack_global_call(module, name))

    def test_json_gives_back_the_exact_names(self):
        p = scan("--format", "json", *EXACT)
        doc = json.loads(p.stdout)
        jsonschema.validate(doc, JSON_SCHEMA)
        for f in doc["files"]:
            module, name = EXACT[f["path"]]
            with self.subTest(path=f["path"]):
                self.assertNotEqual(f["verdict"], "ok")
                named = [x for x in f["findings"] if x["global"] is not None]
                self.assertTrue(named, f["findings"])
                for x in named:
                    self.assertEqual(x["global"], module + "." + name, x)
                    self.assertEqual((x["global_module"], x["global_name"]), (module, name), x)
                    self.assertIs(x["global_truncated"], False)
        self.assertIn(utf8("\u043e"), p.stdout)  # the letter itself, not an escape of its bytes
        self.assertIn(b"\\ud800", p.stdout)

    def test_sarif_gives_back_the_exact_names(self):
        doc = json.loads(scan("--format", "sarif", *EXACT).stdout)
        jsonschema.validate(doc, SARIF_SCHEMA)
        seen = set()
        for res in doc["runs"][0]["results"]:
            path = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            props = res["properties"]
            if props["global"] is None:
                continue
            module, name = EXACT[path]
            self.assertEqual(props["global"], module + "." + name, res)
            self.assertEqual((props["globalModule"], props["globalName"], props["globalTruncated"]),
                             (module, name, False), res)
            self.assertRegex(res["message"]["text"], r"^[\x20-\x7e]*$")
            seen.add(path)
        self.assertEqual(seen, set(EXACT))

    def test_text_output_has_no_raw_control_characters(self):
        for args in ([], ["-v"]):
            p = scan(*args, *EXACT)
            with self.subTest(args=args):
                self.assertEqual(p.returncode, 1)
                lines = p.stdout.split(b"\n")
                self.assertEqual(lines[-1], b"")
                for ln in lines:
                    self.assertTrue(all(0x20 <= c < 0x7F for c in ln), ln)  # non-ASCII escaped too
                self.assertGreaterEqual(len([ln for ln in lines if ln.startswith(b"  NPG")]), 2)

    def test_a_very_long_name_is_cut_and_marked(self):
        put("t/exact/long.pkl", stack_global_call("m", "a" * 5000))
        rc, doc = scan_json("t/exact/long.pkl")
        named = [x for x in doc["files"][0]["findings"] if x["global"] is not None]
        self.assertTrue(named)
        for x in named:
            self.assertEqual(x["global"], ("m." + "a" * 5000)[:4096])
            self.assertEqual((x["global_module"], x["global_name"], x["global_truncated"]), ("m", "a" * 4094, True))

    def test_allow_matches_the_exact_bytes(self):
        module, name = EXACT["t/exact/lookalike.pkl"]
        exact = utf8(module) + b"." + utf8(name)  # argv carries any byte but NUL
        rc, doc = scan_json(b"--allow", exact, "t/exact/lookalike.pkl")
        f = doc["files"][0]
        self.assertEqual((rc, f["verdict"]), (0, "ok"), f["findings"])
        for x in f["findings"]:
            if x["global"] is not None:
                self.assertEqual(x["severity"], "info")
                self.assertIn("allowed by the caller", x["message"])
        # the escaped spelling a terminal shows is another name
        escaped = "\\xd0\\xbes.sys\\x0atem\\x09\"q\\\\b\\xed\\xa0\\x80"
        self.assertEqual(scan("--allow", escaped, "t/exact/lookalike.pkl").returncode, 1)
        self.assertEqual(scan(b"--allow", b"os." + utf8(name), "t/exact/lookalike.pkl").returncode, 1)


class Inputs(unittest.TestCase):
    def test_standard_input(self):
        data = read("fx/bad/evil_p0.pkl")
        rc, doc = scan_json("-", input=data)
        self.assertEqual((rc, doc["files"][0]["path"], doc["files"][0]["verdict"]), (1, "-", "unsafe"))
        rc, doc = scan_json("fx/ok/arr.npy", "-", input=read("fx/ok/comp.npz"))
        self.assertEqual([(f["path"], f["format"]) for f in doc["files"]], [("fx/ok/arr.npy", "npy"), ("-", "zip")])
        self.assertEqual(rc, 0)
        rc, doc = scan_json("--max-file-size", "100", "-", input=data * 10)
        self.assertEqual((rc, doc["files"][0]["verdict"], doc["files"][0]["format"]), (1, "unknown", None))
        self.assertIn("--max-file-size", doc["files"][0]["note"])
        rc, doc = scan_json("-", input=b"")
        self.assertEqual((rc, doc["files"][0]["format"]), (0, "empty"))
        self.assertEqual(scan("-", "-", input=b"").returncode, 2)

    def test_empty_file_and_wrong_extensions(self):
        rc, doc = scan_json("fx/ok/empty.bin", "fx/ext")
        got = {f["path"]: (f["format"], f["verdict"]) for f in doc["files"]}
        self.assertEqual(got["fx/ok/empty.bin"], ("empty", "ok"))
        self.assertEqual(got["fx/ext/weights.npy"], ("pickle", "unsafe"))
        self.assertEqual(got["fx/ext/model.pkl"], ("zip", "ok"))
        self.assertEqual(rc, 1)

    def test_the_file_name_reaches_the_library(self):
        # a name claiming a data format on text or empty bytes is a broken file (NPG105); the
        # same bytes with another name, or on standard input (no name), are inert
        text = b"hello, this is text\n"
        put("t/names/model.pkl", text)
        put("t/names/weights.npy", b"")
        put("t/names/notes.txt", text)
        put("t/names/one.pkl", pickle.dumps(1, protocol=2))
        for args in (["t/names"], ["t/names/model.pkl", "t/names/weights.npy", "t/names/notes.txt",
                                   "t/names/one.pkl"]):
            with self.subTest(args=args):
                rc, doc = scan_json(*args)
                got = files_by_path(doc)
                self.assertEqual(rc, 1)
                for path, fmt in (("t/names/model.pkl", "text"), ("t/names/weights.npy", "empty")):
                    self.assertEqual((got[path]["format"], got[path]["verdict"]), (fmt, "invalid"), got[path])
                    rules = [(x["rule"], x["name"], x["severity"]) for x in got[path]["findings"]]
                    self.assertIn(("NPG105", "format-mismatch", "high"), rules)
                self.assertEqual(got["t/names/notes.txt"]["verdict"], "ok")
                self.assertEqual(got["t/names/one.pkl"]["verdict"], "ok")
        rc, doc = scan_json("-", input=text)
        self.assertEqual((rc, doc["files"][0]["verdict"]), (0, "ok"))

    def test_directory_walk(self):
        root = os.path.join(W, "t/tree")
        shutil.rmtree(root, ignore_errors=True)
        for rel in ("b.pkl", "a/z.pkl", "a/b/c.pkl", "a-b.pkl", "skip/x.pkl", "deep/skip/y.pkl", "notes.txt"):
            put("t/tree/" + rel, pickle.dumps(rel, protocol=2) if rel.endswith(".pkl") else b"hello\n")
        os.symlink(os.path.join(W, "fx/bad/evil_p2.pkl"), os.path.join(root, "link.pkl"))  # not followed
        os.symlink(os.path.join(W, "fx/bad"), os.path.join(root, "linkdir"))  # not followed
        os.mkfifo(os.path.join(root, "fifo.pkl"))  # skipped: reading it would block
        rc, doc = scan_json("t/tree")
        paths = [f["path"] for f in doc["files"]]
        self.assertEqual(paths, ["t/tree/a/b/c.pkl", "t/tree/a/z.pkl", "t/tree/a-b.pkl", "t/tree/b.pkl",
                                 "t/tree/deep/skip/y.pkl", "t/tree/notes.txt", "t/tree/skip/x.pkl"])
        self.assertEqual(rc, 0)
        rc, doc = scan_json("--include", "*.pkl", "--exclude", "skip", "t/tree/")
        self.assertEqual([f["path"] for f in doc["files"]],
                         ["t/tree/a/b/c.pkl", "t/tree/a/z.pkl", "t/tree/a-b.pkl", "t/tree/b.pkl"])
        rc, doc = scan_json("--exclude", "a/*", "--exclude=*.txt", "--include", "*.pkl", "--include", "notes.*",
                            "t/tree")
        self.assertEqual([f["path"] for f in doc["files"]],
                         ["t/tree/a-b.pkl", "t/tree/b.pkl", "t/tree/deep/skip/y.pkl", "t/tree/skip/x.pkl"])
        # a named symlink is followed; the filters do not apply to named files
        rc, doc = scan_json("--exclude", "*", "t/tree/link.pkl")
        self.assertEqual((rc, doc["files"][0]["verdict"]), (1, "unsafe"))
        # a named FIFO is not read (it would block): an error, at once
        p = scan("t/tree/fifo.pkl", timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"not a regular file", p.stdout)

    def test_unreadable_entries_are_errors_and_others_are_reported(self):
        dangling = os.path.join(W, "t/dangling.pkl")
        if os.path.lexists(dangling):
            os.remove(dangling)
        os.symlink(os.path.join(W, "t/nowhere"), dangling)
        rc, doc = scan_json("fx/bad/evil_p2.pkl", "t/dangling.pkl", "fx/ok/arr.npy")
        got = files_by_path(doc)
        self.assertEqual(rc, 2)
        self.assertEqual(got["t/dangling.pkl"]["verdict"], "error")
        self.assertIn("No such file", got["t/dangling.pkl"]["error"])
        self.assertEqual(got["fx/bad/evil_p2.pkl"]["verdict"], "unsafe")  # the finding is not hidden
        self.assertEqual(got["fx/ok/arr.npy"]["verdict"], "ok")
        self.assertEqual(doc["summary"]["errors"], 1)
        p = scan("t/dangling.pkl", "fx/ok/arr.npy")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"t/dangling.pkl: error (cannot read: No such file or directory)", p.stdout)
        self.assertIn(b"npguard: t/dangling.pkl: cannot read", p.stderr)
        # nesting deeper than the walk goes: reported as an error inside the directory
        deep = "t/deep/" + "/".join(["d"] * 260)
        put(deep + "/x.pkl", pickle.dumps(1))
        put("t/deep/top.pkl", pickle.dumps(2))
        rc, doc = scan_json("t/deep")
        errors = [f for f in doc["files"] if f["verdict"] == "error"]
        self.assertEqual(rc, 2)
        self.assertEqual(len(errors), 1)
        self.assertIn("nested too deep", errors[0]["error"])
        self.assertIn("t/deep/top.pkl", [f["path"] for f in doc["files"]])
        if os.geteuid() != 0:  # root reads anything: this part needs an ordinary user
            put("t/locked/secret.pkl", pickle.dumps(3))
            os.chmod(os.path.join(W, "t/locked/secret.pkl"), 0)
            rc, doc = scan_json("t/locked")
            self.assertEqual((rc, doc["files"][0]["verdict"]), (2, "error"))
            os.chmod(os.path.join(W, "t/locked/secret.pkl"), 0o600)

    def test_thousands_of_files_in_order_whatever_the_jobs(self):
        root = "t/many"
        if not os.path.isdir(os.path.join(W, root)):
            for i in range(3000):
                put(f"{root}/d{i % 17:02d}/f{i:05d}.pkl", pickle.dumps([i, str(i)], protocol=i % 6))
            put(f"{root}/d03/evil.pkl", pickle.dumps(Evil(), protocol=2))
        t0 = time.time()
        rc1, one = scan_json("-j", "1", root)
        rc8, eight = scan_json("--jobs=8", root)
        self.assertLess(time.time() - t0, 60)
        self.assertEqual(one, eight)
        self.assertEqual((rc1, one["summary"]["files"], one["summary"]["unsafe"]), (1, 3001, 1))
        paths = [f["path"] for f in one["files"]]
        self.assertEqual(paths, sorted(paths, key=lambda p: p.split("/")))

    def test_progress_line_on_a_terminal_after_a_second(self):
        master, slave = pty.openpty()
        with subprocess.Popen([ARGS.npguard, "scan", "-", "fx/ok/arr.npy"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=slave, cwd=W) as p:
            os.close(slave)
            time.sleep(1.6)  # standard input stays open: the scan waits, the progress line appears
            p.stdin.write(pickle.dumps(1, protocol=2))
            p.stdin.close()
            out = p.stdout.read()
            p.wait(60)
        err = read_pty(master)
        self.assertEqual(p.returncode, 0, out)
        self.assertRegex(err, rb"npguard: \d+ of 2 files scanned")
        self.assertIn(b"-: ok (pickle)", out)
        # not a terminal: never
        p = subprocess.run([ARGS.npguard, "scan", "-"], input=pickle.dumps(1), capture_output=True, cwd=W)
        self.assertEqual(p.stderr, b"")


class Options(unittest.TestCase):
    def test_max_file_size_and_skip_unknown(self):
        rc, doc = scan_json("--max-file-size", "1K", "fx/ok/arr.npy", "fx/ok/comp.npz")
        got = files_by_path(doc)
        self.assertEqual(rc, 1)
        self.assertEqual((got["fx/ok/arr.npy"]["verdict"], got["fx/ok/arr.npy"]["passed"]), ("ok", True))
        big = got["fx/ok/comp.npz"]
        self.assertEqual((big["verdict"], big["format"], big["passed"]), ("unknown", None, False))
        self.assertEqual(doc["summary"]["not_scanned"], 1)
        rc, doc = scan_json("--skip-unknown", "--max-file-size", "1K", "fx/ok/comp.npz", "fx/bad/random.bin")
        self.assertEqual(rc, 0)
        self.assertTrue(all(f["passed"] and "--skip-unknown" in f["note"] for f in doc["files"]))
        p = scan("--skip-unknown", "fx/bad/random.bin")
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"passed (--skip-unknown)", p.stdout)
        self.assertEqual(scan("--skip-unknown", "fx/bad/random.bin", "fx/bad/trunc.npy").returncode, 1)
        # the default --max-file-size follows --max-input
        rc, doc = scan_json("--max-input", "100", "fx/ok/arr.npy")
        self.assertEqual((rc, doc["files"][0]["verdict"], doc["files"][0]["format"]), (1, "unknown", None))

    def test_allow(self):
        rc, doc = scan_json("--allow", "posix.system", "fx/bad/evil_p2.pkl", "fx/bad/objevil.npy")
        self.assertEqual(rc, 0)
        for f in doc["files"]:
            self.assertEqual(f["verdict"], "ok")
            for x in f["findings"]:
                if x["global"] == "posix.system":
                    self.assertEqual(x["severity"], "info")
                    self.assertIn("allowed by the caller", x["message"])
        self.assertEqual(scan("--allow", "posix.spawn", "fx/bad/evil_p2.pkl").returncode, 1)
        self.assertEqual(scan("--allow", "os.system", "fx/bad/evil_p2.pkl").returncode, 1)  # exact names

    def test_every_limit_option(self):
        names = ["max-input", "max-ops", "max-stack", "max-marks", "max-memo", "max-depth", "max-container-len",
                 "max-alloc", "max-int-digits", "max-long-bytes", "max-array-bytes", "max-ndim", "max-string-len",
                 "max-fields", "max-findings", "max-header-len", "max-zip-members", "max-uncompressed", "max-ratio"]
        for n in names:
            with self.subTest(option=n):
                p = scan(f"--{n}", "32", "fx/ok/f4.npy")
                self.assertIn(p.returncode, (0, 1), p.stderr)
                self.assertEqual(scan(f"--{n}", "0", "fx/ok/f4.npy").returncode, 2)
                self.assertEqual(scan(f"--{n}", "x", "fx/ok/f4.npy").returncode, 2)
                self.assertEqual(scan(f"--{n}", "fx/ok/f4.npy").returncode, 2)  # the path became the value
        self.assertEqual(scan("--max-ndim", "65", "fx/ok/arr.npy").returncode, 2)  # above the ceiling
        self.assertEqual(scan("--max-ops", "1G", "fx/ok/arr.npy").returncode, 0)  # suffixes

    def test_limits_take_effect(self):
        cases = [
            (["--max-ops", "20"], "fx/ok/p2.pkl", "NPG_E_LIMIT_OPS"),
            (["--max-zip-members", "1"], "fx/ok/arrs.npz", "NPG_E_LIMIT_MEMBERS"),
            (["--max-ndim", "1"], "fx/ok/arr.npy", "NPG_E_LIMIT_NDIM"),
            (["--max-header-len", "64"], "fx/ok/arr.npy", "NPG_E_LIMIT_HEADER"),
            (["--max-input", "100"], "fx/ok/arr.npy", "NPG_E_LIMIT_INPUT"),
            (["--max-array-bytes", "8"], "fx/ok/arr.npy", "NPG_E_LIMIT_ARRAY"),
            (["--max-ratio", "2"], "fx/ok/comp.npz", "NPG_E_LIMIT_RATIO"),
        ]
        for opts, path, status in cases:
            with self.subTest(opts=opts):
                rc, doc = scan_json(*opts, "--max-file-size", "1G", path)
                f = doc["files"][0]
                self.assertEqual((rc, f["verdict"]), (1, "invalid"), f["findings"])
                self.assertIn(status, [x["status"] for x in f["findings"]])
        rc, doc = scan_json("--max-findings", "2", "fx/ok/p0.pkl")
        self.assertLessEqual(len(doc["files"][0]["findings"]), 3)

    def test_usage_errors(self):
        for args in ([], ["--format", "xml", "x"], ["--bogus", "x"], ["--jobs", "0", "x"], ["-j"], ["--quiet=1", "x"],
                     ["--max-file-size", "-1", "x"]):
            with self.subTest(args=args):
                p = scan(*args)
                self.assertEqual(p.returncode, 2)
                self.assertEqual(p.stdout, b"")
                self.assertIn(b"npguard", p.stderr)
        p = scan("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"--max-zip-members", p.stdout)
        # "--" ends the options: a file named like one
        put("t/--quiet", pickle.dumps(1))
        self.assertEqual(scan("--", "t/--quiet").returncode, 0)

    def test_npy_flags(self):
        # NumPy < 1.14 aligned the data to 16 bytes: every NumPy reads it alike, so it is ok with
        # an info note (NPG106); --npy-align16, which used to opt into that, is still accepted
        hdr = b"{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }"

        def v1(pad):
            return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr) + pad + 1) + hdr + b" " * pad + b"\n" + bytes(16)

        pad = -(10 + len(hdr) + 1) % 16
        put("t/align16.npy", v1(pad))
        for args in ([], ["--npy-align16"]):
            with self.subTest(args=args):
                rc, doc = scan_json(*args, "t/align16.npy")
                f = doc["files"][0]
                self.assertEqual((rc, f["verdict"]), (0, "ok"))
                self.assertIn(("NPG106", "legacy-format", "info"), [(x["rule"], x["name"], x["severity"])
                                                                   for x in f["findings"]])
        put("t/align8.npy", v1(pad - 8 if pad >= 8 else pad + 8))  # 8 bytes: no NumPy wrote that
        self.assertEqual(scan("t/align8.npy").returncode, 1)
        put("t/bool.npy", npy_bytes(np.array([True, False]))[:-1] + b"\x02")
        self.assertEqual(scan("t/bool.npy").returncode, 0)
        self.assertEqual(scan("--npy-check-values", "t/bool.npy").returncode, 1)


def load_json_schema(doc_path):
    with open(doc_path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"<!-- schema:begin -->\s*```json\n(.*?)```\s*<!-- schema:end -->", text, re.S)
    if not m:
        raise SystemExit(f"no schema block in {doc_path}")
    return json.loads(m.group(1))


def main():
    global ARGS, W, JSON_SCHEMA, SARIF_SCHEMA
    ap = argparse.ArgumentParser()
    ap.add_argument("--npguard", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--sarif-schema", required=True)
    ARGS, rest = ap.parse_known_args()
    ARGS.npguard = os.path.abspath(ARGS.npguard)
    W = os.path.abspath(ARGS.work)
    shutil.rmtree(W, ignore_errors=True)
    os.makedirs(W)
    JSON_SCHEMA = load_json_schema(ARGS.doc)
    with open(ARGS.sarif_schema, encoding="utf-8") as f:
        SARIF_SCHEMA = json.load(f)
    jsonschema.Draft202012Validator.check_schema(JSON_SCHEMA)
    make_fixtures()
    os.makedirs(os.path.join(W, "t"), exist_ok=True)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


JSON_SCHEMA = SARIF_SCHEMA = None

if __name__ == "__main__":
    main()
