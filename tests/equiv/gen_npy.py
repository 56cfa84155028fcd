""".npy and .npz cases for the numpy.load differential test.

`NpySource(seed).next()` returns (bytes, tag), drawn from:

* `npy:save:vX`      what np.save / numpy.lib.format.write_array writes today (versions 1.0, 2.0,
                     3.0), for random arrays (all dtype kinds, 0-d, zero-size, Fortran order);
* `npy:align16`      headers as NumPy < 1.14 wrote them: magic + length + header a multiple of
                     16, padded with spaces then '\\n'; some with Python-2 longs in the shape
                     (800L, 10L);
* `npy:literal`      header dicts that are not the canonical text but that numpy.load's literal
                     parser reads (keys reordered, double quotes, extra or no spaces, no trailing
                     comma, 0x3 and 1_0 integers) and some it refuses (a list shape, 0/1 for the
                     order, an extra key);
* `npy:object`       object arrays: np.save's pickle, or a pickle carrying a payload (alone, after
                     CPython-accepted oddities, spliced into the real pickle);
* `npy:mutate`       byte flips, header-length and version changes, truncation, trailing bytes;
* `npz:save`         np.savez / np.savez_compressed of a few arrays, object members with payloads,
                     deflated members with general-purpose flag bits 1/2 set, an archive comment,
                     data in front of the archive, members not named .npy;
* `npz:mutate`       byte flips, truncation, appended bytes.

Only writing happens here.
"""

import io
import pickle
import random
import struct
import zipfile

import numpy as np

import gen_benign
import gen_ops as op
import gen_payloads as payloads
from gen_mutate import opcode_starts

MAGIC = b"\x93NUMPY"
ODDITIES = [b"I1_000\n0", b"I0x10\n0", b"F-iNf\n0", b"S'a'b'\n0", b"\x80\x02N0", b"K\x01N\x62",
            b"Np 1\n0", b"V\\\\u0041\n0", b""]


def descr_text(dtype):
    """The descr as np.save writes it in the header (repr of dtype.descr or of dtype.str)."""
    descr = np.lib.format.dtype_to_descr(dtype)
    return repr(descr)


def shape_text(shape, py2_longs=False):
    if py2_longs:
        items = ["%dL" % n for n in shape]
    else:
        items = ["%d" % n for n in shape]
    if len(items) == 1:
        return "(%s,)" % items[0]
    return "(%s)" % ", ".join(items)


def build_npy(dict_text, data, version=(1, 0), align=64, newline=True, encoding=None):
    """Magic, version, header length, the dict text padded with spaces (then '\\n') so that the
    whole preamble is a multiple of `align`, then the data."""
    enc = encoding or ("utf-8" if version >= (3, 0) else "latin-1")
    head = dict_text.encode(enc)
    size_len = 2 if version == (1, 0) else 4
    base = len(MAGIC) + 2 + size_len + len(head) + (1 if newline else 0)
    head += b" " * ((-base) % align) + (b"\n" if newline else b"")
    fmt = "<H" if size_len == 2 else "<I"
    return MAGIC + bytes(version) + struct.pack(fmt, len(head) & (0xFFFF if size_len == 2 else
                                                                   0xFFFFFFFF)) + head + data


def array_data(arr, fortran):
    if arr.dtype.hasobject:
        return pickle.dumps(arr, protocol=3)
    return arr.tobytes(order="F" if fortran else "C")


def save_bytes(arr, version=None):
    f = io.BytesIO()
    np.lib.format.write_array(f, arr, version=version, allow_pickle=True)
    return f.getvalue()


def set_zip_flags(data, bits):
    """Set general-purpose flag bits on every deflated member, in both the local header and the
    central directory entry (the archive must have no comment and no zip64 records)."""
    buf = bytearray(data)
    eocd = buf.rfind(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HII", buf, eocd + 10)
    pos = cd_offset
    for _ in range(count):
        method = struct.unpack_from("<H", buf, pos + 10)[0]
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", buf, pos + 28)
        local = struct.unpack_from("<I", buf, pos + 42)[0]
        if method == zipfile.ZIP_DEFLATED:
            for at in (pos + 8, local + 6):
                flags = struct.unpack_from("<H", buf, at)[0]
                struct.pack_into("<H", buf, at, flags | bits)
        pos += 46 + name_len + extra_len + comment_len
    return bytes(buf)


class NpySource:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.nrng = np.random.default_rng(seed)
        self.made = []  # recent cases, bases for mutations

    def array(self, allow_object=True):
        while True:
            arr = gen_benign.random_array(self.rng, self.nrng)
            if allow_object or not arr.dtype.hasobject:
                return arr

    def remember(self, item):
        self.made.append(item)
        if len(self.made) > 300:
            self.made.pop(self.rng.randrange(len(self.made)))
        return item

    def next(self):
        r = self.rng.random()
        if r < 0.2 or not self.made:
            return self.remember(self.npy_save())
        if r < 0.3:
            return self.remember(self.npy_align16())
        if r < 0.4:
            return self.remember(self.npy_literal())
        if r < 0.55:
            return self.remember(self.npy_object())
        if r < 0.72:
            return self.mutate([m for m in self.made if m[1].startswith("npy")] or self.made,
                               "npy")
        if r < 0.88:
            return self.remember(self.npz())
        return self.mutate([m for m in self.made if m[1].startswith("npz")] or self.made, "npz")

    # ------------------------------------------------------------------ .npy

    def npy_save(self):
        version = self.rng.choice([None, None, (1, 0), (2, 0), (3, 0)])
        arr = self.array()
        if self.rng.random() < 0.05:  # a field name only version 3.0 can hold
            arr = np.zeros(2, dtype=[("\u00e9t\u00e9", "<i4")])
            version = (3, 0)
        return save_bytes(arr, version), "npy:save:v%s" % ("auto" if version is None else
                                                            "%d" % version[0])

    def header_parts(self, arr, py2_longs=False):
        fortran = arr.ndim >= 2 and arr.flags.f_contiguous and not arr.flags.c_contiguous
        return {"descr": descr_text(arr.dtype), "fortran_order": repr(fortran),
                "shape": shape_text(arr.shape, py2_longs)}, fortran

    def npy_align16(self):
        arr = self.array()
        py2 = self.rng.random() < 0.4 and arr.ndim > 0
        parts, fortran = self.header_parts(arr, py2)
        text = "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (
            parts["descr"], parts["fortran_order"], parts["shape"])
        version = (1, 0) if self.rng.random() < 0.8 else (2, 0)
        data = build_npy(text, array_data(arr, fortran), version, align=16)
        return data, "npy:align16%s:v%d" % (":py2long" if py2 else "", version[0])

    def npy_literal(self):
        rng = self.rng
        arr = self.array()
        parts, fortran = self.header_parts(arr)
        keys = ["descr", "fortran_order", "shape"]
        variant = rng.choice(["order", "dquote", "spaces", "nocomma", "compact", "hex", "under",
                              "list-shape", "int-order", "extra-key", "tabs"])
        if variant == "order":
            rng.shuffle(keys)
        q = '"' if variant == "dquote" else "'"
        sep = {"spaces": " :  ", "compact": ":", "tabs": ":\t"}.get(variant, ": ")
        comma = {"spaces": " ,  ", "compact": ",", "tabs": ",\t"}.get(variant, ", ")
        values = dict(parts)
        if variant == "dquote":
            values["descr"] = values["descr"].replace("'", '"')
        if variant == "hex" and arr.ndim:
            values["shape"] = "(%s,)" % ", ".join("0x%x" % n for n in arr.shape)
        if variant == "under" and arr.ndim:
            values["shape"] = "(%s,)" % ", ".join("%d_0" % n if n else "0" for n in arr.shape)
            arr = None  # the shape no longer matches the data: numpy.load must refuse
        if variant == "list-shape":
            values["shape"] = "[%s]" % ", ".join("%d" % n for n in parts_shape(parts))
        if variant == "int-order":
            values["fortran_order"] = "1" if fortran else "0"
        items = ["%s%s%s%s%s" % (q, k, q, sep, values[k]) for k in keys]
        if variant == "extra-key":
            items.append("%sextra%s%s0" % (q, q, sep))
        text = "{" + comma.join(items) + ("" if variant == "nocomma" else comma) + "}"
        data = b"" if arr is None else array_data(arr, fortran)
        if arr is None:
            data = b"\x00" * 64
        return build_npy(text, data, rng.choice([(1, 0), (2, 0), (3, 0)])), \
            "npy:literal:" + variant

    def object_pickle(self):
        """An object array's pickle: np.save's, or one that carries a payload."""
        rng = self.rng
        arr = np.empty(rng.randint(0, 3), dtype=object)
        for i in range(arr.size):
            arr[i] = rng.choice([i, "s", None, [1, 2], {"k": 1.5}])
        real = pickle.dumps(arr, protocol=3)
        how = rng.choice(["real", "payload", "oddity+payload", "spliced", "oddities"])
        if how == "real":
            return real, how
        snippet, _ = payloads.snippet(rng)
        if how == "payload":
            return op.proto(3) + snippet + op.STOP, how
        if how == "oddity+payload":
            return op.proto(rng.choice([2, 3])) + rng.choice(ODDITIES) + snippet + op.STOP, how
        if how == "oddities":  # CPython-accepted oddities in front of the real pickle's body
            return real[:2] + rng.choice(ODDITIES) + real[2:], how
        pos = rng.choice(opcode_starts(real))
        return real[:pos] + snippet + op.POP + real[pos:], how

    def npy_object(self):
        rng = self.rng
        data, how = self.object_pickle()
        shape = rng.choice([(), (1,), (2,), (0,), (3,)])
        descr = rng.choice(["'|O'", "'|O'", "[('a', '|O')]", "[('a', '<i4'), ('b', '|O')]"])
        text = "{'descr': %s, 'fortran_order': False, 'shape': %s, }" % (descr, shape_text(shape))
        align = 64 if rng.random() < 0.8 else 16
        version = rng.choice([(1, 0), (1, 0), (2, 0), (3, 0)])
        return build_npy(text, data, version, align), "npy:object:" + how

    # ------------------------------------------------------------------ .npz

    def npz(self):
        rng = self.rng
        members = {}
        for i in range(rng.randint(1, 3)):
            name = rng.choice(["arr_%d" % i, "x%d" % i, "dir/a%d" % i])
            r = rng.random()
            if r < 0.2:
                members[name + ".npy"] = self.npy_object()[0]
            elif r < 0.3:
                members[name + ".npy"] = self.npy_align16()[0]
            elif r < 0.35:
                members[name] = rng.choice([b"", b"not an array", b"N."])
            else:
                members[name + ".npy"] = save_bytes(self.array(allow_object=rng.random() < 0.2))
        method = zipfile.ZIP_DEFLATED if rng.random() < 0.5 else zipfile.ZIP_STORED
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=method) as z:
            for name, data in members.items():
                z.writestr(name, data)
        data = buf.getvalue()
        tag = "npz:save:" + ("deflate" if method == zipfile.ZIP_DEFLATED else "stored")
        extra = rng.random()
        if extra < 0.15 and method == zipfile.ZIP_DEFLATED:
            bits = rng.choice([2, 4, 6])
            data = set_zip_flags(data, bits)
            tag += ":flags%d" % bits
        elif extra < 0.2:
            data = data[:-2] + struct.pack("<H", 7) + b"comment"
            tag += ":comment"
        elif extra < 0.25:
            data = rng.choice([b"junk", b"\x00" * 16, b"PK"]) + data
            tag += ":prefix"
        return data, tag

    # ------------------------------------------------------------------ mutations

    def mutate(self, bases, kind):
        rng = self.rng
        data, tag = rng.choice(bases)
        buf = bytearray(data)
        how = rng.choice(["flip", "flip-header", "header-len", "version", "truncate", "append",
                          "delete", "insert-header"])
        if how == "flip" and buf:
            for _ in range(rng.randint(1, 3)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif how == "flip-header" and buf:
            buf[rng.randrange(min(len(buf), 128))] = rng.choice(b" \n'\",:{}()0123456789LTFx")
        elif how == "header-len" and len(buf) > 10:
            delta = rng.choice([-16, -1, 1, 16, 64])
            n = max(0, struct.unpack_from("<H", buf, 8)[0] + delta)
            struct.pack_into("<H", buf, 8, n & 0xFFFF)
        elif how == "version" and len(buf) > 7:
            buf[6:8] = bytes(rng.choice([(1, 0), (2, 0), (3, 0), (1, 1), (4, 0), (0, 0)]))
        elif how == "truncate" and buf:
            del buf[rng.randrange(len(buf)):]
        elif how == "append":
            buf += rng.choice([b"\x00", b"junk", b"\n", bytes(8)])
        elif how == "delete" and buf:
            pos = rng.randrange(len(buf))
            del buf[pos:pos + rng.randint(1, 8)]
        elif how == "insert-header":
            pos = rng.randrange(min(len(buf), 120) + 1)
            buf[pos:pos] = rng.choice([b" ", b"\n", b"L", b"0", b"'"])
        return bytes(buf), "%s:mutate:%s(%s)" % (kind, how, tag.split(":", 1)[-1])


def parts_shape(parts):
    """The integers of a shape text such as '(2, 3)'."""
    inner = parts["shape"].strip("()").replace("L", "")
    return [int(x) for x in inner.split(",") if x.strip()]
