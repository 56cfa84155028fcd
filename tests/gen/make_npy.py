#!/usr/bin/env python3
"""Test data for npguard's .npy/.npz code, written by real NumPy at test time (never committed).

    make_npy.py gen   --out DIR     write DIR/{valid,bad,npz}/ and DIR/manifest.txt
    make_npy.py check --dir DIR     numpy.load(allow_pickle=False) every file DIR/manifest.txt
                                    lists (files npguard wrote) and compare with what it says

Needs Debian's python3 with python3-numpy (1.24). Every array comes from a fixed seed, so two
runs write the same bytes.

manifest.txt: one record per line, tab-separated; the first field is the record type, the rest
are key=value (values hold no tab or newline):

  ok    file=valid/X.npy version= offset= str= descr= shape=a,b fortran=0|1 itemsize= nbytes=
        object=0|1 unsafe=0|1 sha256= hdrlen= roundtrip=0|1
        what numpy.load returned: dtype.str, ascii(dtype_to_descr(dtype)), shape, the header's
        fortran_order, sha256 of the data bytes in file order (for object arrays: of nothing).
        unsafe=1: an object array whose pickle was edited to call os.system; Python never loads
        it, the other fields describe the array before the edit.
  bad   file=bad/X.npy code=NPG_E_... offset= numpy=accepts|rejects why=... [hdr=N] [fields=N]
                          a file npguard must refuse with that code at that offset (with
        limits.max_header_len / max_fields raised to N when given); numpy= says what
        numpy.load(path, allow_pickle=False) does with it.
  good  file=bad/X.npy ...   a file that is not what np.save writes today and is accepted.
  legacy file=legacy/X.npy (the ok fields) notes=KIND@offset,... why=...
        a file laid out as an older NumPy wrote it (numpy/lib/format.py's history: 16-byte
        padding before 1.14, Python 2's 2L and '2 ' dimensions, '|O8'/'|O4', u'' titles), made
        by our own writer of that layout; the fields are what numpy.load 1.24 returned, notes
        are the legacy forms we put in and where.
  lenient file=lenient/X.npy unpickles=0|1 offset=N why=...
        a header npguard's grammar refuses, before an os.system pickle (never loaded);
        unpickles says whether numpy.load(allow_pickle=True) would unpickle the data, as NumPy's
        own header reader (_read_array_header, which unpickles nothing) says; offset is where
        it would start. wider=1: NumPy would not, npguard scans anyway (it errs that way).
  hdr   like=valid/X.npy shape=a,b fortran=0|1 hex=...   the header NumPy writes for an array
        with X's dtype and this shape/order (shapes too large to hold real data).
  npz   file=npz/X.npz members=name:valid/Y.npy,...   archives of valid arrays
  npzold file=npz/X.npz hint=1|2|3 members=a.npy,...   an archive of legacy members whose
        general-purpose flags we set to a deflate level hint (zipfile and numpy.load read it)
  npzlax file=npz/X.npz member=x.npy unsafe=0|1 usize=N   a member whose header only
        NumPy's reader accepts (lenient/key_order.npy's), before an os.system pickle
"""

import argparse
import hashlib
import io
import os
import pickle
import struct
import sys
import warnings

try:
    import numpy as np
    from numpy.lib import format as npformat
except ImportError:
    sys.exit("make_npy.py: NumPy is missing for %s (Debian: apt-get install python3-numpy)"
             % sys.executable)

warnings.simplefilter("ignore")
sys.dont_write_bytecode = True

# ---------------------------------------------------------------- helpers


def npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def header_info(data):
    """(major, data_offset, header dict) read by NumPy's own functions."""
    f = io.BytesIO(data)
    major, minor = npformat.read_magic(f)
    shape, fortran, dtype = npformat._read_array_header(f, (major, minor), max_header_size=10**7)
    return major, f.tell(), fortran


def fmt_shape(shape):
    return ",".join(str(int(d)) for d in shape)


class Writer:
    def __init__(self, out):
        self.out = out
        self.lines = []
        for sub in ("valid", "bad", "npz", "legacy", "lenient"):
            os.makedirs(os.path.join(out, sub), exist_ok=True)

    def put(self, rel, data):
        with open(os.path.join(self.out, rel), "wb") as f:
            f.write(data)

    def record(self, kind, **kw):
        fields = [kind]
        for k, v in kw.items():
            v = str(v)
            assert "\t" not in v and "\n" not in v, (k, v)
            fields.append("%s=%s" % (k, v))
        self.lines.append("\t".join(fields))

    # -- valid arrays: write with np.save, read back with np.load, record what it returned
    def valid(self, name, arr):
        rel = "valid/%s.npy" % name
        data = npy_bytes(arr)
        self.put(rel, data)
        major, off, fortran = header_info(data)
        obj = arr.dtype.hasobject
        back = np.load(os.path.join(self.out, rel), allow_pickle=obj, max_header_size=10**7)
        assert back.dtype == arr.dtype and back.shape == arr.shape, name
        if obj:
            digest = hashlib.sha256(b"").hexdigest()
            nbytes = 0
        else:
            raw = back.tobytes(order="F" if fortran else "C")
            assert raw == data[off:], name  # numpy.load's bytes are the file's
            digest = hashlib.sha256(raw).hexdigest()
            nbytes = len(raw)
        self.record("ok", file=rel, version=major, offset=off, str=back.dtype.str,
                    descr=ascii(npformat.dtype_to_descr(back.dtype)), shape=fmt_shape(back.shape),
                    fortran=int(fortran), itemsize=back.dtype.itemsize, nbytes=nbytes,
                    object=int(obj), unsafe=0, sha256=digest, hdrlen=off, roundtrip=1)
        return rel

    # -- files as older NumPy wrote them (our writer of their layout), accepted with NPG106 notes
    def legacy(self, name, data, notes, why):
        """notes: "KIND@offset,..." for every legacy form the file holds, where we put it."""
        rel = "legacy/%s.npy" % name
        self.put(rel, data)
        major, off, fortran = header_info(data)
        assert ("ALIGN16" in notes) == (off % 64 != 0), name  # 64 is today's: no note
        f = io.BytesIO(data)
        npformat.read_magic(f)
        obj = npformat._read_array_header(f, (major, 0), max_header_size=10**7)[2].hasobject
        back = np.load(os.path.join(self.out, rel), allow_pickle=obj, max_header_size=10**7)
        if obj:
            digest, nbytes = hashlib.sha256(b"").hexdigest(), 0
        else:
            raw = back.tobytes(order="F" if fortran else "C")
            assert raw == data[off:], name  # numpy.load's bytes are the file's
            digest, nbytes = hashlib.sha256(raw).hexdigest(), len(raw)
        self.record("legacy", file=rel, version=major, offset=off, str=back.dtype.str,
                    descr=ascii(npformat.dtype_to_descr(back.dtype)), shape=fmt_shape(back.shape),
                    fortran=int(fortran), itemsize=back.dtype.itemsize, nbytes=nbytes, object=int(obj),
                    sha256=digest, notes=notes, why=why)
        return rel

    # -- refused files
    def bad(self, name, data, code, offset, why, numpy_expect=None, **extra):
        rel = "bad/%s.npy" % name
        self.put(rel, data)
        verdict = numpy_verdict(os.path.join(self.out, rel), extra.get("hdr"))
        if numpy_expect is not None and verdict != numpy_expect:
            raise SystemExit("make_npy.py: NumPy %s %s, expected it to %s" % (verdict, name, numpy_expect))
        self.record("bad", file=rel, code=code, offset=offset, numpy=verdict, why=why, **extra)


def numpy_verdict(path, hdr=None):
    try:
        kw = {"max_header_size": int(hdr)} if hdr else {}
        np.load(path, allow_pickle=False, **kw)
        return "accepts"
    except Exception:
        return "rejects"


def make_npy(text, major=1, data=b"", align=64, pad=True, newline=True, hlen=None, prefix=None):
    """A .npy file around header text (bytes), padded like NumPy (or not); prefix: the preamble
    length the padding assumes (NumPy < 1.14 assumed 10 for 2.0 files too)."""
    if prefix is None:
        prefix = 8 + (2 if major == 1 else 4)
    body = text
    if pad:
        n = len(text) + (1 if newline else 0)
        body += b" " * (align - (prefix + n) % align) if (prefix + n) % align else b""
        if len(body) == len(text) and newline:
            body += b" " * align  # keep at least one space, as NumPy does
    if newline:
        body += b"\n"
    n = len(body) if hlen is None else hlen
    size = struct.pack("<H" if major == 1 else "<I", n)
    return b"\x93NUMPY" + bytes([major, 0]) + size + body + data


def at(text, marker, major=1, nth=0):
    """File offset of the nth occurrence of marker in the header text."""
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(marker, pos + 1)
    return (10 if major == 1 else 12) + pos


# ---------------------------------------------------------------- valid arrays

BASIC = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64",
         "float32", "float64", "complex64", "complex128"]

PDESCR = [("x", "i4", (2,)), ("y", "f8", (2, 2)), ("z", "u1")]
NDESCR = [("x", "i4", (2,)),
          ("Info", [("value", "c16"), ("y2", "f8"),
                    ("Info2", [("name", "S2"), ("value", "c16", (2,)), ("y3", "f8", (2,)),
                               ("z3", "u4", (2,))]),
                    ("name", "S2"), ("z2", "b1")]),
          ("color", "S2"), ("info", [("Name", "U8"), ("Value", "c16")]),
          ("y", "f8", (2, 2)), ("z", "u1")]


def filled(dtype, shape, rng):
    """An array of dtype/shape whose every byte comes from rng (bools 0/1)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    raw = rng.integers(0, 256, size=n * dtype.itemsize, dtype=np.uint8).tobytes()
    arr = np.frombuffer(raw, dtype=dtype).copy().reshape(shape)
    return fix_bools(arr)


def fix_bools(arr):
    """Random bytes are not valid bools: make every bool (also inside fields) 0 or 1."""
    dt = arr.dtype
    if dt.names:
        for name in dt.names:
            fix_bools(arr[name])
    elif dt.subdtype is not None:
        pass  # subarray fields are reached as plain arrays through their parent field
    elif dt.kind == "b":
        arr.view(np.uint8)[...] &= 1
    return arr


def basic_arrays(w, rng):
    for name in BASIC:
        for order in "<>":
            dt = np.dtype(name).newbyteorder(order)
            tag = "%s%s" % (name, "le" if order == "<" else "be")
            base = filled(dt, (1500,), rng)
            w.valid(tag + "_empty", np.array([], dtype=dt))
            w.valid(tag + "_0d", np.array(10, dtype=dt))
            w.valid(tag + "_1d", base)
            w.valid(tag + "_2d", base[:1500].reshape(30, 50))
            w.valid(tag + "_fortran", base.reshape(30, 50).T)
            w.valid(tag + "_noncontig", base.reshape(30, 50)[::-1, ::2])
    objs = np.empty(6, dtype=object)
    objs[:] = [1, "two", 3.0, None, (4, "five"), [6, {"seven": 7}]]
    w.valid("object_1d", objs)
    w.valid("object_empty", np.array([], dtype=object))
    w.valid("object_0d", np.array(10, dtype=object))
    w.valid("object_2d", np.array([[1, "a"], [2.5, None], [b"x", 3]], dtype=object))
    w.valid("object_fortran", np.array([[1, "a", 2], [3, "b", 4]], dtype=object).T)


def more_dtypes(w, rng):
    w.valid("bool", rng.integers(0, 2, size=(7, 3)).astype(bool))
    w.valid("float16", filled("<f2", (17,), rng))
    w.valid("float16be", filled(">f2", (17,), rng))
    w.valid("longdouble", np.arange(5, dtype=np.longdouble) / 3)
    w.valid("clongdouble", (np.arange(5) + 1j).astype(np.clongdouble))
    w.valid("str_U10", np.array(["", "a", "héllo", "整形", "emoji \U0001F600"], dtype="U10"))
    w.valid("str_U10be", np.array(["abc", "整形"], dtype=">U10"))
    w.valid("bytes_S5", np.array([b"", b"a", b"abcde", b"\x00\xff"], dtype="S5"))
    w.valid("void_V16", filled("V16", (3,), rng))
    w.valid("void_V0", np.zeros(4, dtype="V0"))
    for unit in ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"]:
        w.valid("datetime_" + unit, np.arange(4).astype("M8[%s]" % unit))
        w.valid("timedelta_" + unit, np.arange(4).astype(">m8[%s]" % unit))
    w.valid("datetime_generic", np.array(["NaT", "NaT"], dtype="M8"))
    w.valid("timedelta_generic", np.array([1, 2], dtype="<m8"))
    w.valid("datetime_15m", np.arange(3).astype("M8[15m]"))
    w.valid("datetime_25ns", np.arange(3).astype("<M8[25ns]"))
    w.valid("timedelta_7D", np.arange(3).astype(">m8[7D]"))


def structured(w, rng):
    for order in "<>":
        tag = "le" if order == "<" else "be"
        pd = np.dtype(PDESCR).newbyteorder(order)
        nd = np.dtype(NDESCR).newbyteorder(order)
        w.valid("record_P_" + tag, filled(pd, (2,), rng))
        w.valid("record_N_" + tag, filled(nd, (2,), rng))
        w.valid("record_N2d_" + tag, filled(nd, (2, 3), rng).T)
    w.valid("subarray_of_subarray", np.zeros(1, dtype=[("c", ("<f8", (5,)), (2,))]))
    dt1 = np.dtype("i1, i4, i1", align=True)
    dt2 = np.dtype({"names": ["a", "b"], "formats": ["i4", "i4"], "offsets": [1, 6]})
    dt3 = np.dtype({"names": ["c", "d"], "formats": ["i4", dt2]})
    dt4 = np.dtype({"names": ["a", "", "b"], "formats": ["i4"] * 3})
    dt5 = np.dtype({"names": ["a", "b"], "formats": ["i4", "i4"], "offsets": [1, 6],
                    "titles": ["aa", "bb"]})
    dt6 = np.dtype({"names": [], "formats": [], "itemsize": 8})
    for i, dt in enumerate([dt1, dt2, dt3, dt4, dt5, dt6], 1):
        w.valid("padded_dt%d" % i, filled(dt, (3,), rng))
    # numpy's test_descr_to_dtype cases
    w.valid("aligned_abc", filled(np.dtype([("a", "i1"), ("b", "i2"), ("c", "i4")], align=True), (2,), rng))
    inner = np.dtype({"names": ["a", "b"], "formats": ["i1", "i1"], "offsets": [0, 4], "itemsize": 8})
    w.valid("subarray_of_padded", filled(np.dtype([("x", (inner, (3,)))]), (4,), rng))
    w.valid("nested3", filled(np.dtype([("a", [("b", [("c", "<i8"), ("d", "i1", (2, 2))])]),
                                        ("e", ">f4")]), (2,), rng))
    w.valid("titles_plain", filled(np.dtype({"names": ["a", "b"], "formats": ["<i2", ">f8"],
                                             "titles": ["first", None]}), (2,), rng))
    w.valid("empty_struct", np.zeros(3, dtype=[]))
    w.valid("struct_S0_field", np.zeros(2, dtype=[("a", "S0"), ("b", "<i2")]))
    w.valid("unnamed_field", np.zeros(2, dtype=np.dtype([("", "<i4")])))
    w.valid("zero_dim_subarray", np.zeros(2, dtype=[("a", "<f8", (0,)), ("b", "u1", (2, 0))]))
    w.valid("bool_fields", fix_bools(filled(np.dtype([("f", "?"), ("x", "<i2"), ("g", "?", (3,))]),
                                            (5,), rng)))
    w.valid("struct_with_object", np.array([(1, "x"), (2, None)], dtype=[("a", "<i4"), ("b", "O")]))
    w.valid("nested_object", np.array([((1, [2]),)], dtype=[("s", [("i", "<i8"), ("o", "O")])]))
    # names: quoting and escapes exactly as repr() writes them
    names = ["it's", 'a"b', "q'\"", "t\t\n\\", "é", "a\u200b", "\xa0nbsp", "Ωmega"]
    w.valid("names_quoting", np.zeros(2, dtype=[(n, "<i4") for n in names]))
    w.valid("v3_unicode_name", filled(np.dtype([("整形", "<i4"), ("x", "<f8")]), (3,), rng))
    w.valid("v3_emoji_title", np.zeros(2, dtype={"names": ["a"], "formats": ["<i4"],
                                                 "titles": ["\U0001F600"]}))
    many = np.dtype([(str(i) * 100, "<f8") for i in range(500)])  # numpy's test_version_2_0
    w.valid("v2_many_fields", np.zeros(3, dtype=many))
    w.valid("v2_long_name", np.zeros(1, dtype=[("x" * 65536, "<i8")]))  # test_large_header
    for i in (0, 5, 10, 20):
        for name in (" " * 22, " " * 23):  # test_header_growth_axis
            dt = np.dtype([(name, "<i2")])
            w.valid("growth_%d_%d" % (i, len(name)), np.zeros((min(10 ** i, 3), 2), dtype=dt))


def growth_headers(w):
    """Headers for shapes too big to hold data: the GROWTH_AXIS padding for every digit count."""
    for like in ("valid/float64le_1d.npy", "valid/growth_0_22.npy", "valid/growth_0_23.npy"):
        dt = np.load(os.path.join(w.out, like)).dtype
        for i in range(20):  # 10**20 does not fit the u64 dimensions npguard (and NumPy) use
            for fortran, shape in ((False, (10 ** i, 2)), (True, (2, 10 ** i)), (False, (10 ** i,))):
                buf = io.BytesIO()
                npformat._write_array_header(buf, {"descr": npformat.dtype_to_descr(dt),
                                                   "fortran_order": fortran, "shape": shape})
                w.record("hdr", like=like, shape=fmt_shape(shape), fortran=int(fortran),
                         hex=buf.getvalue().hex())


def unsafe_npy():
    """The .npy of an object array whose pickle calls os.system('echo pwned'), made by editing
    the pickle NumPy wrote for [range(0, 3, 1), 'echo pwned']. Python never loads it."""
    arr = np.array([range(3), "echo pwned"], dtype=object)
    data = npy_bytes(arr)
    old = b"cbuiltins\nrange\nq\x0eK\x00K\x03K\x01\x87q\x0fR"
    new = b"cos\nsystem\nq\x0eX\x0a\x00\x00\x00echo pwned\x85q\x0fR"
    assert data.count(old) == 1
    return data.replace(old, new)


def unsafe_object(w):
    data = unsafe_npy()
    rel = "valid/object_os_system.npy"
    w.put(rel, data)
    major, off, fortran = header_info(data)
    w.record("ok", file=rel, version=major, offset=off, str="|O", descr=ascii("|O"), shape="2",
             fortran=0, itemsize=8, nbytes=0, object=1, unsafe=1,
             sha256=hashlib.sha256(b"").hexdigest(), hdrlen=off, roundtrip=0)
    # the same pickle under a header that announces another shape
    hdr = data[:off].replace(b"(2,), }", b"(3,), }")
    w.bad("object_shape_mismatch", hdr + npy_bytes(np.array([1, "a"], dtype=object))[off:],
          "NPG_E_NPY_OBJECT", off, "pickled array has shape (2,), header says (3,)")


# ---------------------------------------------------------------- refused files

F8 = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
DATA16 = bytes(range(16))


def bad_files(w):
    ok = make_npy(F8, data=DATA16)
    hl = len(ok) - 16

    # test_format.py: bad_version_magic and malformed_magic (whole files after the 8 bytes)
    for i, magic in enumerate([b"\x93NUMPY\x01\x01", b"\x93NUMPY\x00\x00", b"\x93NUMPY\x00\x01",
                               b"\x93NUMPY\x02\x02", b"\x93NUMPY\xff\xff"]):
        off = 6 if magic[6] not in (1, 2, 3) else 7
        w.bad("bad_version_%d" % i, magic + ok[8:], "NPG_E_NPY_VERSION", off, "test_format bad_version_magic")
    w.bad("version_2_0_alone", b"\x93NUMPY\x02\x00", "NPG_E_TRUNCATED", 8,
          "test_format: a valid 2.0 magic with nothing after it")
    for i, (magic, code, off) in enumerate([(b"\x92NUMPY\x01\x00", "NPG_E_NPY_MAGIC", 0),
                                            (b"\x00NUMPY\x01\x00", "NPG_E_NPY_MAGIC", 0),
                                            (b"\x93numpy\x01\x00", "NPG_E_NPY_MAGIC", 1),
                                            (b"\x93MATLB\x01\x00", "NPG_E_NPY_MAGIC", 1)]):
        w.bad("bad_magic_%d" % i, magic + ok[8:], code, off, "test_format malformed_magic")
    w.bad("magic_short_7", b"\x93NUMPY\x01", "NPG_E_TRUNCATED", 7, "test_format malformed_magic")
    w.bad("magic_short_6", b"\x93NUMPY", "NPG_E_TRUNCATED", 6, "test_format malformed_magic")
    w.bad("empty", b"", "NPG_E_TRUNCATED", 0, "test_format test_bad_header: empty stream")
    # test_bad_header: 1 byte of length; length 1 and no body
    w.bad("length_1_byte", ok[:8] + b"1", "NPG_E_TRUNCATED", 9, "test_bad_header b'1'")
    w.bad("length_1_no_body", ok[:8] + b"\x01\x00", "NPG_E_NPY_ALIGNMENT", 8,
          "test_bad_header b'\\x01\\x00': the length is checked before the body is looked for")
    t = b"{'descr': 'x', 'shape': (1, 2), }"
    w.bad("bad_header_descr_x", make_npy(t), "NPG_E_NPY_DESCR", at(t, b"'x'"),
          "test_bad_header: missing fortran_order, and descr 'x'")
    t = b"{'descr': '<f8', 'shape': (1, 2), }"
    w.bad("missing_fortran_order", make_npy(t, data=DATA16), "NPG_E_NPY_KEYS", at(t, b"'shape'"),
          "test_bad_header: missing fortran_order")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), 'extrakey': -1, }"
    w.bad("extrakey", make_npy(t, data=DATA16), "NPG_E_NPY_KEYS", at(t, b"'extrakey'"),
          "test_bad_header: extra key")
    w.bad("truncated_1", ok[:-1], "NPG_E_TRUNCATED", len(ok) - 1, "roundtrip_truncated: one byte short")
    w.bad("truncated_header", ok[:hl - 3], "NPG_E_TRUNCATED", hl - 3, "test_file_truncated: header cut")
    # test_huge_header: 10001 fields, v2.0
    huge = npy_bytes(np.zeros(1, dtype="i," * 10000 + "i"))
    w.bad("huge_header", huge, "NPG_E_LIMIT_HEADER", 8, "test_huge_header: header over 10000 bytes")
    w.bad("huge_header_fields", huge, "NPG_E_LIMIT_FIELDS", huge.index(b"('f4096'"),
          "test_huge_header with the header limit raised: field 4097 is one too many", hdr=1 << 20)

    # notes 1.13: what NumPy 1.24 accepts and npguard refuses
    t = b"{'descr': '>i8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
    w.bad("duplicate_key", make_npy(t, data=DATA16), "NPG_E_NPY_KEYS", at(t, b"'descr'", nth=1),
          "duplicate key, last wins in NumPy", "accepts")
    t = b"{'shape': (2,), 'fortran_order': False, 'descr': '<f8', }"
    w.bad("key_order", make_npy(t, data=DATA16), "NPG_E_NPY_KEYS", at(t, b"'shape'"),
          "keys not in sorted order", "accepts")
    t = b"{\"descr\": '<f8', 'fortran_order': False, 'shape': (2,), }"
    w.bad("double_quoted_key", make_npy(t, data=DATA16), "NPG_E_NPY_SYNTAX", at(t, b'"descr"'),
          "double-quoted key", "accepts")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } # hi"
    w.bad("comment", make_npy(t, data=DATA16), "NPG_E_NPY_SYNTAX", at(t, b"#"), "comment after the dict", "accepts")
    t = b"{'descr': '<f8',\t'fortran_order': False, 'shape': (2,), }"
    w.bad("tab", make_npy(t, data=DATA16), "NPG_E_NPY_ENCODING", at(t, b"\t"), "tab in the header", "accepts")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\r"
    w.bad("carriage_return", make_npy(t, data=DATA16), "NPG_E_NPY_ENCODING", at(t, b"\r"), "\\r in the header",
          "accepts")
    t = b"  {'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
    w.bad("leading_spaces", make_npy(t, data=DATA16), "NPG_E_NPY_SYNTAX", at(t, b" "), "leading spaces", "accepts")
    t = F8
    f = make_npy(t, data=DATA16, newline=False)
    w.bad("no_newline", f, "NPG_E_NPY_SYNTAX", len(f) - 17, "no trailing newline", "accepts")
    t = F8 + b" " * (64 - 10 - len(F8) % 64 - 1 + 64) + b"x"
    f = make_npy(t, data=DATA16)
    w.bad("padding_not_space", f, "NPG_E_NPY_SYNTAX", at(t, b"x"), "padding holds a non-space")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,)}"
    w.bad("no_trailing_comma", make_npy(t, data=DATA16), "NPG_E_NPY_SYNTAX", at(t, b"}"),
          "no ', ' after the last value (NumPy <= 1.1 pprint style)", "accepts")
    t = F8
    f = make_npy(t, data=DATA16, pad=False)
    w.bad("no_padding", f, "NPG_E_NPY_ALIGNMENT", 8, "no padding: data not aligned", "accepts")
    w.bad("shape_hex", make_npy(b"{'descr': '<f8', 'fortran_order': False, 'shape': (0x2,), }", data=DATA16),
          "NPG_E_NPY_SHAPE", at(b"{'descr': '<f8', 'fortran_order': False, 'shape': (0x2,), }", b"x"),
          "hex dimension", "accepts")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1_0,), }"
    w.bad("shape_underscore", make_npy(t, data=bytes(80)), "NPG_E_NPY_SHAPE", at(t, b"_0"), "1_0 dimension", "accepts")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (-0,), }"
    w.bad("shape_minus_zero", make_npy(t), "NPG_E_NPY_SHAPE", at(t, b"-"), "-0 dimension", "accepts")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (02,), }"
    w.bad("shape_leading_zero", make_npy(t, data=DATA16), "NPG_E_NPY_SHAPE", at(t, b"02"), "leading zero")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }"
    w.bad("shape_negative", make_npy(t, data=DATA16), "NPG_E_NPY_SHAPE", at(t, b"-"),
          "(-1,): NumPy 1.24 infers the shape from the file size", "accepts")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (True,), }"
    w.bad("shape_true", make_npy(t, data=bytes(8)), "NPG_E_NPY_SHAPE", at(t, b"True"), "bool dimension")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': [2], }"
    w.bad("shape_list", make_npy(t, data=DATA16), "NPG_E_NPY_SHAPE", at(t, b"["), "shape is a list")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2), }"
    w.bad("shape_no_tuple", make_npy(t, data=DATA16), "NPG_E_NPY_SHAPE", at(t, b")"), "(2) is not a tuple")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1,), }"
    w.bad("shape_trailing_comma", make_npy(t, data=DATA16), "NPG_E_NPY_SHAPE", at(t, b",)") + 1,
          "trailing comma after two dimensions", "accepts")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,1), }"
    w.bad("shape_no_space", make_npy(t, data=DATA16), "NPG_E_NPY_SHAPE", at(t, b",1") + 1, "no space after ','",
          "accepts")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551616,), }"
    w.bad("shape_2_64", make_npy(t), "NPG_E_NPY_SHAPE", at(t, b"1844"), "dimension of 2**64")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"
    w.bad("count_overflow", make_npy(t), "NPG_E_LIMIT_ARRAY", at(t, b"(42"), "element count wraps in int64")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (" + b", ".join([b"1"] * 33) + b"), }"
    w.bad("ndim_33", make_npy(t, data=bytes(8)), "NPG_E_LIMIT_NDIM", at(t, b"1", nth=32), "33 dimensions")
    t = b"{'descr': '|V0', 'fortran_order': False, 'shape': (1000000000000000000,), }"
    w.bad("zero_itemsize_huge", make_npy(t), "NPG_E_LIMIT_ARRAY", at(t, b"(1"),
          "itemsize 0 with 10**18 elements", "accepts")
    t = b"{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }"
    w.bad("fortran_int", make_npy(t, data=DATA16), "NPG_E_NPY_FORTRAN", at(t, b"0,"), "fortran_order 0")
    t = b"{'descr': '<f8', 'fortran_order': 'True', 'shape': (2,), }"
    w.bad("fortran_str", make_npy(t, data=DATA16), "NPG_E_NPY_FORTRAN", at(t, b"'True'"), "fortran_order 'True'")
    t = b"{'descr': '<f8', 'fortran_order': Truee, 'shape': (2,), }"
    w.bad("fortran_truee", make_npy(t, data=DATA16), "NPG_E_NPY_FORTRAN", at(t, b"Truee"), "Truee")
    f = make_npy(F8, data=DATA16 + b"PK\x05\x06" + bytes(18))
    w.bad("trailing_data", f, "NPG_E_TRAILING", len(f) - 22, "bytes after the data (a polyglot)", "accepts")
    f = make_npy(F8, data=DATA16[:15])
    w.bad("data_short", f, "NPG_E_TRUNCATED", len(f), "data one byte short")
    f = make_npy(F8, data=DATA16, hlen=9974)
    w.bad("header_len_beyond_file", f, "NPG_E_TRUNCATED", len(f), "HEADER_LEN beyond the end of the file")
    f = make_npy(F8, major=2, data=DATA16, hlen=0xFFFFFFC0 + 52)
    w.bad("header_len_4g", f[:200], "NPG_E_LIMIT_HEADER", 8, "v2 HEADER_LEN of 4 GiB in a 200-byte file")
    # descr values NumPy's writer never produces: (descr, why, where the error is, code)
    descr_cases = [
        (b"'float64'", "type name", None, None), (b"'=f8'", "native byte order", None, None),
        (b"'f8'", "no byte order", None, None), (b"'<f8,<i4'", "comma string", None, None),
        (b"'a5'", "a5 for S5", None, None), (b"[['a', '<f8']]", "list for a field tuple", b"['a'", None),
        (b"'|f8'", "'|' on a multi-byte number", None, None), (b"'<b1'", "'<' on bool", None, None),
        (b"'<i3'", "no such size", None, None), (b"'<f12'", "i386 long double", None, None), (b"'<M8[1ns]'", "multiplier 1", None, None),
        (b"'<M8[generic]'", "generic unit spelled out", None, None),
        (b"'<M8[xs]'", "unknown unit", None, None), (b"'|S0'", "S0 array", None, None),
        (b"('<f8', (2,))", "top-level subarray", None, None),
        (b"[('a', '<f8', 2)]", "int subarray shape", b"2)]", None),
        (b"[('a', '<f8', ())]", "empty subarray shape", b"())]", None),
        (b"[('a', '<f8'), ('a', '<i4')]", "duplicate name", b"[", None),
        (b"[('', '|V4'), ('', '|V4'), ('a', '<f8')]", "two padding entries", b"('', '|V4'), ('a'", None),
        (b"[('', '<f8', (2,))]", "unnamed subarray (NumPy drops it)", b"(''", None),
        (b"[('a', '<f8', (-1,))]", "negative subarray dim", b"-1", None),
        (b"b'<f8'", "bytes literal", None, None), (b"u'<f8'", "u prefix", None, None),
        (b"'<f8' ''", "implicit concatenation", b" ''", "NPG_E_NPY_SYNTAX"),
        (b"'<f8 '", "trailing space", None, None), (b"None", "None", None, None)]
    for i, (descr, why, mark, code) in enumerate(descr_cases):
        t = b"{'descr': " + descr + b", 'fortran_order': False, 'shape': (2,), }"
        w.bad("descr_%02d" % i, make_npy(t, data=bytes(16)), code or "NPG_E_NPY_DESCR", at(t, mark or descr), why)
    # a raw character repr() escapes: U+00A0 written raw in a v1 field name
    t = "{'descr': [('\xa0', '<i4')], 'fortran_order': False, 'shape': (2,), }".encode("latin-1")
    w.bad("raw_nbsp", make_npy(t, data=bytes(8)), "NPG_E_NPY_ENCODING", at(t, b"\xa0"),
          "raw U+00A0 in a name (repr writes \\xa0)", "accepts")
    t = "{'descr': [('\x85', '<i4')], 'fortran_order': False, 'shape': (2,), }".encode("latin-1")
    w.bad("raw_c1", make_npy(t, data=bytes(8)), "NPG_E_NPY_ENCODING", at(t, b"\x85"), "C1 control byte")
    t = b"{'descr': [('\xff\xfe', '<i4')], 'fortran_order': False, 'shape': (2,), }"
    w.bad("v3_bad_utf8", make_npy(t, major=3, data=bytes(8)), "NPG_E_NPY_ENCODING", at(t, b"\xff", major=3),
          "invalid UTF-8 in a 3.0 header")
    t = b"{'descr': [('\xed\xa0\x80', '<i4')], 'fortran_order': False, 'shape': (2,), }"
    w.bad("v3_surrogate", make_npy(t, major=3, data=bytes(8)), "NPG_E_NPY_ENCODING", at(t, b"\xed", major=3),
          "UTF-8-encoded surrogate")
    t = b"{'descr': [('a\\x00b', '<i4')], 'fortran_order': False, 'shape': (2,), }"
    w.bad("name_nul", make_npy(t, data=bytes(8)), "NPG_E_NPY_DESCR", at(t, b"'a"), "NUL in a name")
    t = b"{'descr': [('a\\qb', '<i4')], 'fortran_order': False, 'shape': (2,), }"
    w.bad("bad_escape", make_npy(t, data=bytes(8)), "NPG_E_NPY_DESCR", at(t, b"\\q"), "\\q escape")
    t = b"{'descr': [('a\\x0', '<i4')], 'fortran_order': False, 'shape': (2,), }"
    w.bad("short_escape", make_npy(t, data=bytes(8)), "NPG_E_NPY_DESCR", at(t, b"\\x0"), "\\x0 escape")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
    w.bad("v1_nul", make_npy(t.replace(b"False", b"Fa\x00se"), data=DATA16), "NPG_E_NPY_ENCODING",
          at(t, b"l"), "NUL in the header")
    w.bad("newline_inside", make_npy(t.replace(b", 'shape'", b",\n'shape'"), data=DATA16), "NPG_E_NPY_ENCODING",
          at(t, b" 'shape'"), "newline inside the dict", "accepts")
    t = b"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }"
    w.bad("not_dict", make_npy(b"['<f8', False, (2,)]", data=DATA16), "NPG_E_NPY_SYNTAX", 10, "a list")
    # nesting deeper than NPG_DTYPE_MAX_DEPTH
    deep = b"'<f8'"
    for _ in range(70):
        deep = b"[('a', " + deep + b")]"
    t = b"{'descr': " + deep + b", 'fortran_order': False, 'shape': (2,), }"
    w.bad("deep_descr", make_npy(t, data=DATA16), "NPG_E_LIMIT_DEPTH", at(t, b"[", nth=64), "70 levels")
    # version 2.0/3.0 for a small header: not what np.save chooses, but what
    # write_array(version=...) writes; accepted
    for major in (2, 3):
        buf = io.BytesIO()
        npformat.write_array(buf, np.arange(2.0), version=(major, 0))
        w.put("bad/explicit_v%d.npy" % major, buf.getvalue())
        w.record("good", file="bad/explicit_v%d.npy" % major, shape="2",
                 sha256=hashlib.sha256(np.arange(2.0).tobytes()).hexdigest())
    not_numpys_layout(w)


# ---------------------------------------------------------------- what older NumPy wrote


def old_npy(text, major=1, data=b""):
    """The layout of NumPy 1.0-1.13 (numpy/lib/format.py before 1.14): the header padded with
    1 to 16 spaces and a '\n' so that 10 + len(header) is a multiple of 16, whatever the
    version (2.0 files, 1.9-1.13, have a 4-byte length: their data starts 2 past a multiple of
    16, numpy#8085)."""
    return make_npy(text, major=major, data=data, align=16, prefix=10)


def py2_header(descr, fortran, shape):
    """The header text NumPy wrote under Python 2: the repr()s are given as bytes."""
    return b"{'descr': " + descr + b", 'fortran_order': " + fortran + b", 'shape': " + shape + b", }"


def legacy_files(w, rng):
    A = "ALIGN16@8"
    t = F8
    w.legacy("v1_f8", old_npy(t, data=DATA16), A, "NumPy < 1.14: python3.npy of numpy's tests")
    arr = filled("<i4", (3, 4), rng)
    t = py2_header(b"'<i4'", b"True", b"(3, 4)")
    w.legacy("v1_fortran", old_npy(t, data=arr.tobytes(order="F")), A, "Fortran order, 16 aligned")
    dt = np.dtype(NDESCR)
    arr = filled(dt, (2,), rng)
    t = py2_header(repr(npformat.dtype_to_descr(dt)).encode(), b"False", b"(2,)")
    w.legacy("v1_struct", old_npy(t, data=arr.tobytes()), A, "nested structured dtype, 16 aligned")
    t = py2_header(b"'<u2'", b"False", b"()")
    w.legacy("v1_0d", old_npy(t, data=b"\x07\x00"), A, "0-d, 16 aligned")
    for k in range(64):  # a header needing 16 spaces (the remainder was 0: NumPy padded 16)
        t = py2_header(b"'|u1'", b"False", b"(" + b"1, " * k + b"3)" if k else b"(3,)")
        if (10 + len(t) + 1) % 16 == 0 and (10 + len(t) + 1 + 16) % 64 != 0:
            break
    f = old_npy(t, data=b"abc")
    assert f[-3 - 17:-3] == b" " * 16 + b"\n"
    w.legacy("v1_pad16", f, A, "16 spaces of padding, the most NumPy < 1.14 wrote")
    t = py2_header(b"'<f4'", b"False", b"(2,)")
    w.legacy("v2_misaligned", old_npy(t, major=2, data=bytes(8)), "ALIGN16_V2@8",
             "write_array(version=(2, 0)) of NumPy 1.9-1.13: data 2 past a multiple of 16")
    many = np.dtype([("x" * 40000, "<i2"), ("y" * 40000, "<i2")])  # a header beyond 65535 bytes
    t = py2_header(repr(npformat.dtype_to_descr(many)).encode(), b"False", b"(1,)")
    assert len(t) > 65535
    w.legacy("v2_long_header", old_npy(t, major=2, data=bytes(many.itemsize)), "ALIGN16_V2@8",
             "np.save of NumPy 1.9-1.13 for a header that needs 2.0")
    # Python 2 on 64-bit Windows, where shapes are longs: 2L before NumPy 1.9.1
    t = py2_header(b"'<f8'", b"False", b"(2L,)")
    w.legacy("win64_py2", old_npy(t, data=DATA16), "%s,LONG@%d" % (A, at(t, b"L")),
             "numpy's win64python2.npy")
    t = py2_header(b"'<f8'", b"True", b"(8L, 10L)")
    w.legacy("win64_py2_2d", old_npy(t, data=filled("<f8", (8, 10), rng).tobytes(order="F")),
             "%s,LONG@%d" % (A, at(t, b"L")), "pywt's sst_nino3.npz member, smaller")
    t = py2_header(b"'<f8'", b"False", b"(2L,)")
    f = make_npy(t, data=DATA16)  # where 10 + len happens to be a multiple of 64 too
    w.legacy("win64_py2_at64", f, "LONG@%d" % at(t, b"L"), "2L, the 16-byte padding landing on 64")
    # NumPy 1.9.1-1.16 filtered the L out with tokenize/untokenize, which keeps the column
    t = py2_header(b"'<f8'", b"False", b"(2 ,)")
    w.legacy("win64_py2_filtered", old_npy(t, data=DATA16), "%s,LONG_FILTERED@%d" % (A, at(t, b" ,")),
             "NumPy 1.9.1-1.13 under Python 2 on 64-bit Windows")
    t = py2_header(b"'<i2'", b"False", b"(3 , 4 )")
    w.legacy("win64_py2_filtered_64", make_npy(t, data=bytes(24)), "LONG_FILTERED@%d" % at(t, b" ,"),
             "NumPy 1.14-1.16 under Python 2 on 64-bit Windows (64-byte padding)")
    t = py2_header(b"[('a', '<f8', (2L,))]", b"False", b"(3L,)")
    w.legacy("v2_long_subarray", old_npy(t, major=2, data=bytes(48)),
             "ALIGN16_V2@8,LONG@%d" % at(t, b"L", major=2), "2L in a subarray shape and the shape")
    # object arrays: '|O8' (64-bit) and '|O4' (32-bit) before NumPy 1.10, a protocol-2 pickle
    objs = np.array([1, "two", None, 3.5], dtype=object)
    for size in (b"8", b"4"):
        t = py2_header(b"'|O" + size + b"'", b"False", b"(4,)")
        w.legacy("objarr_O" + size.decode(), old_npy(t, data=pickle.dumps(objs, protocol=2)),
                 "%s,OBJECT_SIZE@%d" % (A, at(t, b"'|O")), "numpy's py2-objarr.npy, our own pickle")
    # a title that was a Python 2 unicode object
    t = py2_header(b"[((u'T', 'a'), '<i4')]", b"False", b"(2,)")
    w.legacy("py2_unicode_title", old_npy(t, data=bytes(8)), "%s,UNICODE_TITLE@%d" % (A, at(t, b"u'")),
             "u'' title")


def not_numpys_layout(w):
    """Alignments and Python 2 forms no NumPy release wrote: refused as before."""
    def aligned(text, align, major=1, pad=None):
        prefix = 10 if major == 1 else 12
        n = len(text) + 1
        pad = pad if pad is not None else (align - (prefix + n) % align) % align or align
        body = text + b" " * pad + b"\n"
        assert (prefix + len(body)) % align == 0
        size = struct.pack("<H" if major == 1 else "<I", len(body))
        return b"\x93NUMPY" + bytes([major, 0]) + size + body + DATA16
    t = F8
    pad = (8 - (10 + len(t) + 1)) % 16 or 16  # 8 past a multiple of 16, 1 to 16 spaces
    w.bad("align8", aligned(t, 8, pad=pad), "NPG_E_NPY_ALIGNMENT", 8, "8-byte alignment", "accepts")
    def long_pad(at_mod64):  # more than the 16 spaces NumPy < 1.14 wrote, to land there
        return next(p for p in range(17, 200) if (10 + len(t) + 1 + p) % 64 == at_mod64)
    f = aligned(t, 32, pad=long_pad(32))
    w.bad("align32_long_pad", f, "NPG_E_NPY_ALIGNMENT", 8,
          "32-byte alignment with more than 16 spaces: not NumPy < 1.14's padding", "accepts")
    f = aligned(t, 16, pad=long_pad(48))
    w.bad("align16_long_pad", f, "NPG_E_NPY_ALIGNMENT", 8, "16-byte alignment with 17+ spaces", "accepts")
    for major, prefix, why in ((3, 12, "3.0 (NumPy >= 1.17) was always 64-byte aligned"),
                               (2, 12, "2.0 data at a multiple of 16: NumPy < 1.14 put it 2 past"),
                               (1, 8, "1.0 data 2 past a multiple of 16")):
        f = make_npy(t, major=major, data=DATA16, align=16, prefix=prefix)
        assert (len(f) - 16) % 64 != 0
        w.bad("v%d_align16_prefix%d" % (major, prefix), f, "NPG_E_NPY_ALIGNMENT", 8, why, "accepts")
    for name, shape, mark, code, major, numpy_says in (
            ("shape_L_v3", b"(2L,)", b"L", "NPG_E_NPY_SHAPE", 3, "rejects"),
            ("shape_l_lower", b"(2l,)", b"l,", "NPG_E_NPY_SHAPE", 1, "rejects"),
            ("shape_LL", b"(2LL,)", b"L,", "NPG_E_NPY_SHAPE", 1, "rejects"),
            ("shape_space_L", b"(2 L,)", b" L", "NPG_E_NPY_SHAPE", 1, "accepts"),
            ("shape_two_spaces", b"(2  ,)", b"  ,", "NPG_E_NPY_SHAPE", 1, "accepts"),
            ("shape_space_v3", b"(2 ,)", b" ,", "NPG_E_NPY_SHAPE", 3, "accepts"),
            ("shape_space_after_open", b"( 2,)", b" 2", "NPG_E_NPY_SHAPE", 1, "accepts")):
        t = py2_header(b"'<f8'", b"False", shape)
        w.bad(name, make_npy(t, major=major, data=DATA16), code, at(t, mark, major=major), "not NumPy's", numpy_says)
    t = py2_header(b"[(u'a', '<i4')]", b"False", b"(2,)")
    w.bad("name_unicode", make_npy(t, data=bytes(8)), "NPG_E_NPY_DESCR", at(t, b"u'"),
          "u'' name: Python 2 NumPy never wrote one", "accepts")
    t = py2_header(b"[((u'T', 'a'), '<i4')]", b"False", b"(2,)")
    w.bad("title_unicode_v3", make_npy(t, major=3, data=bytes(8)), "NPG_E_NPY_DESCR", at(t, b"u'", major=3),
          "u'' title in a 3.0 header", "accepts")
    t = py2_header(b"'<O8'", b"False", b"(2,)")
    w.bad("object_le_O8", make_npy(t, data=bytes(8)), "NPG_E_NPY_DESCR", at(t, b"'<O8'"),
          "'<O8': NumPy wrote '|O8'")


def lenient_files(w):
    """Headers the grammar refuses before an os.system pickle. Whether numpy.load would unpickle
    the data is asked of NumPy's own header reader, which builds the dtype and unpickles nothing."""
    evil = unsafe_npy()
    _, off, _ = header_info(evil)
    payload = evil[off:]
    cases = [
        ("unaligned", b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"),
        ("key_order", b"{'shape': (2,), 'fortran_order': False, 'descr': '|O', }"),
        ("v2_long_key_order", b"{'shape': (2L,), 'descr': '|O', 'fortran_order': False}"),
        ("v3_utf8_field", "{'descr': [('é', 'O')], 'fortran_order': False, 'shape': (2,)}".encode()),
        ("field_tuple", b"{'descr': [('a', '<i4'), ('b', ('O', (1,)))], 'fortran_order': False, 'shape': (2,)}"),
        ("double_quotes", b'{"descr": "|O", "fortran_order": False, "shape": (2,)}'),
        ("spaces", b"{ 'descr' : '|O' , 'fortran_order' : False , 'shape' : ( 2 , ) }"),
        ("descr_O", b"{'descr': 'O', 'fortran_order': False, 'shape': (2,), }"),
        ("descr_object", b"{'descr': 'object', 'fortran_order': False, 'shape': (2,), }"),
        ("descr_O8_64", b"{'descr': '|O8', 'fortran_order': False, 'shape': (2,), } "),
        ("comment", b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), } # objects"),
        ("newlines", b"{'descr':\n '|O',\n 'fortran_order': False,\n 'shape': (2,)}"),
        ("escaped_O", b"{'descr': '|\\x4f', 'fortran_order': False, 'shape': (2,), }"),
        ("concatenated", b"{'de' 'scr': '|' 'O', 'fortran_order': False, 'shape': (2,), }"),
        ("u_key", b"{u'descr': u'|O', 'fortran_order': False, 'shape': (2,), }"),
        ("parenthesised", b"({'descr': ('|O'), 'fortran_order': False, 'shape': (2,), })"),
        ("duplicate_last_wins", b"{'descr': '<f8', 'descr': '|O', 'fortran_order': False, 'shape': (2,)}"),
        ("named_key", b"{'\\N{LATIN SMALL LETTER D}escr': '|O', 'fortran_order': False, 'shape': (2,)}"),
    ]
    refused = [  # numpy.load reads these headers (or refuses them) without unpickling
        ("float_key_order", b"{'shape': (2,), 'fortran_order': False, 'descr': '<f8', }"),
        ("field_named_O", b"{'descr': [('Offset', '<f8')], 'fortran_order': False, 'shape': (2,)}"),
        ("title_O", b"{'descr': [(('Object', 'a'), '<f8')], 'fortran_order': False, 'shape': (2,)}"),
        ("extra_key", b"{'descr': '|O', 'fortran_order': False, 'shape': (2,), 'x': 1}"),
        ("missing_key", b"{'descr': '|O', 'shape': (2,)}"),
        ("bytes_key", b"{b'descr': '|O', 'fortran_order': False, 'shape': (2,)}"),
        ("syntax_error", b"{'descr': '|O', 'fortran_order': False, 'shape': (2,)"),
        ("not_a_dict", b"[('descr', '|O'), ('fortran_order', False), ('shape', (2,))]"),
        ("a_name", b"{'descr': O, 'fortran_order': False, 'shape': (2,)}"),
    ]
    wider = [  # NumPy refuses these after building the dtype; npguard scans anyway
        ("shape_not_tuple", b"{'descr': '|O', 'fortran_order': False, 'shape': 2}"),
    ]
    for group, items in ((0, cases), (1, refused), (2, wider)):
        for name, text in items:
            major = 2 if name.startswith("v2") else 3 if name.startswith("v3") else 1
            data = make_npy(text, major=major, data=payload)
            if name == "unaligned":  # the only fault: an alignment no NumPy wrote
                data = make_npy(text, data=payload, pad=False)
                assert (10 + len(text) + 1) % 16 not in (0, 2)
            rel = "lenient/%s.npy" % name
            w.put(rel, data)
            f = io.BytesIO(data)
            try:
                version = npformat.read_magic(f)
                dtype = npformat._read_array_header(f, version, max_header_size=10**7)[2]
                unpickles = dtype.hasobject
            except Exception:  # noqa: BLE001
                unpickles = False
            assert unpickles == (group == 0), (name, unpickles)
            w.record("lenient", file=rel, unpickles=int(unpickles), offset=f.tell() if unpickles else 0,
                     wider=int(group == 2), why=name)


# ---------------------------------------------------------------- npz


def npz_files(w, rng):
    import zipfile
    arrays = {"a": "valid/float64le_2d.npy", "b": "valid/record_N_be.npy",
              "c": "valid/bool.npy", "d": "valid/str_U10.npy", "e": "valid/object_1d.npy",
              "f": "valid/int8le_empty.npy", "g": "valid/v3_unicode_name.npy",
              "h": "valid/padded_dt5.npy", "i": "valid/float32be_fortran.npy"}
    loaded = {k: np.load(os.path.join(w.out, v), allow_pickle=True) for k, v in arrays.items()}
    members = ",".join("%s:%s" % kv for kv in arrays.items())
    for name, fn in (("stored", np.savez), ("deflated", np.savez_compressed)):
        buf = io.BytesIO()
        fn(buf, **loaded)
        w.put("npz/%s.npz" % name, buf.getvalue())
        w.record("npz", file="npz/%s.npz" % name, members=members)
    buf = io.BytesIO()
    np.savez(buf)
    w.put("npz/empty.npz", buf.getvalue())
    w.record("npz", file="npz/empty.npz", members="")
    big = {"big": np.load(os.path.join(w.out, "valid/v2_many_fields.npy"), max_header_size=10**7)}
    for name, fn in (("v2_stored", np.savez), ("v2_deflated", np.savez_compressed)):
        buf = io.BytesIO()
        fn(buf, **big)
        w.put("npz/%s.npz" % name, buf.getvalue())
        w.record("npz", file="npz/%s.npz" % name, members="big:valid/v2_many_fields.npy", hdr=1 << 20)

    # a good member, then a refused one, laid out as np.savez does (zipfile, force_zip64)
    good = open(os.path.join(w.out, "valid/int16le_1d.npy"), "rb").read()
    for rec in [r for r in w.lines if r.startswith("bad\t")]:
        kv = dict(f.split("=", 1) for f in rec.split("\t")[1:])
        if kv.get("flags") or kv.get("hdr"):
            continue
        data = open(os.path.join(w.out, kv["file"]), "rb").read()
        stem = os.path.basename(kv["file"])[:-4]
        if b"PK\x05\x06" in data:  # a stored copy is a second EOCD signature: a zip error
            data = data.replace(b"PK\x05\x06", b"pk\x05\x06")
        for method, tag in ((zipfile.ZIP_STORED, "s"), (zipfile.ZIP_DEFLATED, "d")):
            rel = "npz/bad_%s_%s.npz" % (stem, tag)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", compression=method, allowZip64=True) as zf:
                for mname, content in (("ok.npy", good), ("bad.npy", data)):
                    with zf.open(mname, "w", force_zip64=True) as f:
                        f.write(content)
            w.put(rel, buf.getvalue())
            w.record("npzbad", file=rel, member="bad.npy", index=1, code=kv["code"], offset=kv["offset"])
    # members that are not arrays, or refused as such
    unsafe = open(os.path.join(w.out, "valid/object_os_system.npy"), "rb").read()
    boolbad = make_npy(b"{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", data=b"\x00\x01\x02")
    for rel, mname, content, code, off in (
            ("npz/not_npy.npz", "readme.txt", b"hello", "NPG_E_ZIP_NAME", 0),
            ("npz/unsafe_object.npz", "evil.npy", unsafe, "NPG_E_GLOBAL", None),
            ("npz/bool_values.npz", "b.npy", boolbad, "NPG_E_ARRAY", len(boolbad) - 1)):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            with zf.open(mname, "w", force_zip64=True) as f:
                f.write(content)
        w.put(rel, buf.getvalue())
        w.record("npzbad", file=rel, member=mname, index=0, code=code, offset=-1 if off is None else off)


def npz_legacy(w):
    """Archives whose difference from np.savez is legacy (a deflate level hint, members as older
    NumPy wrote them), and archives with members whose header only NumPy's reader accepts."""
    import zipfile
    names = ("v1_f8", "win64_py2_2d", "objarr_O8", "v2_misaligned")
    members = {n: open(os.path.join(w.out, "legacy/%s.npy" % n), "rb").read() for n in names}
    for hint in (1, 2, 3):  # bits 1-2: what Info-ZIP's zip -9 (1), -2 (2), -1 (3) write
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for n, data in members.items():
                zf.writestr(n + ".npy", data)
        z = bytearray(buf.getvalue())
        for sig, at_flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            pos = z.find(sig)
            while pos >= 0:  # every record: the flags of the local and central headers agree
                struct.pack_into("<H", z, pos + at_flags, struct.unpack_from("<H", z, pos + at_flags)[0] | hint << 1)
                pos = z.find(sig, pos + 4)
        rel = "npz/level_hint_%d.npz" % hint
        w.put(rel, bytes(z))
        with zipfile.ZipFile(os.path.join(w.out, rel)) as zf:  # zipfile reads the members alike
            assert all(i.flag_bits & 6 == hint << 1 for i in zf.infolist())
            assert all(zf.read(n + ".npy") == d for n, d in members.items())
        with np.load(os.path.join(w.out, rel), allow_pickle=True) as npz:  # our own pickle
            for n in names:
                assert npz[n].shape == np.load(os.path.join(w.out, "legacy/%s.npy" % n), allow_pickle=True).shape
        w.record("npzold", file=rel, hint=hint, members=",".join(n + ".npy" for n in names))

    # a header only NumPy's reader accepts, before an os.system pickle: stored, deflated, and
    # deflated beyond 1 MiB (the audit judges large members from their header alone)
    evil = open(os.path.join(w.out, "lenient/key_order.npy"), "rb").read()
    hlen = struct.unpack("<H", evil[8:10])[0]
    head, payload = evil[:10 + hlen], evil[10 + hlen:]
    assert payload[:2] == b"\x80\x03"
    big = b"\x80\x03B" + struct.pack("<I", 2 << 20) + bytes(2 << 20) + b"0" + payload[2:]
    canon = unsafe_npy()
    _, coff, _ = header_info(canon)
    floats = make_npy(b"{'shape': (2,), 'fortran_order': False, 'descr': '<f8', }", data=bytes(2 << 20))
    for name, data, method, unsafe in (
            ("lenient_stored", evil, zipfile.ZIP_STORED, 1),
            ("lenient_deflated", evil, zipfile.ZIP_DEFLATED, 1),
            ("lenient_big", head + big, zipfile.ZIP_DEFLATED, 1),
            ("canonical_big", canon[:coff] + big, zipfile.ZIP_DEFLATED, 1),
            ("lenient_big_floats", floats, zipfile.ZIP_DEFLATED, 0)):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=method) as zf:
            zf.writestr("ok.npy", open(os.path.join(w.out, "valid/int16le_1d.npy"), "rb").read())
            zf.writestr("x.npy", data)
        rel = "npz/%s.npz" % name
        w.put(rel, buf.getvalue())
        w.record("npzlax", file=rel, member="x.npy", unsafe=unsafe, usize=len(data))


def generate(out):
    w = Writer(out)
    rng = np.random.default_rng(20240531)
    basic_arrays(w, rng)
    more_dtypes(w, rng)
    structured(w, rng)
    growth_headers(w)
    unsafe_object(w)
    bad_files(w)
    legacy_files(w, rng)
    lenient_files(w)
    npz_files(w, rng)
    npz_legacy(w)
    tmp = os.path.join(out, "manifest.txt.tmp")
    with open(tmp, "w", encoding="ascii") as f:
        f.write("\n".join(w.lines) + "\n")
    os.replace(tmp, os.path.join(out, "manifest.txt"))
    print("make_npy.py: %d records in %s" % (len(w.lines), out))


# ---------------------------------------------------------------- check files npguard wrote


def parse_line(line):
    parts = line.rstrip("\n").split("\t")
    return parts[0], dict(p.split("=", 1) for p in parts[1:])


def check(d):
    bad = 0
    count = 0
    with open(os.path.join(d, "manifest.txt"), encoding="ascii") as f:
        for line in f:
            kind, kv = parse_line(line)
            if kind != "ok":
                continue
            count += 1
            path = os.path.join(d, kv["file"])
            try:
                arr = np.load(path, allow_pickle=False, max_header_size=10**7)
            except Exception as e:  # noqa: BLE001
                print("FAIL %s: numpy.load: %s" % (kv["file"], e))
                bad += 1
                continue
            fortran = kv["fortran"] == "1"
            got = {"str": arr.dtype.str, "descr": ascii(npformat.dtype_to_descr(arr.dtype)),
                   "shape": fmt_shape(arr.shape),
                   "sha256": hashlib.sha256(arr.tobytes(order="F" if fortran else "C")).hexdigest()}
            for k, v in got.items():
                if kv[k] != v:
                    print("FAIL %s: %s is %r, npguard wrote %r" % (kv["file"], k, v, kv[k]))
                    bad += 1
    print("make_npy.py check: %d files, %d mismatches" % (count, bad))
    if count == 0:
        print("FAIL: nothing to check")
        return 1
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("--dir", required=True)
    a = ap.parse_args()
    if a.cmd == "gen":
        generate(a.out)
        return 0
    return check(a.dir)


if __name__ == "__main__":
    sys.exit(main())
