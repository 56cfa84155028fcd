#!/usr/bin/env python3
"""Tests of `npguard show`, `npguard dis` and `npguard convert`.

    test_cli_cmds.py --npguard PATH --tmp DIR [unittest options]

The input files are written at test time by CPython's pickle and NumPy (Debian's python3 with
python3-numpy). Pickles that would run code are made with pickle.dumps of an object whose
__reduce__ names os.system: dumping never calls it, and nothing here ever loads them. The
listing of `dis` is checked against pickletools.genops on the same bytes (offsets and names
identical), and what `convert` writes against numpy.load(..., allow_pickle=False) and the
original objects (dtype, shape, byte-for-byte data, memory order).
"""

import argparse
import io
import os
import pickle
import pickletools
import re
import shutil
import subprocess
import sys
import unittest
import zipfile

try:
    import numpy as np
except ImportError:
    sys.exit("test_cli_cmds.py: NumPy is missing for %s (Debian: apt-get install python3-numpy)"
             % sys.executable)

sys.dont_write_bytecode = True
NPGUARD = None
TMP = None


class Evil:
    """Pickles to a call of os.system; never unpickled here."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def seed_dict(big=True):
    rng = np.random.default_rng(42)
    shape = (100, 100, 100) if big else (4, 5, 6)
    return {
        "array": rng.integers(0, 1000, size=shape, dtype=np.int64),
        "description": "A million random integers",
        "list": [5.4, 9.1, 3.4],
        "another_array": np.arange(5.0),
    }


def nested_dict():
    """Arrays under every kind of path convert keys: str, int, list index, nesting, escapes."""
    rng = np.random.default_rng(7)
    return {
        "array": np.arange(12, dtype=np.int32).reshape(3, 4),
        "another_array": np.arange(5.0),
        "list": [1.5, "text", np.array([1, 2, 3], dtype=np.uint8)],
        "a": {"b": [np.eye(2)], "c": "not an array"},
        3: np.zeros(2, dtype=">u2"),
        "fortran": np.asfortranarray(rng.random((3, 4))),
        "sl/ash%": np.ones(1),
        "..": np.ones(2),
        "temp\u00e9rature": np.array([b"ab", b"c"]),
        "rec": np.zeros(2, dtype=[("x", "<i4"), ("y", "<f8", (2,))]),
        (1, 2): "a tuple key with no array below is fine",
    }


NESTED_KEYS = {
    "array": ("array",), "another_array": ("another_array",), "list/2": ("list", 2),
    "a/b/0": ("a", "b", 0), "3": (3,), "fortran": ("fortran",), "sl%2Fash%25": ("sl/ash%",),
    "%2E%2E": ("..",), "temp\u00e9rature": ("temp\u00e9rature",), "rec": ("rec",),
}


def at_path(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def npz_bytes(compress=False, **arrays):
    buf = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buf, **arrays)
    return buf.getvalue()


def run(*args):
    p = subprocess.run([NPGUARD] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def same_array(test, got, want, what=""):
    test.assertEqual(got.dtype, want.dtype, what)
    test.assertEqual(got.shape, want.shape, what)
    test.assertEqual(np.isfortran(got), np.isfortran(want), what)
    order = "F" if np.isfortran(want) else "C"
    test.assertEqual(got.tobytes(order=order), want.tobytes(order=order), what)


def outdir(name):
    d = os.path.join(TMP, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


# ---------------------------------------------------------------- show


class Show(unittest.TestCase):
    def test_pickle(self):
        path = write("show_dict.pkl", pickle.dumps(seed_dict(), protocol=4))
        rc, out, err = run("show", path)
        self.assertEqual(rc, 0, err)
        self.assertIn("pickle protocol 4", out)
        self.assertIn("'array': ndarray dtype=<i8 shape=(100, 100, 100) order=C [", out)
        self.assertIn("'description': 'A million random integers'", out)
        self.assertIn("'another_array': ndarray dtype=<f8 shape=(5,) order=C [0 1 2 3 4]", out)

    def test_npy(self):
        arr = np.arange(1000000, dtype=np.int64).reshape(100, 100, 100)
        path = write("show.npy", npy_bytes(arr))
        rc, out, err = run("show", path)
        self.assertEqual(rc, 0, err)
        self.assertIn(".npy version 1.0, header of 128 bytes, 8000000 data bytes", out)
        self.assertIn("dtype <i8, fortran_order False, shape (100, 100, 100), 1000000 elements", out)
        self.assertIn("ndarray dtype=<i8 shape=(100, 100, 100) order=C [0 1 2 3 4 5 6 7 ...]", out)

    def test_npy_fortran(self):
        path = write("show_f.npy", npy_bytes(np.asfortranarray(np.arange(6.0).reshape(2, 3))))
        rc, out, err = run("show", path)
        self.assertEqual(rc, 0, err)
        self.assertIn("fortran_order True, shape (2, 3)", out)
        self.assertIn("order=F [0 3 1 4 2 5]", out)

    def check_npz_table(self, path, compressed):
        rc, out, err = run("show", path)
        self.assertEqual(rc, 0, err)
        self.assertIn(".npz (zip), 2 members", out)
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                row = [l for l in out.splitlines() if l.split()[:1] == [info.filename]]
                self.assertEqual(len(row), 1, out)
                cols = row[0].split()
                self.assertEqual(cols[-2:], [str(info.file_size), str(info.compress_size)])
                self.assertEqual(cols[-3], "deflate" if compressed else "stored")
        self.assertRegex(out, r"array\.npy\s+<i8\s+\(100, 100, 100\)\s+C\s")
        self.assertRegex(out, r"another_array\.npy\s+<f8\s+\(5,\)\s+C\s")

    def test_npz(self):
        d = seed_dict()
        for compress in (False, True):
            path = write("show%d.npz" % compress,
                         npz_bytes(compress, array=d["array"], another_array=d["another_array"]))
            self.check_npz_table(path, compress)

    def test_wrong_extension(self):
        """The format comes from the content: each file below carries another format's name."""
        d = seed_dict(big=False)
        rc, out, err = run("show", write("npy_named.pkl", npy_bytes(d["array"])))
        self.assertEqual(rc, 0, err)
        self.assertIn(".npy version 1.0", out)
        rc, out, err = run("show", write("npz_named.npy",
                                         npz_bytes(array=d["array"], another_array=d["another_array"])))
        self.assertEqual(rc, 0, err)
        self.assertIn(".npz (zip), 2 members", out)
        rc, out, err = run("show", write("pickle_named.npz", pickle.dumps(d, protocol=2)))
        self.assertEqual(rc, 0, err)
        self.assertIn("pickle protocol 2", out)

    def test_malformed(self):
        d = seed_dict(big=False)
        p = pickle.dumps(d, protocol=4)
        npy = npy_bytes(d["array"])
        npz = bytearray(npz_bytes(array=d["array"]))
        npz[60] ^= 0xFF  # inside the stored member's data: the CRC no longer matches
        cases = [
            ("trunc.pkl", p[:len(p) // 2], "NPG_E_TRUNCATED"),
            ("trunc.npy", npy[:-3], "NPG_E_TRUNCATED"),
            ("badcrc.npz", bytes(npz), "NPG_E_"),
            ("empty.pkl", b"", "empty file"),
            ("evil_show.pkl", pickle.dumps(Evil(), protocol=2), "NPG_E_GLOBAL"),
        ]
        for name, data, want in cases:
            rc, out, err = run("show", write(name, data))
            self.assertEqual(rc, 1, name + out + err)
            self.assertIn(want, err, name)
        rc, out, err = run("show", os.path.join(TMP, "does-not-exist.pkl"))
        self.assertEqual(rc, 2)


# ---------------------------------------------------------------- dis

ROW = re.compile(r"^ *(\d+)  +(\d+)  ([ \d]{4})  +(\S+)")


def listing(out):
    """[(offset, name, stack, memo or None, line)] of the opcode lines of a dis listing."""
    rows = []
    for line in out.splitlines():
        m = ROW.match(line)
        if m:
            memo = m.group(3).strip()
            rows.append((int(m.group(1)), m.group(4), int(m.group(2)), int(memo) if memo else None, line))
    return rows


def genops(data):
    """[(offset, name)] by pickletools, up to where it stops on malformed input."""
    ops = []
    try:
        for op, arg, pos in pickletools.genops(data):
            ops.append((pos, op.name))
    except Exception:
        pass
    return ops


class Dis(unittest.TestCase):
    def check_same_ops(self, data, name):
        path = write(name, data)
        rc, out, err = run("dis", path)
        rows = listing(out)
        self.assertEqual([(o, n) for o, n, _, _, _ in rows], genops(data), name)
        return rc, out, err, rows

    def test_valid_protocols(self):
        objs = [seed_dict(big=False), nested_dict(),
                [None, True, False, 1, -1, 255, 65536, 2 ** 31, 2 ** 70, -2 ** 70, 1.5, 1e100, 1j,
                 "h\u00e9llo", b"\x00\xff" * 40, bytearray(b"ba"), (), (1,), (1, 2), (1, 2, 3),
                 (1, 2, 3, 4), set(), {1, 2}, frozenset({3}), "x" * 300]]
        for i, obj in enumerate(objs):
            for proto in range(0, 6):
                data = pickle.dumps(obj, protocol=proto)
                rc, out, err, rows = self.check_same_ops(data, "dis_%d_p%d.pkl" % (i, proto))
                self.assertEqual(rc, 0, err)
                self.assertRegex(out.splitlines()[-1], r"^-- protocol \d, \d+ opcodes, 0 finding\(s\) above info: ok$")
                self.check_memo(rows)

    def test_arguments_as_pickletools(self):
        """Numbers, short ASCII strings and globals read as pickletools shows them."""
        obj = [0, 1, 255, 256, 65535, 65536, -1, -2 ** 31, 2 ** 40, -2 ** 40, 1.5, -0.25, 1e100, 3.0,
               "abc", "it's", b"xyz", ("numpy", "dtype")]
        for proto in range(0, 6):
            data = pickle.dumps([obj, np.float64], protocol=proto)
            rc, out, err, rows = self.check_same_ops(data, "dis_args_p%d.pkl" % proto)
            want = {pos: arg for op, arg, pos in pickletools.genops(data)}
            checked = 0
            for off, name, _, _, line in rows:
                arg, shown = want[off], line[49:89].strip()
                if name in ("FLOAT", "INT", "LONG", "STRING", "UNICODE", "PUT", "GET", "MEMOIZE"):
                    continue  # text opcodes are shown as written; MEMOIZE's index is in its column
                if isinstance(arg, (int, float)) and not isinstance(arg, bool):
                    self.assertEqual(shown, repr(arg), line)
                elif isinstance(arg, str) and arg.isascii() and len(arg) < 30:
                    self.assertEqual(shown, repr(arg) if "'" not in arg else "'it\\'s'", line)
                elif isinstance(arg, bytes) and len(arg) < 10:
                    self.assertEqual(shown, repr(arg), line)
                else:
                    continue
                checked += 1
            self.assertGreater(checked, 5 if proto else 0, out)

    def check_memo(self, rows):
        memoize = 0
        for off, name, stack, memo, line in rows:
            if name in ("PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"):
                self.assertIsNotNone(memo, line)
            if name == "MEMOIZE":
                self.assertEqual(memo, memoize, line)
                memoize += 1
            elif name not in ("PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"):
                self.assertIsNone(memo, line)
            self.assertTrue(line.rstrip().endswith(" ok") or " NPG001 info " in line, line)

    def test_stack_depth(self):
        data = pickle.dumps([1, (2, 3)], protocol=2)
        rc, out, err, rows = self.check_same_ops(data, "dis_stack.pkl")
        # PROTO, EMPTY_LIST, BINPUT, MARK, BININT1, BININT1, BININT1, TUPLE2, BINPUT, APPENDS, STOP
        self.assertEqual([s for _, _, s, _, _ in rows], [0, 1, 1, 1, 2, 3, 4, 3, 3, 1, 1], out)

    def test_long_argument_truncated(self):
        data = pickle.dumps(b"\x01" * 100000, protocol=4)
        rc, out, err, rows = self.check_same_ops(data, "dis_long.pkl")
        self.assertEqual(rc, 0, err)
        line = [l for _, n, _, _, l in rows if n == "BINBYTES"][0]
        self.assertIn("b'\\x01\\x01", line)
        self.assertIn("...' (100000 bytes)", line)
        self.assertLess(len(line), 200)

    def test_truncated(self):
        full = pickle.dumps(seed_dict(big=False), protocol=2)
        ops = genops(full)
        cut = ops[len(ops) // 2][0] + 1  # inside the argument of an opcode (or just after it)
        data = full[:cut]
        path = write("dis_trunc.pkl", data)
        rc, out, err = run("dis", path)
        self.assertEqual(rc, 1)
        self.assertIn("NPG_E_TRUNCATED", err)
        rows = listing(out)
        self.assertEqual([(o, n) for o, n, _, _, _ in rows[:-1]], [op for op in ops if op[0] < rows[-1][0]])
        self.assertEqual(rows[-1][0], ops[len(ops) // 2][0])
        self.assertIn("error NPG_E_TRUNCATED", rows[-1][4])
        self.assertRegex(out.splitlines()[-1], r"^-- .*: (invalid|unsafe), stopped by NPG_E_TRUNCATED at offset \d+: ")

    def test_bad_opcode(self):
        full = pickle.dumps([1, 2, 3], protocol=2)
        ops = genops(full)
        bad_at = ops[4][0]
        data = full[:bad_at] + b"\xff" + full[bad_at + 1:]
        rc, out, err = run("dis", write("dis_badop.pkl", data))
        self.assertEqual(rc, 1)
        rows = listing(out)
        self.assertEqual([(o, n) for o, n, _, _, _ in rows[:-1]], ops[:4])
        self.assertEqual(rows[-1][:2], (bad_at, "<0xff>"))
        self.assertIn("error NPG_E_OPCODE", rows[-1][4])
        self.assertIn("NPG_E_OPCODE at offset %d" % bad_at, err)

    def test_not_a_pickle_and_write_error(self):
        rc, out, err = run("dis", write("dis_array.pkl", npy_bytes(np.arange(3))))
        self.assertEqual(rc, 1)
        self.assertIn("a .npy file, not a pickle", err)
        path = write("dis_full.pkl", pickle.dumps(list(range(5000)), protocol=2))
        with open("/dev/full", "wb") as full:
            p = subprocess.run([NPGUARD, "dis", path], stdout=full, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_os_system(self):
        for proto in (0, 2, 4):
            data = pickle.dumps(Evil(), protocol=proto)
            rc, out, err, rows = self.check_same_ops(data, "dis_evil_p%d.pkl" % proto)
            self.assertEqual(rc, 1, out)
            glob = [r for r in rows if r[1] in ("GLOBAL", "STACK_GLOBAL")]
            self.assertEqual(len(glob), 1)
            self.assertRegex(glob[0][4], r"NPG002 critical dangerous-global posix\.system$")
            red = [r for r in rows if r[1] == "REDUCE"]
            self.assertRegex(red[0][4], r"NPG004 critical call posix\.system$")
            for r in rows:
                if r not in glob and r not in red:
                    self.assertTrue(r[4].rstrip().endswith(" ok"), r[4])
            self.assertIn("unsafe", out.splitlines()[-1])
            self.assertIn("NPG_E_GLOBAL at offset %d" % glob[0][0], err)


# ---------------------------------------------------------------- convert


class Convert(unittest.TestCase):
    def test_one_array_to_npy(self):
        for name, obj, want in [
            ("root", np.arange(24, dtype="<f4").reshape(2, 3, 4), None),
            ("in_dict", {"x": np.asfortranarray(np.arange(6, dtype=">i2").reshape(2, 3)), "s": "t"}, "x"),
        ]:
            for proto in (2, 5):
                src = write("conv_%s_p%d.pkl" % (name, proto), pickle.dumps(obj, protocol=proto))
                out = os.path.join(TMP, "conv_%s_p%d.npy" % (name, proto))
                if os.path.exists(out):
                    os.unlink(out)
                rc, so, se = run("convert", src, out)
                self.assertEqual(rc, 0, se)
                got = np.load(out, allow_pickle=False)
                same_array(self, got, obj if want is None else obj[want], name)

    def test_dict_to_npz(self):
        obj = nested_dict()
        for proto in range(0, 6):
            src = write("conv_nested_p%d.pkl" % proto, pickle.dumps(obj, protocol=proto))
            out = os.path.join(TMP, "conv_nested_p%d.npz" % proto)
            if os.path.exists(out):
                os.unlink(out)
            rc, so, se = run("convert", src, out)
            self.assertEqual(rc, 0, se)
            with np.load(out, allow_pickle=False) as z:
                self.assertEqual(set(z.files), set(NESTED_KEYS))
                for key, path in NESTED_KEYS.items():
                    same_array(self, z[key], at_path(obj, path), key)

    def test_seed_dict_to_npz(self):
        d = seed_dict()
        src = write("conv_seed.pkl", pickle.dumps(d, protocol=4))
        out = os.path.join(TMP, "conv_seed.npz")
        if os.path.exists(out):
            os.unlink(out)
        rc, so, se = run("convert", "--compress", src, out)
        self.assertEqual(rc, 0, se)
        with zipfile.ZipFile(out) as z:
            self.assertEqual({i.compress_type for i in z.infolist()}, {zipfile.ZIP_DEFLATED})
        with np.load(out, allow_pickle=False) as z:
            self.assertEqual(sorted(z.files), ["another_array", "array"])
            same_array(self, z["array"], d["array"])
            same_array(self, z["another_array"], d["another_array"])

    def assert_refused(self, src, out, code, text):
        rc, so, se = run("convert", src, out)
        self.assertEqual(rc, code, se)
        self.assertIn(text, se)
        self.assertFalse(os.path.exists(out))
        d = os.path.dirname(out) or "."
        self.assertEqual([f for f in os.listdir(d) if ".npguard-" in f], [])

    def test_refusals(self):
        d = outdir("refused")
        cases = [
            ("evil.pkl", pickle.dumps({"a": np.ones(2), "b": Evil()}, protocol=4), 1,
             "NPG_E_GLOBAL"),
            ("object.pkl", pickle.dumps({"o": np.array([1, "x"], dtype=object)}, protocol=4), 1,
             "object array"),
            ("masked.pkl", pickle.dumps({"m": np.ma.masked_array([1, 2], mask=[0, 1])}, protocol=4), 1,
             "masked array"),
            # fields out of order: a valid dtype with no .npy descr (np.save refuses it too)
            ("outoforder.pkl", pickle.dumps({"s": np.zeros(2, dtype=np.dtype(
                {"names": ["a", "b"], "formats": ["<i4", "<i4"], "offsets": [4, 0]}))}, protocol=4), 1,
             "out-of-order fields"),
            ("tuplekey.pkl", pickle.dumps({(1, 2): np.ones(2)}, protocol=4), 1, "neither str nor int"),
            ("emptykey.pkl", pickle.dumps({"": np.ones(2)}, protocol=4), 1, "empty string"),
            ("clash.pkl", pickle.dumps({1: np.ones(2), "1": np.zeros(2)}, protocol=4), 1,
             "two arrays would be named '1'"),
            ("noarray.pkl", pickle.dumps({"a": [1, 2]}, protocol=4), 1, "no arrays"),
            ("trunc.pkl", pickle.dumps({"a": np.ones(2)}, protocol=4)[:-5], 1, "NPG_E_TRUNCATED"),
        ]
        for name, data, code, text in cases:
            src = os.path.join(d, name)
            with open(src, "wb") as f:
                f.write(data)
            self.assert_refused(src, os.path.join(d, name + ".npz"), code, text)

    def test_cycles_and_shared_arrays(self):
        d = outdir("shared")
        arr = np.arange(4)
        loop = [None, arr]
        loop[0] = loop  # a list that holds itself: not entered twice
        src = os.path.join(d, "loop.pkl")
        with open(src, "wb") as f:
            pickle.dump({"loop": loop, "same": [arr, arr]}, f, protocol=4)
        out = os.path.join(d, "loop.npz")
        rc, so, se = run("convert", src, out)
        self.assertEqual(rc, 0, se)
        with np.load(out, allow_pickle=False) as z:
            self.assertEqual(sorted(z.files), ["loop/1", "same/0", "same/1"])
            for k in z.files:
                same_array(self, z[k], arr, k)
        # one array shared 2**30 ways: bounded by limits.max_zip_members, not walked to the end
        tree = [arr, arr]
        for _ in range(29):
            tree = [tree, tree]
        src = os.path.join(d, "dag.pkl")
        with open(src, "wb") as f:
            pickle.dump(tree, f, protocol=4)
        self.assert_refused(src, os.path.join(d, "dag.npz"), 1, "more than 65536 arrays")

    def test_usage_errors(self):
        d = outdir("usage")
        src = os.path.join(d, "two.pkl")
        with open(src, "wb") as f:
            pickle.dump({"a": np.ones(2), "b": np.ones(3)}, f, protocol=4)
        self.assert_refused(src, os.path.join(d, "two.npy"), 2, "holds 2 arrays")
        self.assert_refused(src, os.path.join(d, "two.txt"), 2, "must end in .npy or .npz")
        rc, so, se = run("convert", src)
        self.assertEqual(rc, 2)

    def test_no_overwrite_without_force(self):
        d = outdir("force")
        src = os.path.join(d, "a.pkl")
        with open(src, "wb") as f:
            pickle.dump({"a": np.arange(3)}, f, protocol=4)
        out = os.path.join(d, "a.npz")
        with open(out, "wb") as f:
            f.write(b"keep me")
        rc, so, se = run("convert", src, out)
        self.assertEqual(rc, 2)
        self.assertIn("--force", se)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"keep me")
        rc, so, se = run("convert", "--force", src, out)
        self.assertEqual(rc, 0, se)
        with np.load(out, allow_pickle=False) as z:
            same_array(self, z["a"], np.arange(3))
        self.assertEqual(sorted(os.listdir(d)), ["a.npz", "a.pkl"])

    def test_npz_to_npy_members_and_back(self):
        d = outdir("members")
        arrays = {"array": np.arange(20, dtype=np.int64).reshape(4, 5), "another_array": np.arange(5.0),
                  "f": np.asfortranarray(np.ones((2, 3), dtype=np.complex64))}
        src = os.path.join(d, "in.npz")
        with open(src, "wb") as f:
            f.write(npz_bytes(True, **arrays))
        members = os.path.join(d, "members") + "/"
        rc, so, se = run("convert", src, members)
        self.assertEqual(rc, 0, se)
        self.assertEqual(sorted(os.listdir(members)), sorted(k + ".npy" for k in arrays))
        for k, a in arrays.items():
            same_array(self, np.load(os.path.join(members, k + ".npy"), allow_pickle=False), a, k)
        rc, so, se = run("convert", src, members)  # the members exist now
        self.assertEqual(rc, 2)
        self.assertIn("--force", se)
        back = os.path.join(d, "back.npz")
        rc, so, se = run("convert", *[os.path.join(members, k + ".npy") for k in sorted(arrays)], back)
        self.assertEqual(rc, 0, se)
        with np.load(back, allow_pickle=False) as z:
            self.assertEqual(sorted(z.files), sorted(arrays))
            for k, a in arrays.items():
                same_array(self, z[k], a, k)

    def test_nested_keys_to_directory(self):
        obj = nested_dict()
        src = write("conv_dir.pkl", pickle.dumps(obj, protocol=4))
        d = outdir("tree")
        rc, so, se = run("convert", src, d)
        self.assertEqual(rc, 0, se)
        for key, path in NESTED_KEYS.items():
            same_array(self, np.load(os.path.join(d, key + ".npy"), allow_pickle=False), at_path(obj, path), key)


def main():
    global NPGUARD, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--npguard", required=True)
    ap.add_argument("--tmp", required=True)
    args, rest = ap.parse_known_args()
    NPGUARD = os.path.abspath(args.npguard)
    TMP = os.path.abspath(args.tmp)
    shutil.rmtree(TMP, ignore_errors=True)
    os.makedirs(TMP)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
