"""Benign pickles: real pickle.dumps of NumPy arrays, dtypes, scalars and plain containers.

`numpy_objects(seed)` builds a fixed list of objects (random contents from the seed) whose pickles
use only allowlisted globals; `benign_pickles(seed)` pickles each in protocols 0-5 (a few also with
protocol-5 out-of-band buffers, left out of the file: CPython then refuses NEXT_BUFFER).
`reference_pickles(directory)` reads the project's reference pickles. `body(data)` cuts a pickle
into its opcodes without PROTO, FRAME and STOP, for the grammar to embed as a value.

Only dumping happens here; nothing is loaded.
"""

import collections
import glob
import os
import pickle
import pickletools
import random

import numpy as np

DTYPES = ["f8", "f4", "f2", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "?", "c8", "c16",
          "U3", "S4", "V4", "M8[ns]", "m8[D]", ">i4", ">f8", "<u2", "O",
          [("a", "<i4"), ("b", "<f8")], [("x", "u1", (2,)), ("y", ">i2")]]
SHAPES = [(), (0,), (3,), (2, 3), (2, 1, 2), (4, 1)]


def random_array(rng, nrng):
    dt = np.dtype(rng.choice(DTYPES))
    shape = rng.choice(SHAPES)
    n = int(np.prod(shape))
    if dt.kind == "O":
        a = np.empty(shape, dtype=object)
        flat = a.reshape(-1)
        for i in range(n):
            flat[i] = rng.choice([i, "s%d" % i, None, 1.5, (i,), [i]])
        return a
    if dt.kind in "fc":
        a = (nrng.standard_normal(shape) * 10).astype(dt)
    elif dt.kind in "iub":
        a = nrng.integers(0, 100, size=shape).astype(dt)
    elif dt.kind == "U":
        a = np.array(["".join(rng.choice("ab\u00e9\u4e2d") for _ in range(rng.randint(0, 3)))
                      for _ in range(n)], dtype=dt).reshape(shape)
    else:  # bytes, void, datetime, structured: any bytes are a value
        raw = nrng.integers(0, 256, size=n * dt.itemsize, dtype=np.uint8).tobytes()
        a = np.frombuffer(raw, dtype=dt).reshape(shape).copy()
    if len(shape) >= 2 and rng.random() < 0.3:
        a = np.asfortranarray(a)
    elif len(shape) >= 2 and rng.random() < 0.2:
        a = a.T
    return a


def numpy_objects(seed, count=160):
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    objs = [np.float64(1.5), np.int32(-7), np.bool_(True), np.complex128(1 - 2j), np.str_("ab"),
            np.bytes_(b"x"), np.datetime64("2020-01-01"), np.dtype("f8"), np.dtype(">i4"),
            np.dtype([("a", "i4"), ("b", "O")]), np.dtype("M8[15m]"),
            np.matrix([[1, 2], [3, 4]]), np.rec.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
            np.ma.array([1, 2, 3], mask=[0, 1, 0]), np.ma.masked,
            {"a": np.arange(3), "b": [1, 2.5, "x"], "c": (None, True)},
            collections.OrderedDict([("k", np.zeros(2))]), {1, 2, 3}, frozenset({"a"}),
            b"\x00\x01bytes", bytearray(b"ba"), 3 + 4j, 2**100, -2**70, "str\u00e9\n", [], (), {}]
    for _ in range(count):
        kind = rng.random()
        if kind < 0.6:
            objs.append(random_array(rng, nrng))
        elif kind < 0.75:
            objs.append(np.dtype(rng.choice(DTYPES)))
        elif kind < 0.85:
            a = random_array(rng, nrng)
            objs.append(a.reshape(-1)[0] if a.size else np.float32(0.25))
        else:
            objs.append({"x%d" % i: random_array(rng, nrng) for i in range(rng.randint(1, 3))})
    return objs


def benign_pickles(seed, count=160):
    """[(bytes, tag)] for every object in protocols 0-5, and some protocol-5 out-of-band."""
    out = []
    rng = random.Random(seed + 1)
    for obj in numpy_objects(seed, count):
        for proto in range(6):
            out.append((pickle.dumps(obj, protocol=proto), "benign:p%d" % proto))
        if isinstance(obj, np.ndarray) and obj.dtype.kind != "O" and rng.random() < 0.1:
            out.append((pickle.dumps(obj, protocol=5, buffer_callback=lambda b: False),
                        "benign:p5oob"))
    return out


def reference_pickles(directory):
    """[(bytes, tag)] of the reference pickles (*.pkl) in `directory`, sorted by name."""
    out = []
    for path in sorted(glob.glob(os.path.join(directory, "*.pkl"))):
        with open(path, "rb") as f:
            out.append((f.read(), "ref:" + os.path.basename(path)[:-4]))
    return out


def body(data):
    """[(opcode name, argument, raw bytes)] of a pickle without PROTO, FRAME and STOP, or None if
    pickletools cannot read it."""
    try:
        ops = list(pickletools.genops(data))
    except Exception:  # noqa: BLE001 - not every reference file is a valid pickle
        return None
    out = []
    for i, (opcode, arg, pos) in enumerate(ops):
        end = ops[i + 1][2] if i + 1 < len(ops) else pos + 1
        if opcode.name in ("PROTO", "FRAME", "STOP"):
            continue
        out.append((opcode.name, arg, data[pos:end]))
    return out
