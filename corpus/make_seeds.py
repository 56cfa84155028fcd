#!/usr/bin/python3
"""Seed corpora for the npy, zip, audit and convert fuzz targets (called by make_seeds.sh).

Run with Debian's /usr/bin/python3 and python3-numpy. Every seed is written with the option
byte 0 in front (the harnesses read the first byte as options) into corpus/<target>/seed/,
which is emptied first. Seeds are small (most < 1 KB, all < 64 KB) and each shows one feature.

Deterministic: fixed data, zip members dated 1980-01-01, no randomness, no clock.

Safety: this script only pickles data it builds itself (arrays, dicts, lists, str...) and
never unpickles anything. The one dangerous pickle (a GLOBAL of os.system) is written out as
literal bytes; nothing here ever imports or calls it. Sanity checks load .npy data with
allow_pickle=False only and disassemble pickles with pickletools (which executes nothing).
"""
import collections
import hashlib
import io
import os
import pickle
import pickletools
import shutil
import struct
import sys
import warnings
import zipfile

import numpy as np

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
CORPUS = os.path.join(ROOT, "corpus")
TARGETS = ("npy", "zip", "audit", "convert")
MAX_SEED = 64 * 1024
DATE_1980 = (1980, 1, 1, 0, 0, 0)

# What a protocol-2 pickle of os.system("echo hi") looks like in protocol 0, written by hand.
EVIL_P0 = b"cos\nsystem\n(S'echo hi'\ntR."

seeds = {t: {} for t in TARGETS}   # target -> {file name: bytes without the option byte}
npy_expect = {}                     # npy seed name -> array it must load as, or None (must fail)


def add(target, name, data):
    assert name not in seeds[target], (target, name)
    assert len(data) + 1 <= MAX_SEED, (target, name, len(data))
    seeds[target][name] = bytes(data)


# ------------------------------------------------------------------ helpers

def npy_bytes(arr, version=None):
    """np.save's bytes, or format.write_array with an explicit version."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 2.0/3.0 headers warn about old readers
        if version is None:
            np.save(buf, arr)
        else:
            np.lib.format.write_array(buf, arr, version=version)
    return buf.getvalue()


class Unseekable(io.RawIOBase):
    """A write-only stream with no tell/seek: zipfile then writes data descriptors."""

    def __init__(self):
        super().__init__()
        self.out = io.BytesIO()

    def writable(self):
        return True

    def seekable(self):
        return False

    def write(self, b):
        return self.out.write(b)

    def tell(self):
        raise OSError("not seekable")

    def read(self, n=-1):  # np.savez only checks that the attribute exists
        raise io.UnsupportedOperation("write-only")


def savez_bytes(arrays, compressed=False, stream=None):
    buf = stream if stream is not None else io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.out.getvalue() if isinstance(buf, Unseekable) else buf.getvalue()


def zinfo(name, compressed):
    zi = zipfile.ZipInfo(name, date_time=DATE_1980)
    zi.compress_type = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    zi.external_attr = 0o600 << 16
    return zi


def zip_bytes(members, compressed=False, force_zip64=False, prefix=b""):
    """A zip of (name, bytes) members written by zipfile itself; prefix: existing bytes the
    archive is appended to (mode 'a' on a non-zip file keeps absolute offsets)."""
    buf = io.BytesIO(prefix)
    mode = "a" if prefix else "w"
    if prefix:
        buf.seek(0, io.SEEK_END)
    with zipfile.ZipFile(buf, mode) as zf:
        for name, data in members:
            with zf.open(zinfo(name, compressed), "w", force_zip64=force_zip64) as f:
                f.write(data)
    return buf.getvalue()


def pkl(obj, proto):
    return pickle.dumps(obj, protocol=proto)


def longdouble(values, code):
    """A long double ('g') or its complex ('G') array with the bytes x87 leaves unused in each
    16-byte item (6 of them) zeroed: as built, they hold whatever was in memory."""
    a = np.array(values, dtype=code)
    raw = bytearray(a.tobytes())
    for off in range(0, len(raw), 16):
        raw[off + 10:off + 16] = bytes(6)
    return np.frombuffer(bytes(raw), dtype=a.dtype).reshape(a.shape).copy()


def filled(values, dtype):
    """A structured array whose gaps between fields are zero (np.array leaves them as found)."""
    a = np.zeros(len(values), dtype=dtype)
    for i, v in enumerate(values):
        a[i] = v
    return a


# ------------------------------------------------------------------ npy

def gen_npy():
    def save(name, arr, version=None):
        add("npy", name + ".npy", npy_bytes(arr, version))
        npy_expect[name + ".npy"] = arr

    # plain dtypes, little-endian and (for multi-byte ones) big-endian
    save("dtype_b1", np.array([True, False, True]))
    for size in (1, 2, 4, 8):
        for kind in "iu":
            base = np.arange(3, dtype=f"<{kind}{size}") - (1 if kind == "i" else 0)
            if size == 1:
                save(f"dtype_{kind}1", base.astype(f"|{kind}1"))
            else:
                save(f"dtype_{kind}{size}_le", base)
                save(f"dtype_{kind}{size}_be", base.astype(f">{kind}{size}"))
    for t in ("f2", "f4", "f8"):
        save(f"dtype_{t}_le", np.array([1.5, -0.0, np.inf], dtype="<" + t))
        save(f"dtype_{t}_be", np.array([1.5, -0.0, np.inf], dtype=">" + t))
    save("dtype_f16_longdouble", longdouble([1.5, -2.0], "g"))
    save("dtype_c8", np.array([1 + 2j, -0.5j], dtype="c8"))
    save("dtype_c16", np.array([1 + 2j, -0.5j], dtype="c16"))
    save("dtype_c16_be", np.array([1 + 2j], dtype=">c16"))
    save("dtype_c32_clongdouble", longdouble([1 + 2j], "G"))
    save("dtype_S5", np.array([b"ab", b"hello"], dtype="S5"))
    save("dtype_U3", np.array(["a", "\u00e9t\u00e9"], dtype="U3"))
    save("dtype_U3_be", np.array(["ab"], dtype=">U3"))
    save("dtype_V4", np.array([b"\x01\x02\x03\x04"], dtype="V4"))
    save("dtype_M8_ns", np.array(["2024-01-02T03:04:05", "NaT"], dtype="M8[ns]"))
    save("dtype_M8_generic", np.array(["NaT"], dtype="M8"))
    save("dtype_M8_D_be", np.array(["2024-01-02"], dtype=">M8[D]"))
    save("dtype_m8_D", np.array([1, -2], dtype="m8[D]"))
    save("dtype_m8_25s", np.array([3], dtype="m8[25s]"))

    # structured dtypes
    save("struct_simple", np.array([(1, 2.5)], dtype=[("a", "<i4"), ("b", "<f8")]))
    save("struct_nested", np.array([((1, 2), 3.0)], dtype=[("a", [("x", "<i2"), ("y", "u1")]), ("b", "<f4")]))
    save("struct_titles", np.zeros(1, dtype={"names": ["a", "b"], "formats": ["<i4", "<i4"],
                                              "titles": ["aa", "bb"]}))
    save("struct_offsets_gap", np.zeros(1, dtype={"names": ["a", "b"], "formats": ["u1", "<i4"],
                                                  "offsets": [1, 6], "itemsize": 12}))
    save("struct_align_padding", filled([(1, 2, 3)], np.dtype("i1,i4,i1", align=True)))
    save("struct_subarray", np.zeros(1, dtype=[("x", "<i4", (2,)), ("y", "<f8", (2, 2))]))
    save("struct_subarray_of_subarray", np.zeros(1, dtype=[("c", ("<f8", (2,)), (3,))]))
    save("struct_bool_field", np.array([(True, 7)], dtype=[("ok", "?"), ("n", "<u2")]))
    save("struct_empty_itemsize8", np.zeros(1, dtype={"names": [], "formats": [], "itemsize": 8}))
    save("struct_name_latin1", np.zeros(1, dtype=[("\u00e9", "<i4")]))  # raw 0xE9, v1.0
    save("struct_name_quotes", np.zeros(1, dtype=[("it's", "<i2"), ("t\tab", "u1")]))
    save("struct_name_nonlatin1_v3auto", np.zeros(1, dtype=[("\u6574\u5f62", "<i4")]))

    # shapes and order
    save("shape_0d", np.array(7, dtype="<i8"))
    save("shape_0", np.zeros((0,), dtype="<f8"))
    save("shape_3", np.arange(3, dtype="<i4"))
    save("shape_2x3", np.arange(6, dtype="<i2").reshape(2, 3))
    save("shape_2x0x3", np.zeros((2, 0, 3), dtype="<f4"))
    save("fortran_2x3", np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3)))
    save("fortran_2x3x2_u1", np.asfortranarray(np.arange(12, dtype="u1").reshape(2, 3, 2)))

    # header versions
    save("version_2_0", np.arange(3, dtype="<f8"), version=(2, 0))
    save("version_3_0", np.arange(3, dtype="<f8"), version=(3, 0))

    # object array: its data is a pickle (never loaded here)
    add("npy", "object_array.npy", npy_bytes(np.array([1, "a", None], dtype=object)))

    # hand-made edge cases (file names start with hand_)
    good = npy_bytes(np.arange(3, dtype="<i4"))
    add("npy", "hand_truncated_header.npy", good[:40])
    npy_expect["hand_truncated_header.npy"] = None
    add("npy", "hand_bad_magic.npy", b"\x93NUMPZ" + good[6:])
    npy_expect["hand_bad_magic.npy"] = None
    # what NumPy < 1.14 wrote: header padded so that the data starts on a 16-byte boundary
    text = b"{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }"
    pad = 16 - (10 + len(text) + 1) % 16
    hdr = text + b" " * pad + b"\n"
    add("npy", "hand_align16_v1.npy", b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr
        + np.arange(3, dtype="<i4").tobytes())
    npy_expect["hand_align16_v1.npy"] = np.arange(3, dtype="<i4")


# ------------------------------------------------------------------ zip

def with_zip64_end(z):
    """The archive z (no comment) with zip64 end records in front of its EOCD, whose fields then
    say 0xFFFF/0xFFFFFFFF, as writers do when counts or offsets overflow."""
    entries, cd_size, cd_off = struct.unpack("<10xHII2x", z[-22:])
    rec_off = cd_off + cd_size
    rec = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, entries, entries, cd_size, cd_off)
    loc = struct.pack("<IIQI", 0x07064B50, 0, rec_off, 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return z[:rec_off] + rec + loc + eocd


def gen_zip():
    a = np.arange(3, dtype="<i4")
    b = np.array([[1.5, 2.5]], dtype="<f8")
    c = np.array([True, False])
    obj = np.array([1, "a", None], dtype=object)
    for comp, tag in ((False, "stored"), (True, "deflated")):
        add("zip", f"savez_1_{tag}.npz", savez_bytes({"arr_0": a}, comp))
        add("zip", f"savez_3_{tag}.npz", savez_bytes({"a": a, "b": b, "c": c}, comp))
        add("zip", f"descriptor_{tag}.npz", savez_bytes({"a": a}, comp, stream=Unseekable()))
        # zipfile without NumPy: a member with forced zip64 extras (np.savez forces them too)
        add("zip", f"zip64_member_{tag}.npz", zip_bytes([("x.npy", npy_bytes(b))], comp, force_zip64=True))
        add("zip", f"plain_member_{tag}.npz", zip_bytes([("x.npy", npy_bytes(b))], comp))
        add("zip", f"object_member_{tag}.npz", savez_bytes({"obj": obj}, comp))
        add("zip", f"txt_member_{tag}.zip", zip_bytes([("a.txt", b"hello\n")], comp))
    add("zip", "savez_empty.npz", savez_bytes({}))
    add("zip", "zip64_end_records.npz", with_zip64_end(savez_bytes({"a": a})))


# ------------------------------------------------------------------ audit

def gen_audit():
    d = {"name": "x", "n": 3, "values": [1.5, 2.5], "arr": np.arange(3, dtype="<i4")}
    for p in (0, 2, 4, 5):
        add("audit", f"pickle_dict_p{p}.pkl", pkl(d, p))
    add("audit", "pickle_array_p2.pkl", pkl(np.arange(4.0), 2))
    add("audit", "pickle_plain_p1.pkl", pkl({"a": [1, 2], "b": (None, True)}, 1))
    add("audit", "pickle_two_concat.pkl", pkl([1, 2], 2) + pkl({"k": "v"}, 4))
    add("audit", "pickle_evil_os_system_p0.pkl", EVIL_P0)  # hand-written bytes, never loaded
    add("audit", "array_f8.npy", npy_bytes(np.arange(4, dtype="<f8")))
    add("audit", "array_object.npy", npy_bytes(np.array([1, "a", None], dtype=object)))
    add("audit", "savez.npz", savez_bytes({"a": np.arange(3, dtype="<i4"), "b": np.ones(2)}))
    add("audit", "savez_compressed.npz", savez_bytes({"a": np.arange(3, dtype="<i4")}, True))
    # PyTorch checkpoint layout: archive/data.pkl, archive/version, archive/data/0
    torch_like = [("archive/data.pkl", pkl({"epoch": 3, "w": np.ones(2, dtype="<f4")}, 2)),
                  ("archive/version", b"3\n"), ("archive/data/0", b"\x00" * 8)]
    add("audit", "torch_like.zip", zip_bytes(torch_like))
    add("audit", "torch_like_evil.zip", zip_bytes([("archive/data.pkl", EVIL_P0), ("archive/version", b"3\n")]))
    csv = io.BytesIO()
    np.savetxt(csv, np.arange(6.0).reshape(2, 3), delimiter=",", header="a,b,c")
    add("audit", "savetxt.csv", csv.getvalue())
    tsv = io.BytesIO()
    np.savetxt(tsv, np.arange(4, dtype=np.int64).reshape(2, 2), fmt="%d", delimiter="\t")
    add("audit", "savetxt.tsv", tsv.getvalue())
    add("audit", "data.json", b'{"name": "x", "values": [1, 2.5, -3e-2, true, null], "nested": {"a": []}}\n')
    add("audit", "empty", b"")
    rnd = b""
    h = b"npguard"
    while len(rnd) < 256:
        h = hashlib.sha256(h).digest()
        rnd += h
    add("audit", "random.bin", rnd)
    # polyglots: a pickle with a zip appended (zip offsets count from the file start), and a
    # .npy with a zip concatenated raw (offsets count from the zip's own start)
    add("audit", "polyglot_pickle_zip.bin",
        zip_bytes([("a.npy", npy_bytes(np.arange(2, dtype="<i4")))], prefix=pkl({"k": 1}, 2)))
    add("audit", "polyglot_npy_zip.bin",
        npy_bytes(np.arange(2, dtype="<i4")) + savez_bytes({"a": np.arange(2, dtype="<i4")}))
    # archives the strict reader refuses (data in front), read by the lenient walk: zip64 end
    # records, and a stored member whose size only its data descriptor gives
    junk = b"#!/bin/sh\nexit 0\n"
    add("audit", "salvage_zip64_end.zip",
        with_zip64_end(zip_bytes([("a.npy", npy_bytes(np.arange(2, dtype="<i4")))], prefix=junk)))
    add("audit", "salvage_descriptor_stored.npz",
        junk + savez_bytes({"a": np.arange(2, dtype="<i4")}, stream=Unseekable()))


# ------------------------------------------------------------------ convert

def gen_convert():
    i8 = np.arange(3, dtype="<i8")
    f8 = np.arange(6, dtype="<f8").reshape(2, 3)
    feats = {
        "dict_basic": {"a": i8, "b": f8},
        "list": [i8, f8],
        "tuple": (i8, f8),
        "root_array": f8,
        "dtypes_int": {"b1": np.array([True, False]), "i1": np.array([-1], "i1"), "u2": np.array([2], "<u2"),
                       "i4_be": np.array([3], ">i4"), "u8": np.array([4], "<u8")},
        "dtypes_float": {"f2": np.array([1.5], "<f2"), "f4_be": np.array([2.5], ">f4"),
                         "g": longdouble([3.5], "g"), "c8": np.array([1j], "c8"), "c16": np.array([2 + 1j])},
        "dtypes_str_time": {"S3": np.array([b"abc"]), "U2": np.array(["\u00e9x"]),
                            "V2": np.array([b"\x00\x01"], "V2"), "M8": np.array(["2024-01-02"], "M8[s]"),
                            "m8": np.array([5], "m8[D]")},
        "fortran": {"f": np.asfortranarray(f8)},
        "zero_d": {"z": np.array(1.25)},
        "empty": {"e0": np.zeros(0, "<i4"), "e20": np.zeros((2, 0), "<f8")},
        "structured": {"s": np.array([(1, 2.5), (3, 4.5)], dtype=[("a", "<i4"), ("b", "<f8")])},
        "nested_keys": {"outer": {"inner": i8, "more": {"deep": [f8]}}},
        "int_keys": {0: i8, 1: f8},
        "ordered_dict": collections.OrderedDict([("b", i8), ("a", f8)]),
        "mixed_values": {"arr": i8, "name": "x", "n": 3, "x": 1.5, "none": None, "flag": True,
                         "raw": b"\x00\x01", "scalar": np.float64(2.5), "ints": [1, 2]},
        "shared_array": {"a": i8, "b": i8},  # the same array twice: memo reference
        "recarray": {"r": np.rec.array([(1, 2.0)], dtype=[("a", "<i4"), ("b", "<f8")])},
        "masked_array": {"m": np.ma.array([1, 2, 3], mask=[0, 1, 0])},
        "object_array": {"o": np.array([1, "a", None], dtype=object)},
    }
    for name, obj in feats.items():
        for p in (2, 4, 5):
            add("convert", f"{name}_p{p}.pkl", pkl(obj, p))
    for name in ("dict_basic", "root_array", "structured", "ordered_dict", "mixed_values", "fortran"):
        add("convert", f"{name}_p0.pkl", pkl(feats[name], 0))
    # NumPy 2 module names, made by renaming a protocol-2 pickle (GLOBAL lines have no length
    # prefix and protocol 2 has no frames, so the rename keeps the pickle well-formed)
    p2 = pkl(feats["dict_basic"], 2)
    assert p2.count(b"cnumpy.core.multiarray\n") == 1
    add("convert", "np2names_dict_basic_p2.pkl", p2.replace(b"cnumpy.core.multiarray\n", b"cnumpy._core.multiarray\n"))


# ------------------------------------------------------------------ sanity checks

def same_values(got, want):
    """Equal items; structured ones compared field by field (np.load leaves the bytes of
    gaps between fields uninitialised, and align=True is not kept in the descr)."""
    if want.dtype.names is not None:
        return got.dtype.names == want.dtype.names and all(same_values(got[n], want[n]) for n in want.dtype.names)
    return got.tobytes("A") == want.tobytes("A")


def check():
    problems = []
    # every npy seed with an expectation loads (allow_pickle=False) as the array it came from
    for name, want in npy_expect.items():
        data = seeds["npy"][name]
        try:
            got = np.load(io.BytesIO(data), allow_pickle=False)
        except Exception as e:  # noqa: BLE001 - reported
            if want is not None:
                problems.append(f"npy/{name}: does not load: {e}")
            continue
        if want is None:
            problems.append(f"npy/{name}: loads but should not")
        elif got.dtype.descr != want.dtype.descr or got.shape != want.shape \
                or got.flags.f_contiguous != want.flags.f_contiguous or not same_values(got, want):
            problems.append(f"npy/{name}: loads as {got.dtype} {got.shape}, not {want.dtype} {want.shape}")
    unchecked = sorted(set(seeds["npy"]) - set(npy_expect))
    # zips: CRCs right; non-object .npy members load without pickle
    for target in ("zip", "audit"):
        for name, data in seeds[target].items():
            if not name.endswith((".npz", ".zip")):
                continue
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                bad = zf.testzip()
                if bad:
                    problems.append(f"{target}/{name}: bad CRC in {bad}")
                for m in zf.namelist():
                    if m.endswith(".npy") and b"'|O'" not in zf.read(m)[:256]:
                        np.load(io.BytesIO(zf.read(m)), allow_pickle=False)
    # pickles disassemble (pickletools executes nothing)
    for target in ("audit", "convert"):
        for name, data in seeds[target].items():
            if name.endswith(".pkl") and "concat" not in name:
                try:
                    pickletools.dis(data, out=io.StringIO())
                except Exception as e:  # noqa: BLE001 - reported
                    problems.append(f"{target}/{name}: pickletools.dis: {e}")
    return problems, unchecked


def main():
    gen_npy()
    gen_zip()
    gen_audit()
    gen_convert()
    problems, unchecked = check()
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    if problems:
        sys.exit(1)
    for t in TARGETS:
        out = os.path.join(CORPUS, t, "seed")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        for name, data in sorted(seeds[t].items()):
            with open(os.path.join(out, name), "wb") as f:
                f.write(b"\x00" + data)
        sizes = [len(d) + 1 for d in seeds[t].values()]
        print(f"{t}: {len(sizes)} seeds, {sum(sizes)} bytes, largest {max(sizes)}, "
              f"{sum(s > 1024 for s in sizes)} over 1 KB")
    print("npy seeds not loaded by the check (object data):", " ".join(unchecked))


if __name__ == "__main__":
    main()
