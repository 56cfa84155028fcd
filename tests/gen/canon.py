"""Canonical dump of Python/NumPy objects, the same text tests/tools/npgdump.c prints.

One node per line, indented two spaces per level (format: tests/gen/README.md). Used by
oracle.py on objects that CPython + NumPy rebuilt from pickles this suite generated itself.
"""

import collections
import struct

import numpy as np

_ESC = [chr(c) if 0x20 <= c < 0x7F and c not in (0x22, 0x5C) else "\\x%02x" % c
        for c in range(256)]


def esc(b):
    return '"' + "".join(map(_ESC.__getitem__, b)) + '"'


def esc_str(s):
    return esc(s.encode("utf-8", "surrogatepass"))


def float_bits(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


# ---------------------------------------------------------------- dtypes

def dtype_text(dt):
    if dt.names is not None:
        parts = []
        for name in dt.names:
            f = dt.fields[name]
            s = esc_str(name)
            if len(f) > 2 and f[2] is not None:
                s += "/" + esc_str(f[2])
            parts.append("%s+%d:%s" % (s, f[1], dtype_text(f[0])))
        return "struct[%d@%d,aligned=%d,record=%d]{%s}" % (
            dt.itemsize, dt.alignment, 1 if dt.isalignedstruct else 0,
            1 if issubclass(dt.type, np.record) else 0, ",".join(parts))
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        return "sub[%d@%d](%s;%s)" % (dt.itemsize, dt.alignment, dtype_text(base),
                                      ",".join(str(x) for x in shape))
    s = "%s%d" % (dt.kind, dt.itemsize)
    if dt.kind in "Mm":
        unit, mult = np.datetime_data(dt)
        s += "[%s*%d]" % (unit, mult)
    return s + "@%d" % dt.alignment


def _leaf_unit(dt):
    """(unit, count) of a leaf's byte-swap units, or None."""
    k = dt.kind
    if k in "iufMm":
        return dt.itemsize, 1
    if k == "c":
        return dt.itemsize // 2, 2
    if k == "U":
        return 4, dt.itemsize // 4
    return None


def swap_plan(dt, off=0, out=None):
    """Big-endian runs (offset, unit, count) inside one item."""
    if out is None:
        out = []
    if dt.names is not None:
        for name in dt.names:
            f = dt.fields[name]
            swap_plan(f[0], off + f[1], out)
    elif dt.subdtype is not None:
        base, shape = dt.subdtype
        n = int(np.prod(shape, dtype=np.int64)) if len(shape) else 1
        if base.names is None and base.subdtype is None:
            lu = _leaf_unit(base)
            if lu and lu[0] > 1 and base.byteorder == ">":
                out.append((off, lu[0], lu[1] * n))
        else:
            for k in range(n):
                swap_plan(base, off + k * base.itemsize, out)
    else:
        lu = _leaf_unit(dt)
        if lu and lu[0] > 1 and dt.byteorder == ">":
            out.append((off, lu[0], lu[1]))
    return out


def canon_bytes(raw, dt, nitems):
    """raw: C-order item bytes in dt's byte order -> little-endian bytes."""
    plan = swap_plan(dt)
    if not plan or nitems == 0:
        return raw
    isz = dt.itemsize
    u8 = np.frombuffer(raw, dtype=np.uint8).reshape(nitems, isz).copy()
    for off, unit, count in plan:
        if off + unit * count > isz:
            continue
        seg = u8[:, off:off + unit * count].reshape(nitems, count, unit)
        u8[:, off:off + unit * count] = seg[:, :, ::-1].reshape(nitems, unit * count)
    return u8.tobytes()


# ---------------------------------------------------------------- values

_CLASS = {np.ndarray: "ndarray", np.matrix: "matrix", np.recarray: "recarray",
          np.ma.MaskedArray: "masked"}


class Dumper:
    def __init__(self):
        self.ids = {}
        self.keep = []  # keeps temporaries alive so that id() stays unique
        self.next_id = 0

    def _track(self, o, what):
        """'what #N' on the first visit, None (after writing 'ref #N') on later ones."""
        i = self.ids.get(id(o))
        if i is not None:
            return None, "ref #%d" % i
        self.next_id += 1
        self.ids[id(o)] = self.next_id
        self.keep.append(o)
        return "%s #%d" % (what, self.next_id), None

    def dump(self, o, depth=0):
        out = []
        self._dump(o, depth, out)
        return "".join(out)

    def _line(self, out, depth, text):
        out.append("  " * depth + text + "\n")

    def _sorted_items(self, items, depth, out):
        subs = [self.dump(x, depth) for x in items]
        subs.sort()
        out.extend(subs)

    def _dump(self, o, depth, out):
        L = self._line
        if o is np.ma.masked:
            return L(out, depth, "masked")
        if o is range:  # the one type npguard keeps as data
            return L(out, depth, "type range")
        if isinstance(o, np.ndarray):
            return self._array(o, depth, out)
        if isinstance(o, np.generic):
            return self._scalar(o, depth, out)
        if isinstance(o, np.dtype):
            return L(out, depth, "dtype " + dtype_text(o))
        if o is None:
            return L(out, depth, "None")
        if isinstance(o, bool):
            return L(out, depth, "bool %d" % int(o))
        if isinstance(o, int):
            return L(out, depth, "int " + hex(o))
        if isinstance(o, float):
            return L(out, depth, "float " + float_bits(o))
        if isinstance(o, complex):
            return L(out, depth, "complex %s %s" % (float_bits(o.real), float_bits(o.imag)))
        if isinstance(o, str):
            return L(out, depth, "str " + esc_str(o))
        if isinstance(o, bytes):
            return L(out, depth, "bytes " + esc(o))
        if isinstance(o, bytearray):
            head, ref = self._track(o, "bytearray")
            return L(out, depth, ref or head + " " + esc(bytes(o)))
        if isinstance(o, tuple):
            L(out, depth, "tuple n=%d" % len(o))
            for x in o:
                self._dump(x, depth + 1, out)
            return None
        if isinstance(o, list):
            head, ref = self._track(o, "list")
            if ref:
                return L(out, depth, ref)
            L(out, depth, "%s n=%d" % (head, len(o)))
            for x in o:
                self._dump(x, depth + 1, out)
            return None
        if isinstance(o, dict):
            head, ref = self._track(o, "odict" if isinstance(o, collections.OrderedDict) else "dict")
            if ref:
                return L(out, depth, ref)
            L(out, depth, "%s n=%d" % (head, len(o)))
            for k, v in list(o.items()):
                self._dump(k, depth + 1, out)
                self._dump(v, depth + 1, out)
            return None
        if isinstance(o, set):
            head, ref = self._track(o, "set")
            if ref:
                return L(out, depth, ref)
            L(out, depth, "%s n=%d" % (head, len(o)))
            return self._sorted_items(list(o), depth + 1, out)
        if isinstance(o, frozenset):
            L(out, depth, "frozenset n=%d" % len(o))
            return self._sorted_items(list(o), depth + 1, out)
        raise TypeError("canon: unsupported type %r" % type(o))

    def _array(self, a, depth, out):
        cls = _CLASS.get(type(a))
        if cls is None:
            raise TypeError("canon: unsupported array class %r" % type(a))
        head, ref = self._track(a, "array")
        if ref:
            return self._line(out, depth, ref)
        dt = a.dtype
        self._line(out, depth, "%s class=%s dtype=%s shape=[%s]" % (
            head, cls, dtype_text(dt), ",".join(str(x) for x in a.shape)))
        base = a.view(np.ndarray)
        if dt.hasobject:
            flat = base.ravel(order="C")
            items = flat.tolist() if dt.names is not None else list(flat)
            self.keep.append(items)
        else:
            raw = base.tobytes(order="C")
            self._line(out, depth + 1, "data " + canon_bytes(raw, dt, base.size).hex())
            items = []
        if cls == "masked":
            mask = np.ma.getmaskarray(a).tobytes(order="C")
            self._line(out, depth + 1, "mask " + mask.hex())
        for x in items:
            self._dump(x, depth + 1, out)
        if cls == "masked":
            fill = a._fill_value
            if fill is None:
                self._line(out, depth + 1, "None")
            else:
                self._dump(fill, depth + 1, out)
        return None

    def _scalar(self, s, depth, out):
        dt = s.dtype
        if dt.hasobject:
            # pickled as scalar(dtype, <0-d array holding one tuple>): npguard returns that
            # array, one per scalar object (a shared scalar shares it)
            self._line(out, depth, "scalar dtype=" + dtype_text(dt))
            head, ref = self._track(s, "array")
            if ref:
                return self._line(out, depth + 1, ref)
            self._line(out, depth + 1, "%s class=ndarray dtype=%s shape=[]" % (head, dtype_text(dt)))
            item = s.item()
            self.keep.append(item)
            return self._dump(item, depth + 2, out)
        raw = s.tobytes()
        return self._line(out, depth, "scalar dtype=%s data=%s" % (
            dtype_text(dt), canon_bytes(raw, dt, 1).hex()))


def dump(o):
    return Dumper().dump(o)
