#!/usr/bin/env python3
"""Differential ("oracle") test: npguard versus CPython + NumPy on random benign pickles.

    python3 oracle.py --npgdump PATH --out DIR [--objects N] [--seed S] [--keep-going]

Needs Debian's python3 with python3-numpy (1.24). Steps:

1. Build random objects from fixed seeds (containers holding arrays of random dtype, shape,
   memory order and byte order, numpy scalars, dtypes, big ints, floats, unicode, shared and
   recursive references, matrix/recarray/MaskedArray) plus a fixed list of hand-written cases,
   and pickle each in protocols 0-5. Some get a protocol-5 out-of-band variant (buffers written
   as .bufK.bin) and some a NumPy-2-named variant (numpy._core.*, 'K'-order _frombuffer).
2. Expected text: canon.dump(pickle.loads(file)) -- Python only loads pickles made here. The
   NumPy-2-named files cannot be loaded by NumPy 1.24; their expected text is the dump of the
   original object.
3. Run `npgdump --list` over every file and compare; print the first differences.

Everything is written under --out (the build tree); the run is deterministic.
"""

import argparse
import collections
import difflib
import io
import math
import os
import pickle
import random
import shutil
import string
import struct
import subprocess
import sys
import time
import types
import warnings

if os.environ.get("PYTHONHASHSEED") != "0":  # stable set order -> byte-identical files
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

try:
    import numpy as np
except ImportError:
    sys.exit("oracle.py: NumPy is missing for %s (Debian: apt-get install python3-numpy)"
             % sys.executable)

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canon  # noqa: E402

warnings.simplefilter("ignore")
sys.setrecursionlimit(20000)

PROTOCOLS = (0, 1, 2, 3, 4, 5)
NP2_PROTOCOLS = (0, 2, 4, 5)

# ---------------------------------------------------------------- NumPy-2 module names

class Np2Names:
    """While active, NumPy 1.x's reconstruction helpers carry NumPy 2.x module names, so the
    pickler writes numpy._core.multiarray._reconstruct/scalar, numpy._core.numeric._frombuffer,
    numpy.rec.recarray and numpy.ma.MaskedArray."""

    MODS = ("numpy._core", "numpy._core.multiarray", "numpy._core.numeric", "numpy.rec")

    def __enter__(self):
        mcore, ncore = np.core.multiarray, np.core.numeric
        self.saved_mods = {k: sys.modules.get(k) for k in self.MODS}
        pkg = types.ModuleType("numpy._core")
        ma = types.ModuleType("numpy._core.multiarray")
        nu = types.ModuleType("numpy._core.numeric")
        ma._reconstruct, ma.scalar = mcore._reconstruct, mcore.scalar
        nu._frombuffer = ncore._frombuffer
        pkg.multiarray, pkg.numeric = ma, nu
        sys.modules.update({"numpy._core": pkg, "numpy._core.multiarray": ma,
                            "numpy._core.numeric": nu, "numpy.rec": np.rec})
        renames = [(mcore._reconstruct, "numpy._core.multiarray"),
                   (mcore.scalar, "numpy._core.multiarray"),
                   (ncore._frombuffer, "numpy._core.numeric"),
                   (np.recarray, "numpy.rec"),
                   (np.ma.MaskedArray, "numpy.ma")]
        self.saved_attrs = [(o, o.__module__) for o, _ in renames]
        for o, m in renames:
            o.__module__ = m
        return self

    def __exit__(self, *exc):
        for o, m in self.saved_attrs:
            o.__module__ = m
        for k, v in self.saved_mods.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
        return False


class Np23Pickler(pickle.Pickler):
    """NumPy >= 2.3 pickles arrays that are neither C- nor F-contiguous in protocol 5 as
    _frombuffer(buffer, dtype, shape, 'K', axis_order) when a transpose of them is
    C-contiguous. Used inside Np2Names only."""

    def __init__(self, file, protocol, **kw):
        super().__init__(file, protocol, **kw)
        self.proto = protocol

    def reducer_override(self, obj):
        if (type(obj) is not np.ndarray or self.proto < 5 or obj.dtype.hasobject
                or obj.dtype.itemsize == 0 or obj.flags.c_contiguous or obj.flags.f_contiguous):
            return NotImplemented
        n = obj.ndim
        perm = sorted(range(n), key=lambda i: (-abs(obj.strides[i]), i))
        t = obj.transpose(perm)
        if not t.flags.c_contiguous:
            return NotImplemented
        rev = [0] * n
        for i, p in enumerate(perm):
            rev[p] = i
        try:
            buf = pickle.PickleBuffer(t)
        except (ValueError, TypeError):  # e.g. datetime64: NumPy falls back to the regular path
            return NotImplemented
        fb = sys.modules["numpy._core.numeric"]._frombuffer
        return fb, (buf, obj.dtype, tuple(t.shape), "K", tuple(rev))


def dumps(obj, protocol, np2=False, buffer_callback=None):
    if not np2:
        return pickle.dumps(obj, protocol=protocol, buffer_callback=buffer_callback)
    bio = io.BytesIO()
    with Np2Names():
        Np23Pickler(bio, protocol, buffer_callback=buffer_callback).dump(obj)
    return bio.getvalue()


# ---------------------------------------------------------------- random objects

UNITS = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"]
NUMERIC = ["b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16"]
CHARS = [
    string.ascii_letters + string.digits + " _.-",
    "\x00\t\n\r\x1a\\'\"\x7f",
    "".join(chr(c) for c in range(0x80, 0x100)),
    "\u0100\u0416\u20ac\u4e2d\u6587\uff71\u2028\ufeff\ufffd\u00e9",
    "\U0001f600\U0001d11e\U0001f0a1\U00010000\U0010ffff",
    "\ud800\udbff\udc00\udfff\ud83d\ude00",
]
BIG_INTS = [0, 1, -1, 127, 128, 255, 256, -128, -129, 65535, 65536, -32768, -32769,
            2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**32, 2**63 - 1, 2**63, -2**63, -2**63 - 1,
            2**64 - 1, 2**64, 2**70, -2**70, -2**200, 2**200 - 1, 2**2100, -(2**1000 + 12345)]
SPECIAL_FLOATS = [0.0, -0.0, 1.5, -2.25, 0.1, 1e308, -1e308, 5e-324, -5e-324, 2.0**53,
                  float("inf"), float("-inf"), float("nan"), 1e-300, 123456789.125]


class Gen:
    def __init__(self, seed, np2_safe=False):
        self.r = random.Random(seed)
        self.np2_safe = np2_safe  # no NaN payloads in Python floats (text FLOAT drops them)
        self.pool = []            # tracked objects that may be referenced again
        self.tags = set()
        self.budget = 0

    # -- helpers
    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def rbytes(self, n):
        return self.r.getrandbits(8 * n).to_bytes(n, "little") if n else b""

    # -- Python leaves
    def integer(self):
        x = self.r.random()
        if x < 0.4:
            return self.r.randint(-300, 300)
        if x < 0.75:
            self.tags.add("bigint")
            return self.pick(BIG_INTS)
        bits = self.r.randint(1, 700)
        v = self.r.getrandbits(bits)
        return -v if self.chance(0.5) else v

    def flt(self, allow_nan=True):
        x = self.r.random()
        if x < 0.3:
            v = self.pick(SPECIAL_FLOATS)
        elif x < 0.6:
            v = self.r.uniform(-1e6, 1e6)
        else:
            v = struct.unpack("<d", self.rbytes(8))[0]
            if math.isnan(v) and (self.np2_safe or not allow_nan):
                v = 0.5
        if math.isnan(v):
            if not allow_nan:
                return 2.5
            self.tags.add("nan")
        elif math.isinf(v):
            self.tags.add("inf")
        elif v == 0 and math.copysign(1, v) < 0:
            self.tags.add("-0.0")
        return v

    def text(self, maxlen=10):
        x = self.r.random()
        if x < 0.1:
            n = 0
        elif x < 0.97:
            n = self.r.randint(1, maxlen)
        else:
            n = self.pick([255, 256, 300, 1000])
        out = []
        for _ in range(n):
            pool = self.pick(CHARS) if self.chance(0.5) else CHARS[0]
            out.append(self.pick(pool))
        s = "".join(out)
        if any(ord(c) > 0xFFFF for c in s):
            self.tags.add("non-bmp")
        if any(0xD800 <= ord(c) <= 0xDFFF for c in s):
            self.tags.add("surrogate")
        return s

    def blob(self):
        x = self.r.random()
        if x < 0.15:
            n = 0
        elif x < 0.95:
            n = self.r.randint(1, 40)
        else:
            n = self.pick([255, 256, 1000])
        return self.rbytes(n)

    def leaf(self):
        k = self.r.randrange(11)
        if k == 0:
            return None
        if k == 1:
            return self.chance(0.5)
        if k in (2, 3):
            return self.integer()
        if k == 4:
            return self.flt()
        if k == 5:
            self.tags.add("complex")
            return complex(self.flt(), self.flt())
        if k in (6, 7):
            self.tags.add("str")
            return self.text()
        if k == 8:
            self.tags.add("bytes")
            return self.blob()
        if k == 9:
            self.tags.add("bytearray")
            b = bytearray(self.blob())
            self.pool.append(b)
            return b
        return self.np_scalar(keyable=False)

    # -- hashable values (dict keys, set items): no NaN, no numpy scalars other than numeric
    def key(self, depth=0):
        k = self.r.randrange(12 if depth < 2 else 9)
        if k == 0:
            return None
        if k == 1:
            return self.chance(0.5)
        if k == 2:
            return self.integer()
        if k == 3:
            return self.flt(allow_nan=False)
        if k == 4:
            return complex(self.flt(allow_nan=False), self.flt(allow_nan=False))
        if k in (5, 6):
            return self.text(6)
        if k == 7:
            return self.blob()
        if k == 8:
            self.tags.add("key-np-scalar")
            return self.np_scalar(keyable=True)
        if k == 9:
            self.tags.add("key-tuple")
            return tuple(self.key(depth + 1) for _ in range(self.r.randint(0, 3)))
        if k == 10:
            self.tags.add("key-frozenset")
            return frozenset(self.key(depth + 1) for _ in range(self.r.randint(0, 3)))
        # close but unequal keys
        self.tags.add("key-tricky")
        return self.pick([2**53 + 1, float(2**53), 2**64, 0.1, np.float32(0.1), -0.5, 10**20])

    # -- dtypes
    def unit_spec(self):
        if self.chance(0.1):
            return ""  # generic
        u = self.pick(UNITS)
        if self.chance(0.3):
            self.tags.add("dt-multiplier")
            return "[%d%s]" % (self.pick([2, 3, 7, 15, 60, 1000]), u)
        return "[%s]" % u

    def simple_dtype(self, allow_obj=True, for_objstruct=False):
        kinds = NUMERIC * 2 + ["S", "U", "V", "M", "m"] + (["O"] if allow_obj else [])
        if for_objstruct:
            kinds = NUMERIC + ["S", "U", "O", "O"]
        k = self.pick(kinds)
        order = ">" if self.chance(0.3) else "<"
        if k == "O":
            self.tags.add("dtype-O")
            return np.dtype("O")
        if k in "SV":
            self.tags.add("kind-" + k)
            return np.dtype("%s%d" % (k, self.r.randint(1, 8)))
        if k == "U":
            dt = np.dtype("%sU%d" % (order, self.r.randint(1, 6)))
        elif k in "Mm":
            dt = np.dtype("%s%s8%s" % (order, k, self.unit_spec()))
        else:
            dt = np.dtype(order + k if k not in ("b1", "i1", "u1") else k)
        if dt.byteorder == ">":
            self.tags.add("big-endian")
        self.tags.add("kind-" + dt.kind)
        return dt

    def field_names(self, n):
        names = set()
        while len(names) < n:
            if self.chance(0.15):
                names.add(self.pick(["\u00e9t\u00e9", "\u6e29\u5ea6", "x y", "f\U0001f600"]) + str(len(names)))
            else:
                names.add("".join(self.pick(string.ascii_lowercase) for _ in range(self.r.randint(1, 4))))
        names = sorted(names)
        self.r.shuffle(names)
        return names

    def struct_dtype(self, depth=0, allow_obj=False, objstruct=False):
        nf = self.r.randint(1, 4)
        names = self.field_names(nf)
        formats = []
        for _ in range(nf):
            x = self.r.random()
            if x < 0.15 and depth < 2:
                formats.append(self.struct_dtype(depth + 1, allow_obj, objstruct))
            elif x < 0.3 and depth < 2 and not objstruct:
                self.tags.add("subarray")
                shape = self.pick([(2,), (3,), (2, 3), (1,), (2, 1, 2)])
                base = self.simple_dtype(False) if self.chance(0.8) else self.struct_dtype(depth + 1)
                formats.append(np.dtype((base, shape)))
            else:
                formats.append(self.simple_dtype(allow_obj, objstruct))
        titles = None
        if self.chance(0.25):
            self.tags.add("titles")
            titles = [("T%d:%s" % (i, n)) if self.chance(0.6) else None for i, n in enumerate(names)]
        spec = {"names": names, "formats": formats}
        if titles:
            spec["titles"] = titles
        mode = self.r.random()
        hasobj = any(f.hasobject for f in formats)
        if mode < 0.3:
            self.tags.add("aligned")
            return np.dtype(spec, align=True)
        if mode < 0.55:
            # explicit offsets with gaps (objects on 8-byte boundaries), maybe out of order
            self.tags.add("offsets")
            offs, pos = [], 0
            for f in formats:
                pos += self.r.randint(0, 3)
                if f.hasobject:
                    pos = (pos + 7) & ~7
                offs.append(pos)
                pos += f.itemsize
            order = list(range(nf))
            if self.chance(0.4):
                self.r.shuffle(order)
                self.tags.add("offsets-unordered")
            spec = {"names": [names[i] for i in order], "formats": [formats[i] for i in order],
                    "offsets": [offs[i] for i in order],
                    "itemsize": pos + (0 if hasobj else self.r.randint(0, 3))}
            if hasobj:
                spec["itemsize"] = (pos + 7) & ~7
            if titles:
                spec["titles"] = [titles[i] for i in order]
            return np.dtype(spec)
        return np.dtype(spec)

    def any_dtype(self, allow_obj=True):
        x = self.r.random()
        if x < 0.55:
            return self.simple_dtype(allow_obj)
        self.tags.add("struct")
        if x < 0.75:
            return self.struct_dtype(0, allow_obj=False)
        if x < 0.85 and allow_obj:
            self.tags.add("struct-objects")
            return self.struct_dtype(0, allow_obj=True, objstruct=True)
        return self.struct_dtype(0)

    # -- raw data for dtypes without objects
    def leaves(self, dt, off, out):
        if dt.names is not None:
            for name in dt.names:
                f = dt.fields[name]
                self.leaves(f[0], off + f[1], out)
        elif dt.subdtype is not None:
            base, shape = dt.subdtype
            for k in range(int(np.prod(shape))):
                self.leaves(base, off + k * base.itemsize, out)
        elif dt.kind in "bU":
            out.append((off, dt))

    def fill_raw(self, dt, n):
        raw = np.frombuffer(self.rbytes(dt.itemsize * n), dtype=np.uint8).reshape(n, dt.itemsize).copy()
        fix = []
        self.leaves(dt, 0, fix)
        for off, leaf in fix:
            if leaf.kind == "b":
                raw[:, off] &= 1
            else:
                cps = np.array([self.pick([self.r.randint(0x20, 0x7E), self.r.randint(0, 0xD7FF),
                                           self.r.randint(0xE000, 0x10FFFF), 0])
                                for _ in range(n * (leaf.itemsize // 4))], dtype=(">" if leaf.byteorder == ">" else "<") + "u4")
                raw[:, off:off + leaf.itemsize] = np.frombuffer(cps.tobytes(), np.uint8).reshape(n, leaf.itemsize)
        return raw.tobytes()

    def field_value(self, dt, depth):
        """A Python value for one element of a structured-with-objects field."""
        if dt.names is not None:
            return tuple(self.field_value(dt.fields[nm][0], depth) for nm in dt.names)
        k = dt.kind
        if k == "O":
            return self.value(depth)
        if k == "b":
            return self.chance(0.5)
        if k in "iu":
            info = np.iinfo(dt)
            return self.r.randint(int(info.min), int(info.max))
        if k == "f":
            v = self.flt()
            return v if dt.itemsize == 8 or not math.isnan(v) else 0.25
        if k == "c":
            return complex(self.flt(allow_nan=False), self.flt(allow_nan=False))
        if k == "S":
            return self.rbytes(self.r.randint(0, dt.itemsize)).replace(b"\x00", b"a")
        if k == "U":
            return self.text(dt.itemsize // 4)[: dt.itemsize // 4].replace("\x00", "a")
        raise AssertionError(dt)

    # -- arrays
    def shape(self, max_items=24):
        x = self.r.random()
        if x < 0.1:
            self.tags.add("0-d")
            return ()
        ndim = self.pick([1, 1, 1, 2, 2, 3, 4])
        dims = [self.r.randint(1, 4) for _ in range(ndim)]
        if self.chance(0.08):
            dims[self.r.randrange(ndim)] = 0
            self.tags.add("zero-size")
        while int(np.prod(dims)) > max_items:
            i = self.r.randrange(ndim)
            dims[i] = max(1, dims[i] // 2)
        return tuple(dims)

    def layout(self, make, shape):
        """make(shape, order) -> new array. Returns an array of `shape` in a random memory
        layout, always as a view: NumPy's copies leave structured padding uninitialised, which
        would make the generated files differ from run to run."""
        x = self.r.random()
        nd = len(shape)
        if nd >= 2 and x < 0.2:
            self.tags.add("fortran")
            return make(shape, "F")
        if nd >= 1 and x < 0.35:
            self.tags.add("noncontig")
            ax = self.r.randrange(nd)
            big = list(shape)
            big[ax] *= 2
            a = make(tuple(big), "C")
            idx = [slice(None)] * nd
            idx[ax] = slice(None, None, 2) if self.chance(0.5) else slice(None, None, -2)
            return a[tuple(idx)]
        if nd >= 2 and x < 0.5:
            self.tags.add("transposed")
            perm = list(range(nd))
            while perm == list(range(nd)):
                self.r.shuffle(perm)
            inv = [0] * nd
            for i, p in enumerate(perm):
                inv[p] = i
            a = make(tuple(shape[p] for p in inv), "C")
            return a.transpose(perm)
        return make(shape, "C")

    def obj_array_maker(self, dt, depth):
        def make(shape, order):
            n = int(np.prod(shape)) if shape else 1
            flat = np.empty(n, dtype=dt)
            self.pool.append(flat)  # may appear inside itself (as the flat array)
            for i in range(n):
                if dt.names is not None:
                    flat[i] = self.field_value(dt, depth + 1)
                else:
                    flat[i] = self.value(depth + 1)
            return flat.reshape(shape, order=order)
        return make

    def raw_array_maker(self, dt):
        def make(shape, order):
            n = int(np.prod(shape)) if shape else 1
            return np.frombuffer(bytearray(self.fill_raw(dt, n)), dtype=dt).reshape(shape, order=order)
        return make

    def array(self, depth, dt=None, shape=None, allow_layout=True):
        self.tags.add("array")
        if dt is None:
            dt = self.any_dtype(allow_obj=depth < 3)
        max_items = 24 if not dt.hasobject else 6
        if shape is None:
            shape = self.shape(max(1, min(max_items, 4096 // max(1, dt.itemsize))))
        make = self.obj_array_maker(dt, depth) if dt.hasobject else self.raw_array_maker(dt)
        a = self.layout(make, shape) if allow_layout else make(shape, "C")
        if self.chance(0.1) and not dt.hasobject:
            self.tags.add("readonly")
            a.flags.writeable = False
        if dt.hasobject:
            self.tags.add("object-array")
        self.pool.append(a)
        return a

    def special_array(self, depth):
        x = self.r.randrange(4)
        if x == 0:
            self.tags.add("matrix")
            dt = self.simple_dtype(allow_obj=False)
            while dt.kind in "SUVMm":
                dt = self.simple_dtype(allow_obj=False)
            a = self.array(depth, dt=dt, shape=(self.r.randint(1, 3), self.r.randint(1, 4)))
            m = a.view(np.matrix)
            self.pool.append(m)
            return m
        if x == 1:
            self.tags.add("recarray")
            a = self.array(depth, dt=self.struct_dtype(0))
            r = a.view(np.recarray)
            self.pool.append(r)
            return r
        if x == 2:
            self.tags.add("masked")
            dt = self.pick(["b1", "i1", "<i4", ">i8", "<u2", ">f4", "<f8", ">c16"])
            dt = np.dtype(dt)
            shape = self.pick([(0,), (1,), (3,), (2, 3), (3, 1)])
            data = self.array(depth, dt=dt, shape=shape)
            mask = np.array([self.chance(0.4) for _ in range(int(np.prod(shape)))], dtype=bool).reshape(shape)
            if dt.kind == "b":
                fv = self.chance(0.5)
            elif dt.kind in "iu":
                info = np.iinfo(dt)
                fv = self.r.randint(int(info.min), int(info.max))
            elif dt.kind == "f":
                fv = self.r.uniform(-100, 100)
            else:
                fv = complex(self.r.uniform(-9, 9), self.r.uniform(-9, 9))
            m = np.ma.masked_array(data, mask=mask, fill_value=fv)
            self.pool.append(m)
            return m
        self.tags.add("big-array")
        dt = self.pick([np.dtype("u1"), np.dtype(">i4"), np.dtype("<f8")])
        n = self.pick([300, 3000] * 5 + [70000 // dt.itemsize + 7])  # > 64 KiB: unframed
        return self.array(depth, dt=dt, shape=(n,), allow_layout=False)

    # -- numpy scalars and dtype objects
    def np_scalar(self, keyable=False):
        self.tags.add("np-scalar")
        if keyable:
            code = self.pick(NUMERIC)
            dt = np.dtype(code)
            if dt.kind == "b":
                return np.bool_(self.chance(0.5))
            if dt.kind in "iu":
                info = np.iinfo(dt)
                return dt.type(self.r.randint(int(info.min), int(info.max)))
            if dt.kind == "f":
                return dt.type(self.r.uniform(-1000, 1000))
            return dt.type(complex(self.r.uniform(-9, 9), self.r.uniform(-9, 9)))
        x = self.r.random()
        if x < 0.1:
            self.tags.add("np-scalar-objstruct")
            dt = self.struct_dtype(0, allow_obj=True, objstruct=True)
            while not dt.hasobject:
                dt = self.struct_dtype(0, allow_obj=True, objstruct=True)
            a = np.empty(1, dtype=dt)
            a[0] = self.field_value(dt, 3)
            return a[0]
        dt = self.simple_dtype(allow_obj=False) if x < 0.8 else self.struct_dtype(0)
        raw = bytearray(self.fill_raw(dt, 1))
        if dt.kind == "S":
            raw[0] = raw[0] or 0x41  # np.bytes_ drops trailing NULs: keep it non-empty
        elif dt.kind == "U":
            raw[0:4] = (0x41).to_bytes(4, "big" if dt.byteorder == ">" else "little")
        return np.frombuffer(bytes(raw), dtype=dt).reshape(())[()]

    def dtype_obj(self):
        self.tags.add("dtype-object")
        x = self.r.random()
        if x < 0.1:
            self.tags.add("dtype-subarray")
            return np.dtype((self.simple_dtype(False), self.pick([(2,), (2, 3)])))
        if x < 0.2:
            self.tags.add("dtype-record")
            return np.dtype((np.record, self.struct_dtype(0)))
        return self.any_dtype()

    # -- containers
    def value(self, depth):
        self.budget += 1
        if depth >= 5 or self.budget > 120:
            return self.leaf()
        x = self.r.random()
        if x < 0.30:
            return self.leaf()
        if x < 0.37:
            return self.tuple_(depth)
        if x < 0.44:
            return self.list_(depth)
        if x < 0.50:
            return self.dict_(depth)
        if x < 0.52:
            return self.odict(depth)
        if x < 0.55:
            self.tags.add("set")
            s = set(self.key() for _ in range(self.r.randint(0, 5)))
            self.pool.append(s)
            return s
        if x < 0.57:
            self.tags.add("frozenset")
            return frozenset(self.key() for _ in range(self.r.randint(0, 5)))
        if x < 0.72:
            return self.array(depth)
        if x < 0.76:
            return self.special_array(depth)
        if x < 0.80:
            return self.np_scalar()
        if x < 0.84:
            return self.dtype_obj()
        if x < 0.93 and self.pool:
            self.tags.add("shared")
            return self.pick(self.pool)
        if x < 0.95:
            self.tags.add("masked-constant")
            return np.ma.masked
        return self.leaf()

    def tuple_(self, depth):
        self.tags.add("tuple")
        n = self.pick([0, 0, 1, 2, 3, 4, 5])
        if n == 0:
            self.tags.add("empty-tuple")
        return tuple(self.value(depth + 1) for _ in range(n))

    def list_(self, depth):
        self.tags.add("list")
        lst = []
        self.pool.append(lst)
        n = self.r.randint(0, 5)
        if self.chance(0.02):
            n = 1005  # more than one APPENDS batch
            self.tags.add("long-list")
            lst.extend(self.r.randint(-5, 5) for _ in range(n))
            return lst
        for _ in range(n):
            lst.append(self.value(depth + 1))
        if self.chance(0.08):
            self.tags.add("recursive-list")
            lst.append(lst)
        return lst

    def dict_(self, depth, cls=dict):
        self.tags.add("dict" if cls is dict else "odict")
        d = cls()
        self.pool.append(d)
        for _ in range(self.r.randint(0, 5)):
            d[self.key()] = self.value(depth + 1)
        if self.chance(0.08):
            self.tags.add("recursive-dict")
            d["self"] = d
        return d

    def odict(self, depth):
        return self.dict_(depth, collections.OrderedDict)

    def top(self):
        x = self.r.random()
        if x < 0.35:
            return self.dict_(0)
        if x < 0.6:
            return self.list_(0)
        if x < 0.7:
            return self.tuple_(0)
        if x < 0.85:
            return self.array(0)
        return self.value(0)


# ---------------------------------------------------------------- hand-written cases

def fixed_cases():
    """Objects that every run checks, whatever the random generator happens to produce."""
    cases = []
    for code in NUMERIC + ["S5", "V3", "<U4", ">U3", "<M8[ns]", ">M8[15m]", "<m8[D]", ">m8[7s]",
                           "<M8", "<M8[Y]", "<m8[as]"]:
        dt = np.dtype(code)
        g = Gen(len(cases))
        cases.append(("dtype_%s" % code.replace("<", "le").replace(">", "be").replace("[", "_").replace("]", ""),
                      [g.array(0, dt=dt, shape=(2, 3)), dt]))
        if dt.itemsize > 1 and dt.kind not in "SV":
            be = dt.newbyteorder(">")
            cases.append(("be_" + cases[-1][0], [g.array(0, dt=be, shape=(3,)), be]))
    a = np.arange(6.0).reshape(2, 3)
    a.flags.writeable = False
    obj = np.empty(3, dtype=object)
    obj[0], obj[1], obj[2] = obj, "tail", [1, 2**70]
    lst = [1]
    lst.append(lst)
    d = {"arr": np.arange(2, dtype="<u2")}
    d["self"] = d
    inner = []
    t = (inner, np.arange(2, dtype="<i2"))
    inner.append(t)
    shared_arr = np.arange(3, dtype=">i8")
    shared_list = [1, 2]
    sdt = np.dtype([(("Temperature", "temp"), "<f4"), ("pos", [("x", "<i2"), ("y", ">i2")]),
                    ("mat", "<u1", (2, 3)), ("name", "S4")])
    sa = np.zeros(2, dtype=sdt)
    sa["temp"] = [273.15, -1.5]
    sa["pos"]["y"] = [258, 3]
    sa["mat"] = np.arange(12, dtype="u1").reshape(2, 2, 3)
    adt = np.dtype([("a", "u1"), ("b", ">f8"), ("c", "<i2")], align=True)
    odt = np.dtype([("o", "O"), ("n", ">i4"), ("s", [("x", "u1"), ("u", "<U2")])])
    oa = np.empty(2, dtype=odt)
    oa[0] = ("x", 1, (2, "ab"))
    oa[1] = (shared_list, -2, (3, "\U0001f600"))
    deep_list = []
    cur = deep_list
    for i in range(2000):
        nxt = [i]
        cur.append(nxt)
        cur = nxt
    deep_dict = {}
    cur = deep_dict
    for i in range(800):
        cur["k%d" % i] = {}
        cur = cur["k%d" % i]
    deep_tuple = ()
    for i in range(500):
        deep_tuple = (deep_tuple, i)
    lists = [[i] for i in range(400)]
    mdt = np.dtype([("a", "<i4"), ("b", ">f8"), ("c", "u1", (2,))])
    md = np.zeros((2, 3), dtype=mdt)
    md["a"] = np.arange(6).reshape(2, 3)
    md["b"] = -1.5
    md["c"] = 7
    mmask = np.zeros((2, 3), dtype=np.ma.make_mask_descr(mdt))
    mmask["a"][0, 1] = mmask["b"][1, 2] = True
    mmask["c"][1, 0, 1] = True
    cases += [
        ("deep", [deep_list, deep_dict, deep_tuple]),
        ("many_memo", {"strs": ["s%d" % i for i in range(700)], "lists": lists + lists[::-1],
                       "big_dict": {i: -i for i in range(1500)}, "big_set": set(range(-700, 800)),
                       "big_frozenset": frozenset(str(i) for i in range(1200))}),
        ("ndim32", [np.arange(4, dtype=">i2").reshape((1,) * 30 + (2, 2)),
                    np.asfortranarray(np.arange(8, dtype="<f4").reshape((2,) + (1,) * 29 + (2, 2)))]),
        ("masked_struct", [np.ma.masked_array(md, mask=mmask, fill_value=np.zeros(1, mdt)[0]),
                           np.ma.masked_array(np.asfortranarray(md), mask=np.asfortranarray(mmask),
                                              fill_value=np.ones(1, mdt)[0])]),
        ("py_values", [None, True, False, 0, 1, -1, 255, 256, 2**31, -2**31 - 1, 2**63, 2**64,
                       2**70, -2**200, 2**2100, 1.5, -0.0, float("nan"), float("inf"),
                       float("-inf"), 5e-324, 1 + 2j, complex(float("nan"), -0.0), "",
                       "ascii", "quote'\"", "back\\slash", "nl\ncr\rnul\x00sub\x1a",
                       "\u00e9\u20ac\U0001f600", "lone \ud800 \udfff", "\ud83d\ude00",
                       b"", b"\x00\xff", bytearray(), bytearray(b"ba"), (), (1,), (1, 2),
                       (1, 2, 3), (1, 2, 3, 4), [], {}, set(), frozenset()]),
        ("keys", {None: 1, True: 2, 0: 3, 2**70: 4, -1.5: 5, 1j: 6, "s": 7, b"b": 8,
                  (1, "t"): 9, frozenset({1, 2}): 10, (): 11, np.int16(-7): 12,
                  np.float32(0.1): 13, 2**53 + 1: 14, float(2**53): 15}),
        ("sets", [{1, "a", b"b", (2, 3), None, 2.5}, frozenset({frozenset({1}), frozenset()}),
                  {np.uint8(200), np.float64(-3.5), np.bool_(False), 7 + 1j}]),
        ("odict", collections.OrderedDict([("b", 1), ("a", np.arange(2, dtype="<i2"))])),
        ("shared", {"a": shared_arr, "again": shared_arr, "l": [shared_arr, shared_list],
                    "l2": shared_list, "view": shared_arr[1:], "t": (shared_list,)}),
        ("recursive_list", lst),
        ("recursive_dict", d),
        ("recursive_tuple", t),
        ("obj_selfref", obj),
        ("zero_d", [np.array(3.25), np.array(7, dtype=">i2"), np.array("x\u00e9", dtype=">U2")]),
        ("zero_size", [np.zeros((0, 3)), np.zeros((2, 0), dtype=">c8"), np.zeros(0, dtype=sdt)]),
        ("fortran", [np.asfortranarray(np.arange(24, dtype=">i4").reshape(2, 3, 4)), a.T]),
        ("noncontig", [np.arange(10.0)[::2], np.arange(24, dtype="u1").reshape(2, 3, 4).transpose(1, 0, 2),
                       np.arange(12, dtype=">f4").reshape(3, 4)[::-1, 1::2]]),
        ("readonly", a),
        ("transposed_k", [np.arange(24, dtype=">i4").reshape(2, 3, 4).transpose(1, 0, 2),
                          np.arange(120, dtype="<c8").reshape(2, 3, 4, 5).transpose(2, 0, 3, 1),
                          np.zeros((3, 2, 2), dtype=sdt).transpose(2, 0, 1),
                          np.arange(24, dtype="<m8[s]").reshape(4, 3, 2).transpose(0, 2, 1)]),
        ("struct", [sa, sdt, sa[1]]),
        ("struct_aligned", [np.zeros(2, dtype=adt), adt]),
        ("struct_objects", [oa, oa[1], odt]),
        ("scalars", [np.float64(1.5), np.int32(7), np.bool_(True), np.complex128(1 - 2j),
                     np.str_("h\u00e9"), np.bytes_(b"ab"), np.datetime64("2020-01-02", "D"),
                     np.timedelta64(3, "15m"), np.float16(-2.5), np.uint64(2**64 - 1),
                     np.void(b"\x01\x02\x03"), np.longlong(-5)]),
        ("dtypes", [np.dtype("<f8"), np.dtype(">i4"), np.dtype("<U5"), np.dtype("O"),
                    np.dtype("<M8[15m]"), np.dtype(("<i4", (2, 3))), np.dtype((np.record, [("a", "<i4")])),
                    np.dtype({"names": ["a", "b"], "formats": ["<i4", ">i2"], "offsets": [4, 0],
                              "titles": [None, "tb"], "itemsize": 12})]),
        ("matrix", np.matrix([[1, 2], [3, 4]], dtype="<i8")),
        ("recarray", np.rec.array([(1, 2.0, b"x"), (3, 4.0, b"y")],
                                  dtype=[("a", ">i4"), ("b", "<f8"), ("c", "S1")])),
        ("masked", [np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False], fill_value=-999.0),
                    np.ma.masked]),
        ("big_bytes", [bytes(range(256)) * 300, "\u20ac" * 30000, np.arange(70000, dtype="u1")]),
    ]
    return cases


# ---------------------------------------------------------------- files

class Suite:
    """All pickles and buffers go into one pack file (creating and deleting thousands of small
    files costs more than everything else); npgdump reads them as PATH@OFFSET+LENGTH ranges."""

    def __init__(self, out):
        self.out = out
        self.pack_path = os.path.join(out, "oracle.pack")
        self.pack = open(self.pack_path, "wb")
        self.pos = 0
        self.entries = []  # (name, pickle spec, [buffer specs], expected text)
        self.counts = collections.Counter()

    def _put(self, data):
        spec = "%s@%d+%d" % (self.pack_path, self.pos, len(data))
        self.pack.write(data)
        self.pos += len(data)
        return spec

    def add(self, name, data, expected, bufs=()):
        self.entries.append((name, self._put(data), [self._put(b) for b in bufs], expected))

    def close(self):
        self.pack.close()

    def extract(self, dest, entry):
        """Write one entry as standalone files; returns the npgdump command line for it."""
        name, spec, bspecs, _ = entry
        os.makedirs(dest, exist_ok=True)
        with open(self.pack_path, "rb") as f:
            paths = []
            for k, sp in enumerate([spec] + bspecs):
                off, length = map(int, sp.rsplit("@", 1)[1].split("+"))
                f.seek(off)
                path = os.path.join(dest, name + (".pkl" if k == 0 else ".buf%d.bin" % (k - 1)))
                with open(path, "wb") as g:
                    g.write(f.read(length))
                paths.append(path)
        return " ".join(paths)

    def add_object(self, name, obj, rng, np2=False, oob=False):
        """obj in every protocol (loaded back by Python), plus optional variants."""
        for p in PROTOCOLS:
            data = dumps(obj, p)
            self.add("%s_p%d" % (name, p), data, canon.dump(pickle.loads(data)))
            self.counts["p%d" % p] += 1
        if oob:
            bufs = []
            inband = rng.random() < 0.3

            def cb(pb):
                if inband and rng.random() < 0.5:
                    return True
                bufs.append(bytes(pb.raw()))
                return False

            data = dumps(obj, 5, buffer_callback=cb)
            if bufs:
                loaded = pickle.loads(data, buffers=[bytearray(b) for b in bufs])
                self.add("%s_p5oob" % name, data, canon.dump(loaded), bufs)
                self.counts["p5-oob"] += 1
        if np2:
            expected = canon.dump(obj)  # NumPy 1.24 cannot load numpy._core names
            for p in NP2_PROTOCOLS:
                data = dumps(obj, p, np2=True)
                if b"numpy._core" not in data:
                    continue  # nothing renamed (e.g. a lone np.dtype): same as the plain file
                self.add("%s_np2_p%d" % (name, p), data, expected)
                self.counts["np2"] += 1
            bufs = []

            def cb2(pb):
                bufs.append(bytes(pb.raw()))
                return False

            data = dumps(obj, 5, np2=True, buffer_callback=cb2)
            if bufs:
                self.add("%s_np2_p5oob" % name, data, expected, bufs)
                self.counts["np2-oob"] += 1


def has_numpy(o, seen=None):
    if seen is None:
        seen = set()
    if id(o) in seen:
        return False
    seen.add(id(o))
    if isinstance(o, (np.ndarray, np.generic, np.dtype)):
        return True
    if isinstance(o, dict):
        return any(has_numpy(k, seen) or has_numpy(v, seen) for k, v in o.items())
    if isinstance(o, (list, tuple, set, frozenset)):
        return any(has_numpy(x, seen) for x in o)
    return False


def has_nan_payload(o, seen=None):
    """Python floats whose bits protocol 0's text FLOAT cannot keep (NaN other than +nan)."""
    if seen is None:
        seen = set()
    if id(o) in seen:
        return False
    seen.add(id(o))
    if isinstance(o, float):
        return math.isnan(o) and struct.pack("<d", o) != struct.pack("<d", float("nan"))
    if isinstance(o, complex):
        return has_nan_payload(o.real, seen) or has_nan_payload(o.imag, seen)
    if isinstance(o, np.void) and o.dtype.hasobject:
        return has_nan_payload(o.item(), seen)
    if isinstance(o, np.ndarray) and o.dtype.hasobject:
        return any(has_nan_payload(x, seen) for x in np.asarray(o).ravel().tolist())
    if isinstance(o, dict):
        return any(has_nan_payload(k, seen) or has_nan_payload(v, seen) for k, v in o.items())
    if isinstance(o, (list, tuple, set, frozenset)):
        return any(has_nan_payload(x, seen) for x in o)
    return False


def build(out, nobjects, seed):
    suite = Suite(out)
    tags = collections.Counter()
    rng = random.Random(seed ^ 0x5EED)
    for name, obj in fixed_cases():
        suite.add_object("fixed_" + name, obj, rng, np2=has_numpy(obj) and not has_nan_payload(obj),
                         oob=has_numpy(obj))
    for i in range(nobjects):
        np2 = i % 4 == 0
        g = Gen(seed * 1000003 + i, np2_safe=np2)
        obj = g.top()
        if np2 and (not has_numpy(obj) or has_nan_payload(obj)):
            np2 = False
        suite.add_object("r%04d" % i, obj, rng, np2=np2, oob=has_numpy(obj) and i % 3 == 0)
        tags.update(g.tags)
    return suite, tags


REQUIRED_TAGS = [
    "array", "big-endian", "0-d", "zero-size", "fortran", "noncontig", "transposed", "readonly",
    "struct", "struct-objects", "subarray", "titles", "aligned", "offsets", "offsets-unordered",
    "object-array", "np-scalar", "np-scalar-objstruct", "dtype-object", "dtype-subarray",
    "dtype-record", "dt-multiplier", "bigint", "nan", "inf", "-0.0", "complex", "str", "non-bmp",
    "surrogate", "bytes", "bytearray", "tuple", "empty-tuple", "list", "dict", "odict", "set",
    "frozenset", "shared", "recursive-list", "recursive-dict", "matrix", "recarray", "masked",
    "masked-constant", "key-np-scalar", "key-tuple", "key-frozenset", "key-tricky", "long-list",
    "big-array", "dtype-O",
] + ["kind-" + k for k in "biufcSUVMm"]


# ---------------------------------------------------------------- compare

def parse_npgdump(text):
    res = {}
    cur, lines = None, []
    for line in text.splitlines(keepends=True):
        if line.startswith("#FILE "):
            cur, lines = line[6:].rstrip("\n"), []
        elif line == "#END\n" and cur is not None:
            res[cur] = "".join(lines)
            cur = None
        elif cur is not None:
            lines.append(line)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--npgdump", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--objects", type=int, default=1000, help="random objects (x6 protocols + variants)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--show", type=int, default=5, help="mismatches to print in full")
    ap.add_argument("--generate-only", action="store_true")
    args = ap.parse_args()
    if not os.access(args.npgdump, os.X_OK):
        print("%s: npgdump not found at %s (did the build fail?)" % (os.path.basename(__file__), args.npgdump))
        return 1

    t0 = time.time()
    # Start from an empty folder: overwriting thousands of files by truncation is slow (ext4
    # flushes each replaced file), unlinking them is not.
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    suite, tags = build(os.path.abspath(args.out), args.objects, args.seed)
    suite.close()
    t1 = time.time()
    missing = [t for t in REQUIRED_TAGS if not tags.get(t)]
    print("oracle: %d pickles (%s) in %.1fs" % (
        len(suite.entries), ", ".join("%s=%d" % kv for kv in sorted(suite.counts.items())), t1 - t0))
    if missing:
        print("oracle: generator coverage missing: %s" % ", ".join(missing))
        return 1

    listfile = os.path.join(args.out, "list.txt")
    with open(listfile, "w") as f:
        for _, spec, bufs, _ in suite.entries:
            f.write("\t".join([spec] + bufs) + "\n")
    if args.generate_only:
        with open(os.path.join(args.out, "expected.txt"), "w") as f:
            for name, _, _, exp in suite.entries:
                f.write("#FILE %s\n%s#END\n" % (name, exp))
        return 0

    rc = 0
    outputs = []
    for flags in ([], ["--scan"]):
        proc = subprocess.run([args.npgdump] + flags + ["--list", listfile], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        if proc.returncode != 0:
            rc = proc.returncode
            print("oracle: npgdump %s exited with %d" % (" ".join(flags), proc.returncode))
            print(proc.stderr.decode("utf-8", "replace")[-4000:])
        outputs.append(parse_npgdump(proc.stdout.decode("utf-8", "replace")))
    t2 = time.time()
    actual, scanned = outputs

    bad = []
    scan_bad = []
    for entry in suite.entries:
        name, spec, _, exp = entry
        got = actual.get(spec)
        if got != exp:
            bad.append((entry, exp, got))
        # scan mode: clean (NPG_OK, nothing above info) and the same tree
        sc = scanned.get(spec, "")
        head, sep, tree = sc.partition("ROOT\n")
        serious = [l for l in head.splitlines() if l.startswith("FINDING ") and l.split()[2] != "info"]
        if not head.startswith("STATUS NPG_OK\n") or serious or tree != exp:
            scan_bad.append("%s: scan %s%s" % (
                name, (head.splitlines() or ["(no output)"])[0],
                "; %s" % serious[0] if serious else "" if tree == exp else "; tree differs from Python's"))
    print("oracle: npgdump (decode + scan) ran in %.1fs; %d of %d files differ, %d scans disagree" % (
        t2 - t1, len(bad), len(suite.entries), len(scan_bad)))
    for line in scan_bad[: args.show]:
        print("  " + line)
    if bad:
        kinds = collections.Counter()
        for entry, exp, got in bad:
            first = (got or "MISSING\n").splitlines()[0]
            kinds[first.split(" offset=")[0] if first.startswith("ERROR") else "dump differs"] += 1
        for k, n in kinds.most_common(12):
            print("  %5d  %s" % (n, k))
        failed = os.path.join(args.out, "failed")
        for entry, exp, got in bad[: args.show]:
            print("--- %s   (npgdump %s)" % (entry[0], suite.extract(failed, entry)))
            if got is None:
                print("    (no output from npgdump)")
                continue
            diff = list(difflib.unified_diff(exp.splitlines(), got.splitlines(), "python", "npgdump",
                                             n=2, lineterm=""))
            for line in diff[:40]:
                body = line[1:].lstrip(" ")
                ind = len(line) - 1 - len(body)
                if ind > 40 and line[:1] in " +-":  # deep nesting: show the level instead
                    line = "%s[level %d] %s" % (line[0], ind // 2, body)
                print("    " + (line if len(line) < 300 else line[:300] + "..."))
        for entry, exp, got in bad[args.show:]:
            suite.extract(failed, entry)
        with open(os.path.join(args.out, "expected.txt"), "w") as fe, \
                open(os.path.join(args.out, "actual.txt"), "w") as fa:
            for entry, exp, got in bad:
                fe.write("#FILE %s\n%s#END\n" % (entry[0], exp))
                fa.write("#FILE %s\n%s#END\n" % (entry[0], got if got is not None else "MISSING\n"))
        print("oracle: the differing pickles are in %s; their dumps in %s/{expected,actual}.txt"
              % (failed, args.out))
    return 1 if bad or scan_bad or rc != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
