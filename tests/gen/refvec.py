#!/usr/bin/env python3
"""Reference-vector test: every file in tests/data/numpy-pickles gets the verdict it should.

    python3 refvec.py --npgdump PATH --data DIR [--show N]

Python never unpickles anything here: it reads MANIFEST.json (what CPython + NumPy 1.24 rebuilt
from each file when the vectors were made) and runs npgdump. For each file:

* accepted files must decode, and the canonical dump must match MANIFEST's `cpython_load`
  summary: class, shape, dtype (str with the byte order normalised, kind, itemsize, alignment,
  descr, aligned flag, record type), array bytes in C order (both sides made little-endian),
  object elements, scalars, Python values, identity (same_object_as);
* refused files must fail with the expected status (EXPECTED_ERRORS);
* scan mode (--scan) must agree with decode mode: a clean scan (status NPG_OK, no finding above
  info) exactly for accepted files, the same tree, and the refused globals named in findings;
* Python-2 files are also checked with --py2-bytes against MANIFEST's encoding='bytes' result,
  and edge_trailing_after_stop with --allow-trailing.

No NumPy needed.
"""

import argparse
import hashlib
import json
import math
import os
import re
import struct
import subprocess
import sys

EXPECTED_ERRORS = [
    (r"edge_int_(octal|hex|underscore)_p0", "NPG_E_SYNTAX"),
    (r"edge_float_(underscore|space)_p0", "NPG_E_SYNTAX"),
    (r"edge_string_badquote_p0", "NPG_E_SYNTAX"),
    (r"edge_stack_leftover_p2", "NPG_E_STOP"),
    (r"edge_frame_(straddle|nested)_p4", "NPG_E_FRAME"),
    (r"edge_frame_short_p4", "NPG_E_TRUNCATED"),
    (r"edge_no_stop_p2", "NPG_E_TRUNCATED"),
    (r"edge_trailing_after_stop_p2", "NPG_E_TRAILING"),
    (r"edge_proto_6", "NPG_E_PROTO"),
    (r"edge_(memo_sparse_p2|negative_put_p0)", "NPG_E_MEMO"),
    (r"edge_unhashable_\w+", "NPG_E_UNHASHABLE"),
    (r"edge_dup_keys_p2", "NPG_E_DUPLICATE_KEY"),
    (r"reject_(global_print_p0|reconstruct_object_p2|pyobj_p\d)", "NPG_E_GLOBAL"),
    (r"py2_copy_reg_p0", "NPG_E_GLOBAL"),
    (r"reject_(ext1_p2|persid_p0|binpersid_p2|inst_p0)", "NPG_E_FORBIDDEN_OPCODE"),
    (r"reject_(objlist_short_p2|bad_rawlen_p3)", "NPG_E_ARRAY"),
    (r"reject_field_offset_p2", "NPG_E_DTYPE"),
    (r"reject_put_4G_p2", "NPG_E_LIMIT_MEMO"),
]

# Globals a scan must name for files refused by the allowlist (MANIFEST has no list for the
# files gen.py did not load). Others come from MANIFEST "globals" minus ALLOWED.
SCAN_GLOBALS = {
    "reject_global_print_p0": ["builtins.print"],
    "reject_reconstruct_object_p2": ["builtins.object"],
}

ALLOWED = {  # notes/numpy-pickles.md section 11.2, as "module name"
    "numpy.core.multiarray _reconstruct", "numpy._core.multiarray _reconstruct",
    "numpy.core._multiarray_umath _reconstruct", "numpy.core._internal _reconstruct",
    "numpy.core.numeric _frombuffer", "numpy._core.numeric _frombuffer",
    "numpy.core.multiarray scalar", "numpy._core.multiarray scalar",
    "numpy.core._multiarray_umath scalar", "numpy dtype", "numpy ndarray", "numpy matrix",
    "numpy.matrixlib.defmatrix matrix", "numpy recarray", "numpy.rec recarray", "numpy record",
    "numpy.ma.core _mareconstruct", "numpy.ma.core MaskedArray", "numpy.ma MaskedArray",
    "numpy.ma.core MaskedConstant", "_codecs encode", "__builtin__ bytes", "builtins bytes",
    "__builtin__ bytearray", "builtins bytearray", "__builtin__ set", "builtins set",
    "__builtin__ frozenset", "builtins frozenset", "__builtin__ complex", "builtins complex",
    "collections OrderedDict",
}

CLASSES = {"numpy.ndarray": "ndarray", "numpy.matrix": "matrix", "numpy.recarray": "recarray",
           "numpy.ma.core.MaskedArray": "masked", "numpy.rec.recarray": "recarray"}


def expected_error(case):
    for pat, status in EXPECTED_ERRORS:
        if re.fullmatch(pat, case):
            return status
    return None


# ---------------------------------------------------------------- npgdump output

class Node:
    __slots__ = ("kind", "text", "children", "data", "mask", "id")

    def __init__(self, kind, text):
        self.kind, self.text, self.children = kind, text, []
        self.data = self.mask = None
        self.id = None

    def __repr__(self):
        return "%s %s" % (self.kind, self.text[:80])


def parse_tree(lines):
    """Lines of a dump (indented two spaces per level) -> root Node."""
    root, stack = None, []
    for line in lines:
        if not line.strip():
            continue
        body = line.lstrip(" ")
        depth = (len(line) - len(body)) // 2
        kind, _, rest = body.partition(" ")
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if kind in ("data", "mask"):
            if not stack:
                raise ValueError("orphan %s line" % kind)
            setattr(stack[-1][1], kind, rest)
            continue
        node = Node(kind, rest)
        m = re.match(r"#(\d+)", rest)
        if m and kind != "ref":
            node.id = int(m.group(1))
        if stack:
            stack[-1][1].children.append(node)
        elif root is None:
            root = node
        else:
            raise ValueError("two roots")
        stack.append((depth, node))
    return root


def parse_results(text):
    res, cur, lines = {}, None, []
    for line in text.splitlines():
        if line.startswith("#FILE "):
            cur, lines = line[6:], []
        elif line == "#END" and cur is not None:
            res[os.path.basename(cur)] = lines
            cur = None
        elif cur is not None:
            lines.append(line)
    return res


def unescape(s):
    """'"a\\x00"' -> b'a\\x00'."""
    assert s.startswith('"') and s.endswith('"'), s
    s = s[1:-1]
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == "\\":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out.append(ord(s[i]))
            i += 1
    return bytes(out)


# ---------------------------------------------------------------- dtypes

class DT:
    """Parsed npgdump dtype text."""

    def __init__(self):
        self.kind, self.itemsize, self.align = "V", 0, 0
        self.unit, self.mult = None, None
        self.base, self.shape = None, None
        self.fields = None  # list of (name bytes, title bytes|None, offset, DT)
        self.aligned = self.record = 0


def parse_dtype(s, i=0):
    d = DT()
    if s.startswith("struct[", i):
        m = re.compile(r"struct\[(\d+)@(\d+),aligned=(\d),record=(\d)\]\{").match(s, i)
        d.itemsize, d.align, d.aligned, d.record = map(int, m.groups())
        i = m.end()
        d.fields = []
        while s[i] != "}":
            if s[i] == ",":
                i += 1
            m = re.compile(r'"(?:[^"\\]|\\x[0-9a-f]{2})*"').match(s, i)
            name = unescape(m.group(0))
            i = m.end()
            title = None
            if s[i] == "/":
                m = re.compile(r'"(?:[^"\\]|\\x[0-9a-f]{2})*"').match(s, i + 1)
                title = unescape(m.group(0))
                i = m.end()
            m = re.compile(r"\+(\d+):").match(s, i)
            off = int(m.group(1))
            sub, i = parse_dtype(s, m.end())
            d.fields.append((name, title, off, sub))
        return d, i + 1
    if s.startswith("sub[", i):
        m = re.compile(r"sub\[(\d+)@(\d+)\]\(").match(s, i)
        d.itemsize, d.align = int(m.group(1)), int(m.group(2))
        d.base, i = parse_dtype(s, m.end())
        m = re.compile(r";([\d,]*)\)").match(s, i)
        d.shape = [int(x) for x in m.group(1).split(",") if x]
        return d, m.end()
    m = re.compile(r"([biufcSUVOMm])(\d+)(?:\[(\w+)\*(\d+)\])?@(\d+)").match(s, i)
    if not m:
        raise ValueError("bad dtype text at %d: %r" % (i, s[i:i + 40]))
    d.kind, d.itemsize = m.group(1), int(m.group(2))
    if m.group(3):
        d.unit, d.mult = m.group(3), int(m.group(4))
    d.align = int(m.group(5))
    return d, m.end()


def dt_str(d):
    """NumPy's dtype.str with '<' for every byte-ordered kind."""
    if d.fields is not None or d.base is not None:
        return "|V%d" % d.itemsize
    k = d.kind
    if k == "O":
        return "|O"
    if k in "bSV" or (k in "iu" and d.itemsize == 1):
        return "|%s%d" % (k, d.itemsize)
    if k == "U":
        return "<U%d" % (d.itemsize // 4)
    if k in "Mm":
        if d.unit == "generic":
            return "<%s8" % k
        return "<%s8[%s%s]" % (k, "" if d.mult == 1 else d.mult, d.unit)
    return "<%s%d" % (k, d.itemsize)


def dt_descr(d):
    """numpy.lib's _array_descr of the parsed dtype (JSON form, byte order normalised)."""
    if d.fields is None:
        if d.base is not None:
            return [dt_descr(d.base), d.shape]
        return dt_str(d)
    result, offset = [], 0
    for name, title, off, sub in sorted(d.fields, key=lambda f: f[2]):
        if off > offset:
            result.append(["", "|V%d" % (off - offset)])
            offset = off
        elif off < offset:
            return "overlapping"
        nm = name.decode("utf-8", "surrogatepass")
        key = [title.decode("utf-8", "surrogatepass"), nm] if title is not None else nm
        if sub.base is not None:
            result.append([key, dt_descr(sub.base), sub.shape])
        else:
            result.append([key, dt_descr(sub)])
        offset += sub.itemsize
    if d.itemsize > offset:
        result.append(["", "|V%d" % (d.itemsize - offset)])
    return result


def norm_order(x):
    """A type string or descr with every '>'/'=' byte-order mark made '<' (names untouched)."""
    if isinstance(x, str):
        return "<" + x[1:] if len(x) > 1 and x[0] in "<>=" else x
    if isinstance(x, list):  # [[name, fmt(, shape)], ...]
        return [[e[0], norm_order(e[1])] + list(e[2:]) for e in x]
    return x


def compare_dtype(d, dsum, where):
    errs = []

    def want(label, got, exp):
        if got != exp:
            errs.append("%s: dtype %s %r != expected %r" % (where, label, got, exp))

    want("str", dt_str(d), norm_order(dsum["str"]))
    want("kind", "V" if d.fields is not None or d.base is not None else d.kind, dsum["kind"])
    want("itemsize", d.itemsize, dsum["itemsize"])
    want("alignment", d.align, dsum["alignment"])
    if "descr" in dsum:
        want("descr", dt_descr(d), norm_order(dsum["descr"]))
        want("isalignedstruct", bool(d.aligned), dsum["isalignedstruct"])
    if d.fields is not None:
        want("record", bool(d.record), dsum["type"] == "numpy.record")
    if "subdtype" in dsum:
        want("subdtype", [dt_str(d.base) if d.base else None, d.shape],
             [norm_order(dsum["subdtype"][0]), list(dsum["subdtype"][1])])
    return errs


# byte-swap plan of a MANIFEST dtype (to make its data little-endian like npgdump's)

def _str_size(s):
    m = re.fullmatch(r"[<>|=]([biufcSUVOMm])(\d*)(\[.*\])?", s)
    k, n = m.group(1), int(m.group(2) or 0)
    if k == "U":
        return 4 * n
    if k in "Mm":
        return 8
    if k == "O":
        return n or 8
    return n


def _leaf_plan(s, off, count, out):
    if not s.startswith(">"):
        return
    k = s[1]
    size = _str_size(s)
    if k in "iufMm" and size > 1:
        out.append((off, size, count))
    elif k == "c":
        out.append((off, size // 2, 2 * count))
    elif k == "U":
        out.append((off, 4, size // 4 * count))


def _descr_plan(descr, off, out):
    """Walk a descr list; returns its size."""
    pos = off
    for entry in descr:
        fmt = entry[1]
        n = 1
        if len(entry) > 2:
            for x in entry[2]:
                n *= x
        for _ in range(n):
            if isinstance(fmt, list):
                pos += _descr_plan(fmt, pos, out)
            else:
                _leaf_plan(fmt, pos, 1, out)
                pos += _str_size(fmt)
    return pos - off


def manifest_swap(raw, dsum):
    plan = []
    if "descr" in dsum:
        _descr_plan(dsum["descr"], 0, plan)
    elif "subdtype" in dsum:
        base, shape = dsum["subdtype"]
        n = 1
        for x in shape:
            n *= x
        _leaf_plan(base, 0, n, plan)
    else:
        _leaf_plan(dsum["str"], 0, 1, plan)
    if not plan:
        return raw
    isz = dsum["itemsize"]
    b = bytearray(raw)
    for k in range(0, len(b), isz):
        for off, unit, count in plan:
            for c in range(count):
                p = k + off + c * unit
                b[p:p + unit] = b[p:p + unit][::-1]
    return bytes(b)


# ---------------------------------------------------------------- value comparison

def float_of_bits(h):
    return struct.unpack("<d", struct.pack("<Q", int(h, 16)))[0]


def same_float(h, r):
    got = float_of_bits(h)
    exp = float(r)
    if math.isnan(exp):
        return math.isnan(got)
    return struct.pack("<d", got) == struct.pack("<d", exp)


class Matcher:
    def __init__(self):
        self.ids = {}   # MANIFEST obj_id -> npgdump #id (tracked) or ("untracked", summary)
        self.sums = {}  # MANIFEST obj_id -> summary

    def register(self, summ, node):
        oid = summ.get("obj_id") if isinstance(summ, dict) else None
        if oid is None:
            return
        self.sums[oid] = summ
        if node.id is not None:
            self.ids[oid] = node.id

    def match(self, n, s, where, depth=0):
        """List of mismatch descriptions (empty when equal)."""
        if depth > 200:
            return []
        if n is None:
            return ["%s: missing node" % where]
        if s is None:
            return [] if n.kind == "None" else ["%s: %r, expected None" % (where, n)]
        if isinstance(s, bool):
            return [] if n.kind == "bool" and n.text == str(int(s)) else ["%s: %r, expected %s" % (where, n, s)]
        if not isinstance(s, dict):
            return ["%s: unexpected summary %r" % (where, s)]
        if "same_object_as" in s:
            oid = s["same_object_as"]
            if oid in self.ids:
                if n.kind == "ref" and n.text == "#%d" % self.ids[oid]:
                    return []
                return ["%s: %r, expected ref #%d (MANIFEST obj %d)" % (where, n, self.ids[oid], oid)]
            if oid in self.sums:  # a tuple: npgdump prints it again
                return self.match(n, self.sums[oid], where, depth + 1)
            return [] if n.kind in ("ref", "set", "frozenset") else ["%s: %r, expected same_object_as %d" % (where, n, oid)]
        if n.kind == "ref":
            if s.get("obj_id") is not None and n.text == "#%s" % self.ids.get(s["obj_id"]):
                return []  # met again while re-walking an untracked tuple
            return ["%s: got %r where MANIFEST has a first visit" % (where, n)]
        for key, fn in (("int", self._int), ("float", self._float), ("complex", self._complex),
                        ("str", self._str), ("bytes", self._bytes), ("bytearray", self._bytes),
                        ("list", self._seq), ("tuple", self._seq), ("dict", self._dict),
                        ("OrderedDict", self._dict), ("set", self._set), ("frozenset", self._set),
                        ("numpy.ma.masked", self._masked), ("numpy_dtype", self._dtype),
                        ("numpy_scalar", self._scalar), ("class", self._array)):
            if key in s:
                return fn(n, s, key, where, depth)
        return ["%s: unknown summary %r" % (where, list(s))]

    def _kind(self, n, kind, where):
        return [] if n.kind == kind else ["%s: %r, expected %s" % (where, n, kind)]

    def _int(self, n, s, key, where, depth):
        e = self._kind(n, "int", where)
        if not e and int(n.text, 16) != int(s["int"]):
            e = ["%s: int %d != expected %s" % (where, int(n.text, 16), s["int"])]
        return e

    def _float(self, n, s, key, where, depth):
        e = self._kind(n, "float", where)
        if not e and not same_float(n.text, s["float"]):
            e = ["%s: float %r != expected %s" % (where, float_of_bits(n.text), s["float"])]
        return e

    def _complex(self, n, s, key, where, depth):
        e = self._kind(n, "complex", where)
        if not e:
            re_, im = n.text.split()
            if not (same_float(re_, s["complex"][0]) and same_float(im, s["complex"][1])):
                e = ["%s: complex %s != expected %s" % (where, n.text, s["complex"])]
        return e

    def _str(self, n, s, key, where, depth):
        e = self._kind(n, "str", where)
        if not e and unescape(n.text) != s["str"].encode("utf-8", "surrogatepass"):
            e = ["%s: str %s != expected %r" % (where, n.text, s["str"])]
        return e

    def _bytes(self, n, s, key, where, depth):
        e = self._kind(n, key, where)
        if not e:
            txt = n.text.split(" ", 1)[1] if key == "bytearray" else n.text
            if unescape(txt).hex() != s[key]:
                e = ["%s: %s %s != expected %s" % (where, key, txt, s[key])]
        return e

    def _seq(self, n, s, key, where, depth):
        e = self._kind(n, key, where)
        if e:
            return e
        self.register(s, n)
        items = s[key]
        if len(n.children) != len(items):
            return ["%s: %s of %d items, expected %d" % (where, key, len(n.children), len(items))]
        for i, (c, x) in enumerate(zip(n.children, items)):
            e = self.match(c, x, "%s[%d]" % (where, i), depth + 1)
            if e:
                return e
        return []

    def _dict(self, n, s, key, where, depth):
        e = self._kind(n, "dict" if key == "dict" else "odict", where)
        if e:
            return e
        self.register(s, n)
        items = s[key]
        if len(n.children) != 2 * len(items):
            return ["%s: %s of %d entries, expected %d" % (where, key, len(n.children) // 2, len(items))]
        for i, (k, v) in enumerate(items):
            e = (self.match(n.children[2 * i], k, "%s.key%d" % (where, i), depth + 1)
                 or self.match(n.children[2 * i + 1], v, "%s[%s]" % (where, k), depth + 1))
            if e:
                return e
        return []

    def _set(self, n, s, key, where, depth):
        e = self._kind(n, key, where)
        if e:
            return e
        items = s[key]
        if len(n.children) != len(items):
            return ["%s: %s of %d items, expected %d" % (where, key, len(n.children), len(items))]
        unused = list(n.children)
        for x in items:
            for c in unused:
                if not Matcher().match(c, x, where, depth + 1):
                    unused.remove(c)
                    break
            else:
                return ["%s: %s has no item matching %r" % (where, key, x)]
        return []

    def _masked(self, n, s, key, where, depth):
        return self._kind(n, "masked", where)

    def _dtype(self, n, s, key, where, depth):
        e = self._kind(n, "dtype", where)
        if e:
            return e
        return compare_dtype(parse_dtype(n.text)[0], s["numpy_dtype"], where)

    def _scalar(self, n, s, key, where, depth):
        e = self._kind(n, "scalar", where)
        if e:
            return e
        m = re.fullmatch(r"dtype=(.*?)(?: data=([0-9a-f]*))?", n.text)
        d = parse_dtype(m.group(1))[0]
        e = compare_dtype(d, s["dtype"], where)
        if e:
            return e
        if s["data_hex"] is None:  # structured with objects: a 0-d array under it
            if m.group(2) is not None or len(n.children) != 1 or n.children[0].kind != "array":
                return ["%s: scalar with objects should hold a 0-d array, got %r" % (where, n)]
            return []
        exp = manifest_swap(bytes.fromhex(s["data_hex"]), s["dtype"]).hex()
        if m.group(2) != exp:
            return ["%s: scalar data %s != expected %s" % (where, m.group(2), exp)]
        return []

    def _array(self, n, s, key, where, depth):
        e = self._kind(n, "array", where)
        if e:
            return e
        self.register(s, n)
        m = re.fullmatch(r"#\d+ class=(\w+) dtype=(.*) shape=\[([\d,]*)\]", n.text)
        if not m:
            return ["%s: unparsable array line %r" % (where, n.text)]
        cls, dtext, shape = m.group(1), m.group(2), [int(x) for x in m.group(3).split(",") if x]
        if CLASSES.get(s["class"]) != cls:
            return ["%s: class %s, expected %s" % (where, cls, s["class"])]
        if shape != s["shape"]:
            return ["%s: shape %s, expected %s" % (where, shape, s["shape"])]
        d = parse_dtype(dtext)[0]
        e = compare_dtype(d, s["dtype"], where)
        if e:
            return e
        kids = list(n.children)
        if "items_C_order" in s:
            items = s["items_C_order"]
            if len(kids) < len(items):
                return ["%s: %d elements, expected %d" % (where, len(kids), len(items))]
            for i, x in enumerate(items):
                e = self.match(kids[i], x, "%s.item%d" % (where, i), depth + 1)
                if e:
                    return e
            kids = kids[len(items):]
        elif "data_hex_C_order" in s:
            exp = manifest_swap(bytes.fromhex(s["data_hex_C_order"]), s["dtype"]).hex()
            if n.data != exp:
                return ["%s: data %s != expected %s" % (where, (n.data or "")[:200], exp[:200])]
        elif "data_sha256_C_order" in s:
            raw = bytes.fromhex(n.data or "")
            if manifest_swap(raw, s["dtype"]) != raw:
                return ["%s: cannot check a hashed big-endian array" % where]
            if len(raw) != s["data_len"] or hashlib.sha256(raw).hexdigest() != s["data_sha256_C_order"]:
                return ["%s: data (%d bytes) does not match MANIFEST's sha256" % (where, len(raw))]
        if "mask_hex_C_order" in s:
            if n.mask != s["mask_hex_C_order"]:
                return ["%s: mask %s != expected %s" % (where, n.mask, s["mask_hex_C_order"])]
            fv = s.get("fill_value")
            if not kids:
                return ["%s: masked array without a fill value line" % where]
            return self._fill(kids[0], fv, where + ".fill_value")
        return []

    def _fill(self, n, fv, where):
        """MANIFEST shows MaskedArray.fill_value (a numpy scalar); npguard keeps the 0-d array."""
        if fv is None or (isinstance(fv, dict) and "numpy_scalar" not in fv):
            return self.match(n, fv, where)
        if n.kind != "array":
            return ["%s: %r, expected a 0-d array" % (where, n)]
        m = re.fullmatch(r"#\d+ class=(\w+) dtype=(.*) shape=\[\]", n.text)
        if not m:
            return ["%s: %r, expected a 0-d array" % (where, n)]
        e = compare_dtype(parse_dtype(m.group(2))[0], fv["dtype"], where)
        if e:
            return e
        exp = manifest_swap(bytes.fromhex(fv["data_hex"]), fv["dtype"]).hex()
        return [] if n.data == exp else ["%s: data %s != expected %s" % (where, n.data, exp)]


# ---------------------------------------------------------------- driver

def run_npgdump(npgdump, files, data_dir, flags, tmpdir, tag):
    listfile = os.path.join(tmpdir, "refvec-%s.txt" % tag)
    with open(listfile, "w") as f:
        for name in files:
            bufs = sorted(b for b in os.listdir(data_dir)
                          if b.startswith(name[:-4] + ".buf") and b.endswith(".bin"))
            f.write("\t".join([os.path.join(data_dir, name)] + [os.path.join(data_dir, b) for b in bufs]) + "\n")
    proc = subprocess.run([npgdump] + flags + ["--list", listfile], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    out = proc.stdout.decode("utf-8", "replace")
    with open(os.path.join(tmpdir, "refvec-%s.out" % tag), "w") as f:
        f.write(out)
    if proc.returncode != 0:
        print("refvec: npgdump %s exited with %d: %s" % (" ".join(flags), proc.returncode,
                                                        proc.stderr.decode("utf-8", "replace")[-2000:]))
    return parse_results(out), proc.returncode


def expected_value(name, entry, manifest, encoding):
    """(True, MANIFEST summary npguard must reproduce), or (False, None) when there is none."""
    if name.startswith("np2_dtype_struct_aligned_"):
        # NumPy 1.x refuses NumPy 2's flags byte; the dtype is the aligned one of dtype_struct_aligned
        entry = manifest[name.replace("np2_", "")]
    cl = entry["cpython_load"]
    if isinstance(cl, str):
        return False, None
    if "ok" not in cl:
        cl = cl.get(encoding)
        if cl is None:
            return False, None
    return (True, cl["value"]) if cl.get("ok") else (False, None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--npgdump", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--tmp", default=".")
    ap.add_argument("--show", type=int, default=25)
    args = ap.parse_args()
    if not os.access(args.npgdump, os.X_OK):
        print("%s: npgdump not found at %s (did the build fail?)" % (os.path.basename(__file__), args.npgdump))
        return 1

    with open(os.path.join(args.data, "MANIFEST.json"), encoding="utf-8") as f:
        manifest = json.load(f)["files"]
    problems = []
    files = sorted(manifest)
    on_disk = sorted(x for x in os.listdir(args.data) if x.endswith(".pkl"))
    if on_disk != files:
        problems.append("files and MANIFEST disagree: only on disk %s, only in MANIFEST %s" % (
            sorted(set(on_disk) - set(files)), sorted(set(files) - set(on_disk))))
        files = sorted(set(files) & set(on_disk))
    for name in files:
        with open(os.path.join(args.data, name), "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != manifest[name]["sha256"]:
                problems.append("%s: sha256 differs from MANIFEST" % name)

    os.makedirs(args.tmp, exist_ok=True)
    dec, rc1 = run_npgdump(args.npgdump, files, args.data, [], args.tmp, "decode")
    scan, rc2 = run_npgdump(args.npgdump, files, args.data, ["--scan"], args.tmp, "scan")
    py2 = [n for n in files if n.startswith("py2_") or n == "edge_string_text_p0.pkl"]
    dec_b, rc3 = run_npgdump(args.npgdump, py2, args.data, ["--py2-bytes"], args.tmp, "py2bytes")
    trail = ["edge_trailing_after_stop_p2.pkl"]
    dec_t, rc4 = run_npgdump(args.npgdump, trail, args.data, ["--allow-trailing"], args.tmp, "trailing")
    if rc1 or rc2 or rc3 or rc4:
        problems.append("npgdump failed to run (see above)")

    accepted = refused = 0
    for name in files:
        case = name[:-4]
        entry = manifest[name]
        want_err = expected_error(case)
        if case.startswith("reject_") and want_err is None:
            problems.append("%s: a reject_ file without an expected status in refvec.py" % name)
            continue
        lines = dec.get(name)
        if lines is None:
            problems.append("%s: no npgdump output" % name)
            continue
        first = lines[0] if lines else ""
        if want_err:
            refused += 1
            if not first.startswith("ERROR %s " % want_err):
                problems.append("%s: expected ERROR %s, got %s" % (name, want_err, first[:200]))
        else:
            accepted += 1
            known, summ = expected_value(name, entry, manifest, "latin1")
            if first.startswith(("ERROR", "BUG")):
                problems.append("%s: expected acceptance, got %s %s" % (name, first[:200],
                                                                        (lines[1:2] or [""])[0][:200]))
            elif not known:
                problems.append("%s: refvec.py has no expected value for this file" % name)
            else:
                try:
                    e = Matcher().match(parse_tree(lines), summ, case)
                except Exception as exc:  # malformed dump
                    e = ["%s: cannot parse npgdump output: %s" % (case, exc)]
                problems.extend(e[:1])
            if name in dec_b:
                summ_b = expected_value(name, entry, manifest, "bytes")[1]
                lb = dec_b[name]
                if lb and lb[0].startswith("ERROR"):
                    problems.append("%s (--py2-bytes): %s" % (name, lb[0]))
                else:
                    problems.extend(Matcher().match(parse_tree(lb), summ_b, case + "(py2-bytes)")[:1])

        # scan mode agrees with decode mode
        sl = scan.get(name) or []
        status = sl[0].split()[1] if sl and sl[0].startswith("STATUS") else None
        findings = [l.split(" ", 5) for l in sl if l.startswith("FINDING ")]
        serious = [f for f in findings if f[2] != "info"]
        clean = status == "NPG_OK" and not serious
        if status is None:
            problems.append("%s (scan): no STATUS line: %s" % (name, sl[:2]))
        elif clean != (want_err is None):
            problems.append("%s (scan): status %s with %d serious findings, but decode mode %s it" % (
                name, status, len(serious), "refuses" if want_err else "accepts"))
        elif want_err is None and "ROOT" in sl:
            root = sl[sl.index("ROOT") + 1:]
            if root != lines:
                problems.append("%s (scan): tree differs from decode mode" % name)
        if want_err == "NPG_E_GLOBAL":
            names = SCAN_GLOBALS.get(case)
            if names is None:
                names = [g.replace(" ", ".") for g in entry.get("globals") or [] if g not in ALLOWED]
            named = {f[5][len("global="):] for f in serious if len(f) > 5}
            for g in names:
                if g not in named:
                    problems.append("%s (scan): no finding names %s (findings: %s)" % (
                        name, g, sorted(named)))

    lt = dec_t.get(trail[0]) or []
    if lt[:2] != ["END 5", "int 0x1"]:
        problems.append("%s (--allow-trailing): expected END 5 and int 0x1, got %s" % (trail[0], lt[:2]))

    print("refvec: %d files (%d to accept, %d to refuse): %d problems" % (
        len(files), accepted, refused, len(problems)))
    for p in problems[: args.show]:
        print("  " + (p if len(p) < 400 else p[:400] + "..."))
    if len(problems) > args.show:
        print("  ... and %d more (outputs in %s/refvec-*.out)" % (len(problems) - args.show, args.tmp))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
